/**
 * MLflow's registry search dialect (`registered-models/search`, `model-versions/search`) parsed
 * into clauses, as mlflow/utils/search_utils.py (SearchModelUtils, SearchModelVersionUtils) and the
 * SQLAlchemy registry store read it. It reuses the tracking search tokenizer and identifier reader;
 * only the vocabulary differs: registered models filter on `name` and `tags.<key>`, model versions
 * on `name`, `run_id`, `source_path`, `version_number` and `tags.<key>`.
 */
import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';
import type { Db } from '../store/db.js';
import { compare, decodePageToken, encodePageToken } from '../tracking/search/sql.js';
import {
  type AttributeMap,
  type EntityKind,
  type IdentifierSchema,
  isWord,
  pyList,
  readIdentifier,
  type Token,
  TokenStream,
} from '../tracking/search/tokenizer.js';
import type { Page } from '../tracking/types.js';
import { loadModels, loadVersions } from './rows.js';
import type { ModelVersion, RegisteredModel } from './types.js';

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

/** One comparison of a registry filter; `key` is canonical (`source_path` → `source`). */
export interface RegistryClause {
  kind: 'attribute' | 'tag';
  key: string;
  comparator: Comparator;
  value: number | string | string[];
}

export interface RegistryOrder {
  key: string;
  ascending: boolean;
}

const STRING: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
// MLflow allows IN on run_id only; Keel accepts IN / NOT IN on every string attribute (a superset).
const STRING_OR_LIST: readonly Comparator[] = [...STRING, 'IN', 'NOT IN'];
const NUMERIC: readonly Comparator[] = ['=', '!=', '<', '<=', '>', '>='];

interface Vocabulary {
  what: string;
  identifiers: IdentifierSchema;
  /** Filter keys as written → canonical key (the column the store compares). */
  canonical: Readonly<Record<string, string>>;
  stringComparators: readonly Comparator[];
}

const ATTRIBUTE_PREFIXES: [string, EntityKind][] = [
  ['attribute', 'attribute'],
  ['attributes', 'attribute'],
  ['attr', 'attribute'],
];
const prefixes: ReadonlyMap<string, EntityKind> = new Map([
  ...ATTRIBUTE_PREFIXES,
  ['tag', 'tag'],
  ['tags', 'tag'],
]);

const attributes = (numeric: string[], strings: string[]): AttributeMap =>
  new Map([
    ...numeric.map((key): [string, { key: string; numeric: boolean }] => [key, { key, numeric: true }]),
    ...strings.map((key): [string, { key: string; numeric: boolean }] => [key, { key, numeric: false }]),
  ]);

const MODEL_FILTER: Vocabulary = {
  what: 'registered model',
  identifiers: { prefixes, prefixNames: ['attribute', 'tag'], attributes: attributes([], ['name']) },
  canonical: { name: 'name' },
  stringComparators: STRING_OR_LIST,
};

const VERSION_FILTER: Vocabulary = {
  what: 'model version',
  identifiers: {
    prefixes,
    prefixNames: ['attribute', 'tag'],
    attributes: attributes(['version_number'], ['name', 'run_id', 'source_path']),
  },
  canonical: { name: 'name', run_id: 'run_id', source_path: 'source', version_number: 'version' },
  stringComparators: STRING_OR_LIST,
};

const isStringLiteral = (t: Token): t is Extract<Token, { type: 'quoted' }> =>
  t.type === 'quoted' && t.quote !== '`';

const found = (t: Token): string => (t.type === 'eof' ? 'nothing' : `'${t.text}'`);

function readComparator(ts: TokenStream, subject: string, allowed: readonly Comparator[]): Comparator {
  const t = ts.next();
  if (t.type !== 'op' && t.type !== 'word') {
    throw ts.fail(`Expected a comparator after ${subject}, found ${found(t)}`);
  }
  let written = t.text;
  if (isWord(t, 'NOT') && ts.peek().type === 'word') written = `${t.text} ${ts.next().text}`;
  const normalized = written.toUpperCase().replace(/\s+/g, ' ') as Comparator;
  if (!allowed.includes(normalized)) {
    throw invalidParam(`Invalid comparator '${written}' for ${subject}. Expected one of ${pyList(allowed)}`);
  }
  return normalized;
}

