/**
 * Parser for MLflow search filters (`runs/search`, `experiments/search`): comparisons joined by
 * AND, following mlflow/utils/search_utils.py. Pure: it validates and normalizes, and the store
 * turns the clauses into SQL. This module is the search entry point, so it re-exports order_by.
 */
import { invalidParam } from '../../core/errors.js';
import {
  type EntityKind,
  EXPERIMENT_IDENTIFIERS,
  type Identifier,
  type IdentifierSchema,
  isWord,
  pyList,
  RUN_IDENTIFIERS,
  readIdentifier,
  type Token,
  TokenStream,
} from './tokenizer.js';

export { type OrderBy, parseExperimentOrderBy, parseRunOrderBy } from './order-by.js';
export type { EntityKind } from './tokenizer.js';

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Clause {
  kind: EntityKind;
  key: string;
  comparator: Comparator;
  value: number | string | string[];
}

interface FilterSchema {
  identifiers: IdentifierSchema;
  comparators: (kind: EntityKind, numeric: boolean) => readonly Comparator[];
}

const NUMERIC: readonly Comparator[] = ['<', '<=', '>', '>=', '=', '!='];
const STRING: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const STRING_OR_LIST: readonly Comparator[] = [...STRING, 'IN', 'NOT IN'];

const RUN_FILTER: FilterSchema = {
  identifiers: RUN_IDENTIFIERS,
  comparators: (kind, numeric) => {
    if (numeric) return NUMERIC;
    // Newer MLflow versions accept IN / NOT IN on tags, but not on params.
    return kind === 'param' ? STRING : STRING_OR_LIST;
  },
};

const EXPERIMENT_FILTER: FilterSchema = {
  identifiers: EXPERIMENT_IDENTIFIERS,
  comparators: (_kind, numeric) => (numeric ? NUMERIC : STRING),
};

function readComparator(ts: TokenStream, id: Identifier, schema: FilterSchema): Comparator {
  const t = ts.next();
  let written: string;
  if (t.type === 'op') {
    written = t.text;
  } else if (t.type === 'word') {
    written = t.text;
    // NOT only ever pairs with the following keyword (NOT IN); take both for the message.
    if (isWord(t, 'NOT') && ts.peek().type === 'word') written = `${t.text} ${ts.next().text}`;
  } else {
    const found = t.type === 'eof' ? 'nothing' : `'${t.text}'`;
    throw ts.fail(`Expected a comparator after '${id.text}', found ${found}`);
  }
  const normalized = written.toUpperCase() as Comparator;
  const allowed = schema.comparators(id.kind, id.numeric);
  if (!allowed.includes(normalized)) {
    throw invalidParam(
      `Invalid comparator '${written}' for ${id.kind} '${id.key}'. Expected one of ${pyList(allowed)}`,
    );
  }
  return normalized;
}

/** Values are single- or double-quoted; backticks quote identifiers only, as in MLflow. */
const isStringLiteral = (t: Token): t is Extract<Token, { type: 'quoted' }> =>
  t.type === 'quoted' && t.quote !== '`';

function readList(ts: TokenStream, id: Identifier, comparator: Comparator): string[] {
  const open = ts.next();
  if (open.type !== 'punct' || open.text !== '(') {
    const found = open.type === 'eof' ? 'nothing' : `'${open.text}'`;
    throw ts.fail(
      `Expected a list like ('a', 'b') after ${comparator} for ${id.kind} '${id.key}', found ${found}`,
    );
  }
  if (ts.peek().text === ')') {
    throw invalidParam(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    );
  }
  const items: string[] = [];
  for (;;) {
    const item = ts.next();
    if (!isStringLiteral(item)) {
      const found = item.type === 'eof' ? 'an unclosed list' : `'${item.text}'`;
      throw invalidParam(
        `While parsing a list in the query, expected a quoted string value but got ${found} in '${ts.source}'`,
      );
    }
    items.push(item.value);
    const sep = ts.next();
    if (sep.type === 'punct' && sep.text === ')') return items;
    if (sep.type !== 'punct' || sep.text !== ',') {
      const found = sep.type === 'eof' ? 'an unclosed list' : `'${sep.text}'`;
      throw invalidParam(
        `While parsing a list in the query, expected ',' or ')' but got ${found} in '${ts.source}'`,
      );
    }
  }
}

function readValue(ts: TokenStream, id: Identifier, comparator: Comparator): Clause['value'] {
  if (comparator === 'IN' || comparator === 'NOT IN') return readList(ts, id, comparator);
  const t = ts.next();
  if (t.type === 'eof') throw ts.fail(`Expected a value for ${id.kind} '${id.key}' after '${comparator}'`);
  if (id.numeric) {
    if (t.type === 'number') return t.value;
    throw invalidParam(`Expected a numeric value for ${id.kind} '${id.key}'. Found ${t.text}`);
  }
  if (isStringLiteral(t)) return t.value;
  // MLflow's exact wording, which clients and users already recognize.
  throw invalidParam(
    'Parameter value is either not quoted or unidentified quote types used for string value ' +
      `${t.text}. Use either single or double quotes.`,
  );
}

function parseFilter(filter: string | undefined, schema: FilterSchema): Clause[] {
  if (filter === undefined || filter.trim() === '') return [];
  const ts = new TokenStream(filter, 'filter');
  const clauses: Clause[] = [];
  for (;;) {
    const id = readIdentifier(ts, schema.identifiers);
    const comparator = readComparator(ts, id, schema);
    clauses.push({ kind: id.kind, key: id.key, comparator, value: readValue(ts, id, comparator) });
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

/** Parses a `runs/search` filter. Attribute keys come back canonical (`created` → start_time). */
export const parseRunFilter = (filter: string | undefined): Clause[] => parseFilter(filter, RUN_FILTER);

/** Parses an `experiments/search` filter; clause kinds are 'attribute' or 'tag'. */
export const parseExperimentFilter = (filter: string | undefined): Clause[] =>
  parseFilter(filter, EXPERIMENT_FILTER);
