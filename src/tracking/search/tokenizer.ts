/**
 * Tokenizer for MLflow's search dialect (filter strings and order_by clauses), plus the identifier
 * forms (`<prefix>.<key>`) both parsers share; they live here so filter.ts can re-export the
 * order_by parser without an import cycle.
 *
 * MLflow parses this dialect with Python's sqlparse plus ad-hoc checks. There is no maintained npm
 * library for it, and a general SQL parser accepts far more than MLflow does (OR, functions,
 * sub-queries), so we lex the small subset by hand and let the parsers reject everything else.
 */
import { invalidParam, type KeelError } from '../../core/errors.js';

/** '"' and '`' quote identifiers (keys); "'" and '"' quote string values. */
export type Quote = "'" | '"' | '`';

export type Token =
  /** Bare identifier or keyword; may contain dots (`tags.mlflow.user`), keywords are matched later. */
  | { type: 'word'; text: string; pos: number }
  | { type: 'number'; text: string; pos: number; value: number }
  | { type: 'quoted'; text: string; pos: number; quote: Quote; value: string }
  /** A run of comparator characters; kept whole so `~` or `==` is reported as an invalid comparator. */
  | { type: 'op'; text: string; pos: number }
  | { type: 'punct'; text: '(' | ')' | ',' | '.'; pos: number }
  | { type: 'eof'; text: ''; pos: number };

const WORD = /[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*/y;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD_CHAR = /[A-Za-z0-9_.]/;
const OP = /[=!<>~]+/y;

const matchAt = (re: RegExp, src: string, pos: number): string | undefined => {
  re.lastIndex = pos;
  return re.exec(src)?.[0];
};

/**
 * Scans a quoted string starting at `start`. Escapes: a doubled quote (SQL style) or a backslash
 * before the quote stands for the quote, and `\\` for one backslash. Any other backslash is kept
 * as-is, so LIKE escapes such as `\%` and `\_` reach the SQL layer untouched.
 */
const scanQuoted = (src: string, start: number, fail: (detail: string) => KeelError) => {
  const quote = src[start] as Quote;
  let value = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === '\\' && (next === quote || next === '\\')) {
      value += next;
      i += 2;
    } else if (c === quote && next === quote) {
      value += quote;
      i += 2;
    } else if (c === quote) {
      return { value, end: i + 1 };
    } else {
      value += c;
      i += 1;
    }
  }
  throw fail(`Unterminated string starting at position ${start}: ${src.slice(start)}`);
};

/** `what` names the input in error messages: "filter" or "order_by clause". */
export function tokenize(src: string, what: string): Token[] {
  const fail = (detail: string) => invalidParam(`Invalid ${what} '${src}'. ${detail}`);
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < src.length) {
    const c = src[pos]!;
    if (/\s/.test(c)) {
      pos += 1;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const { value, end } = scanQuoted(src, pos, fail);
      tokens.push({ type: 'quoted', text: src.slice(pos, end), pos, quote: c, value });
      pos = end;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: 'punct', text: c, pos });
      pos += 1;
      continue;
    }
    const op = matchAt(OP, src, pos);
    if (op) {
      tokens.push({ type: 'op', text: op, pos });
      pos += op.length;
      continue;
    }
    const num = matchAt(NUMBER, src, pos);
    if (num) {
      const after = pos + num.length;
      // `1abc` or `1.2.3` is one bad value, not a number followed by garbage.
      let end = after;
      while (end < src.length && WORD_CHAR.test(src[end]!)) end += 1;
      if (end === after) tokens.push({ type: 'number', text: num, pos, value: Number(num) });
      else tokens.push({ type: 'word', text: src.slice(pos, end), pos });
      pos = end;
      continue;
    }
    const word = matchAt(WORD, src, pos);
    if (word) {
      tokens.push({ type: 'word', text: word, pos });
      pos += word.length;
      continue;
    }
    if (c === '.') {
      tokens.push({ type: 'punct', text: '.', pos });
      pos += 1;
      continue;
    }
    throw fail(
      `Unexpected character '${c}' at position ${pos}. ` +
        'Keys with special characters must be quoted, e.g. metrics."cross-entropy"',
    );
  }
  tokens.push({ type: 'eof', text: '', pos: src.length });
  return tokens;
}

/** Cursor over a token list that always ends in `eof`, with errors phrased for the whole input. */
export class TokenStream {
  private index = 0;
  private readonly tokens: Token[];