function readList(ts: TokenStream, subject: string): string[] {
  const open = ts.next();
  if (open.type !== 'punct' || open.text !== '(') {
    throw ts.fail(`Expected a list like ('a', 'b') for ${subject}, found ${found(open)}`);
  }
  const items: string[] = [];
  for (;;) {
    const item = ts.next();
    if (!isStringLiteral(item)) {
      throw ts.fail(`Expected a quoted string in the list for ${subject}, found ${found(item)}`);
    }
    items.push(item.value);
    const sep = ts.next();
    if (sep.type === 'punct' && sep.text === ')') return items;
    if (sep.type !== 'punct' || sep.text !== ',') {
      throw ts.fail(`Expected ',' or ')' in the list for ${subject}, found ${found(sep)}`);
    }
  }
}

function readValue(ts: TokenStream, subject: string, numeric: boolean, comparator: Comparator) {
  if (comparator === 'IN' || comparator === 'NOT IN') return readList(ts, subject);
  const t = ts.next();
  if (numeric) {
    // MLflow compares version_number with an integer, quoted or not.
    const n = t.type === 'number' ? t.value : isStringLiteral(t) ? Number(t.value) : Number.NaN;
    if (!Number.isInteger(n)) {
      throw invalidParam(`Expected an integer value for ${subject}, found ${found(t)}`);
    }
    return n;
  }
  if (isStringLiteral(t)) return t.value;
  // MLflow's wording for registry filters.
  throw invalidParam(
    `Expected a quoted string value for ${subject} (e.g. 'my-value'). Got value ${t.type === 'eof' ? 'nothing' : t.text}`,
  );
}

function parseFilter(filter: string | undefined, v: Vocabulary): RegistryClause[] {
  if (filter === undefined || filter.trim() === '') return [];
  const ts = new TokenStream(filter, 'filter');
  const clauses: RegistryClause[] = [];
  for (;;) {
    const id = readIdentifier(ts, v.identifiers);
    const kind = id.kind === 'tag' ? 'tag' : 'attribute';
    const subject = kind === 'tag' ? `tag '${id.key}'` : `attribute '${id.key}'`;
    const allowed = kind === 'tag' ? STRING : id.numeric ? NUMERIC : v.stringComparators;
    const comparator = readComparator(ts, subject, allowed);
    const value = readValue(ts, subject, id.numeric, comparator);
    clauses.push({ kind, key: kind === 'tag' ? id.key : v.canonical[id.key]!, comparator, value });
    const joiner = ts.next();
    if (joiner.type === 'eof') return clauses;
    if (isWord(joiner, 'OR')) {
      throw invalidParam(
        `Invalid clause(s) in filter string: '${joiner.text}'. OR is not supported; join comparisons with AND`,
      );
    }
    if (!isWord(joiner, 'AND')) {
      throw invalidParam(
        `Invalid clause(s) in filter string: '${ts.restFrom(joiner)}'. Comparisons must be joined with AND`,
      );
    }
    if (ts.peek().type === 'eof') throw ts.fail(`Expected a comparison after '${joiner.text}'`);
  }
}

/** Parses a `registered-models/search` filter: `name` (= != LIKE ILIKE IN) and `tags.<key>`. */
export const parseModelFilter = (filter: string | undefined): RegistryClause[] =>
  parseFilter(filter, MODEL_FILTER);

/** Parses a `model-versions/search` filter: name, run_id, source_path, version_number, tags. */
export const parseVersionFilter = (filter: string | undefined): RegistryClause[] =>
  parseFilter(filter, VERSION_FILTER);

/** Sortable keys as written → canonical column key. */
const MODEL_ORDER: Readonly<Record<string, string>> = {
  name: 'name',
  creation_timestamp: 'created_at',
  last_updated_timestamp: 'updated_at',
  // MLflow's SearchUtils.VALID_TIMESTAMP_ORDER_BY_KEYS: `timestamp` means last_updated_timestamp.
  timestamp: 'updated_at',
};

const VERSION_ORDER: Readonly<Record<string, string>> = {
  name: 'name',
  version_number: 'version',
  creation_timestamp: 'created_at',
  last_updated_timestamp: 'updated_at',
};

function parseOrderBy(
  clauses: readonly string[] | undefined,
  keys: Readonly<Record<string, string>>,
): RegistryOrder[] {
  const out: RegistryOrder[] = [];
  const schema: IdentifierSchema = {
    prefixes: new Map(ATTRIBUTE_PREFIXES),
    prefixNames: ['attribute'],
    attributes: attributes([], Object.keys(keys)),
  };
  for (const clause of clauses ?? []) {
    const ts = new TokenStream(clause, 'order_by clause');
    if (ts.peek().type === 'eof') throw ts.fail('Could not be parsed: expected an attribute name');
    const id = readIdentifier(ts, schema);
    let ascending = true;
    let t = ts.next();
    if (t.type === 'word') {
      const direction = t.text.toUpperCase();
      if (direction !== 'ASC' && direction !== 'DESC') {
        throw invalidParam(
          `Invalid ordering key in order_by clause '${clause}'. Expected ASC or DESC, found '${t.text}'`,
        );
      }
      ascending = direction === 'ASC';
      t = ts.next();
    }
    if (t.type !== 'eof') throw ts.fail(`Could not be parsed: unexpected '${ts.restFrom(t)}'`);
    const key = keys[id.key]!;
    if (out.some((o) => o.key === key)) {
      throw invalidParam(`\`order_by\` contains duplicate fields: ${pyList(clauses ?? [])}`);
    }
    out.push({ key, ascending });
  }
  return out;
}

/**
 * Registered-model order: the given terms, then name ascending as MLflow's tie-breaker.
 * Keys: name, last_updated_timestamp (or `timestamp`), creation_timestamp.
 */
export function parseModelOrderBy(clauses: readonly string[] | undefined): RegistryOrder[] {
  const terms = parseOrderBy(clauses, MODEL_ORDER);
  if (!terms.some((t) => t.key === 'name')) terms.push({ key: 'name', ascending: true });
  return terms;
}

/**
 * Model-version order: the given terms (default: last_updated_timestamp DESC), then name ascending
 * and version descending, as MLflow's SQL store does.
 */
export function parseVersionOrderBy(clauses: readonly string[] | undefined): RegistryOrder[] {
  const terms = parseOrderBy(clauses?.length ? clauses : ['last_updated_timestamp DESC'], VERSION_ORDER);
  if (!terms.some((t) => t.key === 'name')) terms.push({ key: 'name', ascending: true });
  if (!terms.some((t) => t.key === 'version')) terms.push({ key: 'version', ascending: false });
  return terms;
}

/** MLflow's page-size limits: registered models default 100, at most 1000; versions up to 200,000. */
export const SEARCH_LIMITS = {
  models: { default: 100, max: 1000 },
  versions: { default: 200_000, max: 200_000 },
} as const;

/** Validates `max_results` the way MLflow words it. */
export function checkMaxResults(value: number | undefined, limits: { default: number; max: number }): number {
  const max = value ?? limits.default;
  if (!Number.isInteger(max) || max < 1) {
    throw invalidParam(
      `Invalid value for max_results. It must be a positive integer, but got ${max}`,
      'max_results',
    );
  }
  if (max > limits.max) {
    throw invalidParam(
      `Invalid value for request parameter max_results. It must be at most ${limits.max}, but got value ${max}`,
      'max_results',
    );
  }
  return max;
}

export interface RegistrySearch {
  filter?: string | undefined;
  maxResults?: number | undefined;
  orderBy?: string[] | undefined;
  pageToken?: string | undefined;
}

/**
 * MLflow's registered-models/search: the filter and order become one query over
 * `registered_models` (tag clauses are EXISTS sub-queries on their (name, key) row), paged by
 * offset tokens like MLflow's; the page's models are then loaded in a few batched queries.
 */