  constructor(
    readonly source: string,
    readonly what: string,
  ) {
    this.tokens = tokenize(source, what);
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  next(): Token {
    const token = this.peek();
    if (token.type !== 'eof') this.index += 1;
    return token;
  }

  /** The untokenized source from `token` on, for naming trailing garbage. */
  restFrom(token: Token): string {
    return this.source.slice(token.pos).trim();
  }

  fail(detail: string): KeelError {
    return invalidParam(`Invalid ${this.what} '${this.source}'. ${detail}`);
  }
}

/** Formats a list the way MLflow's Python messages do: ['a', 'b']. */
export const pyList = (items: readonly string[]): string => `[${items.map((i) => `'${i}'`).join(', ')}]`;

export const isWord = (token: Token, keyword: string): boolean =>
  token.type === 'word' && token.text.toUpperCase() === keyword;

export type EntityKind = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

/** Accepted attribute spelling → canonical key and whether its values are numbers. */
export type AttributeMap = ReadonlyMap<string, { key: string; numeric: boolean }>;

export interface IdentifierSchema {
  prefixes: ReadonlyMap<string, EntityKind>;
  /** Canonical prefix names, for "valid values are" messages. */
  prefixNames: readonly string[];
  attributes: AttributeMap;
}

const attributeMap = (numeric: string[], strings: string[], aliases: Record<string, string> = {}) => {
  const map = new Map<string, { key: string; numeric: boolean }>();
  for (const key of numeric) map.set(key, { key, numeric: true });
  for (const key of strings) map.set(key, { key, numeric: false });
  for (const [alias, key] of Object.entries(aliases)) map.set(alias, map.get(key)!);
  return map;
};

const prefixMap = (aliases: Partial<Record<EntityKind, string[]>>): ReadonlyMap<string, EntityKind> =>
  new Map(
    Object.entries(aliases).flatMap(([kind, names]) => names.map((n) => [n, kind as EntityKind] as const)),
  );

export const RUN_IDENTIFIERS: IdentifierSchema = {
  prefixes: prefixMap({
    metric: ['metric', 'metrics'],
    param: ['param', 'params', 'parameter', 'parameters'],
    tag: ['tag', 'tags'],
    attribute: ['attribute', 'attributes', 'attr', 'run'],
    dataset: ['dataset', 'datasets'],
  }),
  prefixNames: ['metric', 'parameter', 'tag', 'attribute', 'dataset'],
  attributes: attributeMap(
    ['start_time', 'end_time'],
    ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage'],
    // MLflow's SearchUtils.translate_key_alias: the UI's column names.
    {
      'run name': 'run_name',
      'Run name': 'run_name',
      'Run Name': 'run_name',
      created: 'start_time',
      Created: 'start_time',
    },
  ),
};

export const EXPERIMENT_IDENTIFIERS: IdentifierSchema = {
  prefixes: prefixMap({ attribute: ['attribute', 'attributes', 'attr'], tag: ['tag', 'tags'] }),
  prefixNames: ['attribute', 'tag'],
  attributes: attributeMap(['creation_time', 'last_update_time'], ['name']),
};

const DATASET_KEYS = ['context', 'digest', 'name'];

export interface Identifier {
  kind: EntityKind;
  /** Canonical for attributes (`created` → start_time). */
  key: string;
  /** True for metrics and numeric attributes: their values are numbers. */
  numeric: boolean;
  /** As written, for messages. */
  text: string;
}

const isKeyQuote = (t: Token): t is Extract<Token, { type: 'quoted' }> =>
  t.type === 'quoted' && t.quote !== "'";

/** Reads `<prefix>.<key>`, `<prefix>."quoted key"` or a bare (possibly quoted) attribute name. */
export function readIdentifier(ts: TokenStream, schema: IdentifierSchema): Identifier {
  const t = ts.next();
  let prefix: string | undefined;
  let key: string;
  let text = t.text;
  if (isKeyQuote(t)) {
    key = t.value;
  } else if (t.type !== 'word') {
    const found = t.type === 'eof' ? 'nothing' : `'${t.text}'`;
    throw ts.fail(`Expected an identifier such as metrics.<key> or tags."<key>", found ${found}`);
  } else if (t.text.includes('.')) {
    // Dots after the prefix belong to the key: tags.mlflow.user → key `mlflow.user`.
    const dot = t.text.indexOf('.');
    prefix = t.text.slice(0, dot);
    key = t.text.slice(dot + 1);
  } else if (ts.peek().type === 'punct' && ts.peek().text === '.') {
    ts.next();
    const quoted = ts.next();
    if (!isKeyQuote(quoted)) {
      throw ts.fail(
        `Invalid identifier '${t.text}.${quoted.text}'. Quote keys with double quotes or backticks`,
      );
    }
    prefix = t.text;
    key = quoted.value;
    text = `${t.text}.${quoted.text}`;
  } else {
    key = t.text;
  }

  let kind: EntityKind = 'attribute';
  if (prefix !== undefined) {
    const resolved = schema.prefixes.get(prefix);
    if (!resolved) {
      throw invalidParam(`Invalid entity type '${prefix}'. Valid values are ${pyList(schema.prefixNames)}`);
    }
    kind = resolved;
  }
  if (key === '') throw ts.fail(`Invalid identifier '${text}'. The key must not be empty`);
  if (kind === 'attribute') {
    const attr = schema.attributes.get(key);
    if (!attr) {
      const valid = pyList([...schema.attributes.keys()].sort());
      throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are ${valid}`);
    }
    return { kind, key: attr.key, numeric: attr.numeric, text };
  }
  if (kind === 'dataset' && !DATASET_KEYS.includes(key)) {
    throw invalidParam(`Invalid dataset key '${key}' specified. Valid keys are ${pyList(DATASET_KEYS)}`);
  }
  return { kind, key, numeric: kind === 'metric', text };
}