export async function searchModels(ctx: Context, s: RegistrySearch): Promise<Page<RegisteredModel>> {
  const max = checkMaxResults(s.maxResults, SEARCH_LIMITS.models);
  const clauses = parseModelFilter(s.filter);
  const order = parseModelOrderBy(s.orderBy);
  const offset = decodePageToken(s.pageToken);
  let q = ctx.store.db.selectFrom('registered_models as m').selectAll('m');
  for (const c of clauses) {
    q =
      c.kind === 'attribute'
        ? q.where((eb) => compare(eb, `m.${c.key}`, c.comparator, c.value))
        : q.where((eb) =>
            eb.exists(
              eb
                .selectFrom('registered_model_tags as t')
                .select(eb.lit(1).as('one'))
                .whereRef('t.name', '=', 'm.name')
                .where('t.key', '=', c.key)
                .where((eb2) => compare(eb2, 't.value', c.comparator, c.value)),
            ),
          );
  }
  for (const o of order) {
    q = q.orderBy(`m.${o.key as 'name' | 'created_at' | 'updated_at'}`, o.ascending ? 'asc' : 'desc');
  }
  const rows = await q
    .limit(max + 1)
    .offset(offset)
    .execute();
  return {
    items: await loadModels(ctx.store.db, rows.slice(0, max)),
    ...(rows.length > max ? { nextPageToken: encodePageToken(offset + max) } : {}),
  };
}

/** MLflow's model-versions/search, built the same way over `model_versions`. */
export async function searchVersions(ctx: Context, s: RegistrySearch): Promise<Page<ModelVersion>> {
  const max = checkMaxResults(s.maxResults, SEARCH_LIMITS.versions);
  const clauses = parseVersionFilter(s.filter);
  const order = parseVersionOrderBy(s.orderBy);
  const offset = decodePageToken(s.pageToken);
  let q = ctx.store.db.selectFrom('model_versions as v').selectAll('v');
  for (const c of clauses) {
    q =
      c.kind === 'attribute'
        ? q.where((eb) => compare(eb, `v.${c.key}`, c.comparator, c.value))
        : q.where((eb) =>
            eb.exists(
              eb
                .selectFrom('model_version_tags as t')
                .select(eb.lit(1).as('one'))
                .whereRef('t.name', '=', 'v.name')
                .whereRef('t.version', '=', 'v.version')
                .where('t.key', '=', c.key)
                .where((eb2) => compare(eb2, 't.value', c.comparator, c.value)),
            ),
          );
  }
  for (const o of order) {
    q = q.orderBy(
      `v.${o.key as 'name' | 'version' | 'created_at' | 'updated_at'}`,
      o.ascending ? 'asc' : 'desc',
    );
  }
  const rows = await q
    .limit(max + 1)
    .offset(offset)
    .execute();
  const items: ModelVersion[] = [];
  // loadVersions binds every name of its rows: chunks keep that under the dialects' limits.
  for (let i = 0; i < Math.min(rows.length, max); i += 1000) {
    items.push(...(await loadVersions(ctx.store.db, rows.slice(i, Math.min(i + 1000, max)))));
  }
  return {
    items,
    ...(rows.length > max ? { nextPageToken: encodePageToken(offset + max) } : {}),
  };
}

/**
 * MLflow's `latest_versions` of registered models: for each model, the highest version in each
 * stage (None, Staging, Production, Archived), in one query for all the given models. Each list
 * is ordered as MLflow builds it: stages by the lowest version that holds them.
 */
export async function latestVersionsByStage(db: Db, names: string[]): Promise<Map<string, ModelVersion[]>> {
  const out = new Map<string, ModelVersion[]>(names.map((n) => [n, []]));
  const first = new Map<string, number>();
  for (let i = 0; i < names.length; i += 1000) {
    const chunk = names.slice(i, i + 1000);
    // One join against the per-(model, stage) maximum: no OR chain, whose depth SQLite limits.
    const rows = await db
      .selectFrom('model_versions as v')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('model_versions')
            .select((eb2) => ['name', eb2.fn.max('version').as('latest'), eb2.fn.min('version').as('first')])
            .where('name', 'in', chunk)
            .groupBy(['name', 'current_stage'])
            .as('g'),
        (j) => j.onRef('g.name', '=', 'v.name').onRef('g.latest', '=', 'v.version'),
      )
      .selectAll('v')
      .select('g.first')
      .execute();
    for (const { first: f, ...row } of rows) first.set(`${row.name}\0${row.version}`, Number(f));
    for (const v of await loadVersions(
      db,
      rows.map(({ first: _, ...row }) => row),
    ))
      out.get(v.name)?.push(v);
  }
  for (const list of out.values()) {
    list.sort((a, b) => first.get(`${a.name}\0${a.version}`)! - first.get(`${b.name}\0${b.version}`)!);
  }
  return out;
}
