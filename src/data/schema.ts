import fs from 'node:fs/promises';
import YAML from 'yaml';
import { z } from 'zod';
import { invalidParam } from '../core/errors.js';
import type { ColumnType } from '../stats/types.js';
import type { BadRow, DataSchema, RawRow, SchemaColumn, TableReader } from './formats/types.js';

/**
 * Column types from raw values, and raw values to typed ones.
 *
 * Missing values: JSON/Parquet null (and undefined, NaN), and the strings in `MISSING` after
 * trimming: '', 'NA', 'NaN', 'null', 'None'. They never decide a type.
 *
 * Inference over the non-missing values of a sample, first rule that holds:
 *   boolean   every value is true/false/True/False/TRUE/FALSE (or a JSON/Parquet boolean); 0/1 are integers
 *   integer   every value is a whole number within ±2^53 (longer digit strings are identifiers: strings)
 *   float     every value is a number (integers mixed with decimals, exponents, Infinity)
 *   datetime  every value is an ISO 8601 date or date-time (or a Parquet timestamp/date)
 *   categorical  strings (or mixed) with ≤ 50 distinct values, or distinct values ≤ 5% of the values
 *   text      anything else; also a column with no non-missing value at all
 */
export const MISSING: ReadonlySet<string> = new Set(['', 'NA', 'NaN', 'null', 'None']);
/** A string column is categorical with at most this many distinct values in the sample... */
export const CATEGORICAL_MAX_DISTINCT = 50;
/** ...or with distinct values at most this share of its non-missing values. */
export const CATEGORICAL_MAX_RATIO = 0.05;

/** Returned by `coerce` for a value that does not fit its column type. */
export const BAD: unique symbol = Symbol('bad value');
/** A typed value: numbers (datetimes as epoch ms), strings, booleans; null when missing. */
export type Typed = number | string | boolean | null;

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:Infinity|inf)$/i;
const BOOLEAN: Record<string, boolean> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
};
// Date, or date-time with optional seconds, fraction and offset; a space may stand for the 'T'.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** True for null/undefined/NaN and the missing-value tokens. */
export function isMissing(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  return typeof v === 'string' && MISSING.has(v.trim());
}

/**
 * Epoch ms of an ISO 8601 date or date-time, or null. Without an offset it is read as UTC (never
 * the machine's zone, so results do not depend on where Keel runs); impossible dates are refused.
 */
export function parseIsoDatetime(s: string): number | null {
  const m = ISO.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const t = new Date(0);
  // setUTCFullYear, not Date.UTC: the latter maps years 0-99 to 1900-1999.
  t.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  t.setUTCHours(Number(h), Number(mi), Number(sec), Number(frac.padEnd(3, '0').slice(0, 3)));
  // Out-of-range fields roll over (2024-02-30 becomes March 1st): refuse them instead.
  if (
    t.getUTCMonth() !== Number(mo) - 1 ||
    t.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(sec) > 59
  )
    return null;
  const ms = t.getTime();
  if (!zone || zone === 'Z') return ms;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
  return ms - sign * offset * 60_000;
}

type Kind = 'boolean' | 'integer' | 'float' | 'datetime' | 'string';

/** The narrowest kind a single non-missing raw value fits. */
function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? 'integer' : 'float';
    case 'bigint':
      return 'integer';
    case 'string': {
      const t = v.trim();
      if (Object.hasOwn(BOOLEAN, t)) return 'boolean';
      if (INTEGER.test(t)) return Number.isSafeInteger(Number(t)) ? 'integer' : 'string';
      if (FLOAT.test(t)) return 'float';
      if (parseIsoDatetime(t) !== null) return 'datetime';
      return 'string';
    }
    default:
      return v instanceof Date ? 'datetime' : 'string';
  }
}

/** Accumulates one column's evidence over the sample. */
class ColumnEvidence {
  kinds = new Set<Kind>();
  values = 0;
  missing = 0;
  distinct = new Set<string>();
  /** Set once more distinct values were seen than any categorical column of this sample can have. */
  overflow = false;

  constructor(private readonly limit: number) {}

  add(v: unknown): void {
    if (isMissing(v)) {
      this.missing++;
      return;
    }
    this.values++;
    this.kinds.add(kindOf(v));
    if (this.overflow) return;
    this.distinct.add(asString(v));
    if (this.distinct.size > this.limit) {
      this.overflow = true;
      this.distinct.clear();
    }
  }

  type(): ColumnType {
    const k = this.kinds;
    if (k.size === 0) return 'text';
    if (k.size === 1 && !k.has('string')) return [...k][0] as ColumnType;
    if (k.size === 2 && k.has('integer') && k.has('float')) return 'float';
    if (this.overflow) return 'text';
    const d = this.distinct.size;
    return d <= CATEGORICAL_MAX_DISTINCT || d <= this.values * CATEGORICAL_MAX_RATIO ? 'categorical' : 'text';
  }
}

/** What `inferSchema` read: the schema, the sampled rows, and whether they are the whole file. */
export interface InferredSchema {
  schema: DataSchema;
  sample: RawRow[];
  /** True when the sample is every well-formed row of the file (no second pass needed). */
  complete: boolean;
}

/**
 * Infers column types from the first `sampleRows` rows of one pass of `reader.rows()` (the pass is
 * closed afterwards; the rows are given back). `override` (e.g. from `parseSchemaFile`) replaces
 * the inferred type and nullability of the columns it names. Nullability is exact when the sample is
 * the whole file; otherwise every column is nullable, since a later row may miss a value.
 */
export async function inferSchema(
  reader: TableReader,
  sampleRows = 10_000,
  override?: DataSchema & { file?: string },
): Promise<InferredSchema> {
  // Distinct values are tracked only up to the most a categorical column of this sample can have.
  const limit = Math.max(CATEGORICAL_MAX_DISTINCT, Math.floor(sampleRows * CATEGORICAL_MAX_RATIO));
  const evidence = reader.columns.map(() => new ColumnEvidence(limit));
  const sample: RawRow[] = [];
  let complete = true;
  for await (const row of reader.rows()) {
    if (sample.length >= sampleRows) {
      complete = false;
      break;
    }
    sample.push(row);
    for (const [i, e] of evidence.entries()) e.add(row.values[i]);
  }
  const columns: SchemaColumn[] = reader.columns.map((name, i) => ({
    name,
    type: evidence[i]!.type(),
    nullable: complete ? evidence[i]!.missing > 0 : true,
  }));
  return {
    schema: override ? applyOverride(reader.file, { columns }, override) : { columns },
    sample,
    complete,
  };
}

/** `inferred` with the columns named in `override` replaced; naming a column the file lacks is an error. */
export function applyOverride(
  file: string,
  inferred: DataSchema,
  override: DataSchema & { file?: string },
): DataSchema {
  const byName = new Map(override.columns.map((c) => [c.name, c]));
  for (const name of byName.keys()) {
    if (!inferred.columns.some((c) => c.name === name))
      throw invalidParam(`${override.file ?? 'schema'}: column "${name}" is not in ${file}`, name);
  }
  return { columns: inferred.columns.map((c) => byName.get(c.name) ?? c) };
}

/** Converts a raw value to its column type: null when missing, `BAD` when it does not fit. */
export function coerce(value: unknown, type: ColumnType): Typed | typeof BAD {
  if (isMissing(value)) return null;
  const s = typeof value === 'string' ? value.trim() : undefined;
  switch (type) {
    case 'integer':
      if (typeof value === 'number') return Number.isSafeInteger(value) ? value : BAD;
      if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : BAD;
      if (s !== undefined && INTEGER.test(s)) return Number.isSafeInteger(Number(s)) ? Number(s) : BAD;
      return BAD;
    case 'float':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      if (s !== undefined && FLOAT.test(s))
        return /inf/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s);
      return BAD;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      return s !== undefined && Object.hasOwn(BOOLEAN, s) ? BOOLEAN[s]! : BAD;
    case 'datetime':
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? BAD : value.getTime();
      return s !== undefined ? (parseIsoDatetime(s) ?? BAD) : BAD;
    default:
      return asString(value);
  }
}

/** Raw value as a string for categorical/text columns. */
function asString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

/** Whether `s` starts and ends with a printable ASCII character (no trimming needed). */
const untrimmed = (s: string): boolean => {
  const a = s.charCodeAt(0);
  const z = s.charCodeAt(s.length - 1);
  return a > 32 && a < 127 && z > 32 && z < 127;
};

/**
 * `coerce(s, 'float')` for a string, without a regex for the common case: a plain decimal is read
 * by `Number`, which agrees with `FLOAT` on every string starting with a digit, sign or dot except
 * '0x'/'0b'/'0o' prefixes (refused by FLOAT); trailing whitespace `Number` skips is what `coerce`
 * trims. Anything else (NaN from `Number`: 'inf', 'NA', ...) takes the general path.
 */
function floatOf(s: string): Typed | typeof BAD {
  const c = s.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    const c1 = s.charCodeAt(1) | 32; // lower case
    if (!(c === 48 && (c1 === 120 || c1 === 98 || c1 === 111))) {
      const n = Number(s);
      if (!Number.isNaN(n)) return n;
    }
  }
  return coerce(s, 'float');
}

/** `coerce(s, 'integer')` for a string: optional sign and up to 15 digits go straight to `Number`. */
function integerOf(s: string): Typed | typeof BAD {
  const n = s.length;
  if (n > 0 && n <= 15) {
    let i = s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43 ? 1 : 0;
    if (i < n) {
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 48 || c > 57) break;
      }
      if (i === n) return Number(s);
    }
  }
  return coerce(s, 'integer');
}

/** `coerce(s, 'categorical' | 'text')` for a string: only strings with outer spaces need a trim. */
function stringOf(s: string): Typed | typeof BAD {
  if (s.length > 0 && untrimmed(s)) return MISSING.has(s) ? null : s;
  return coerce(s, 'text');
}

/** Per column type, `coerce` specialised for string values (any other value goes to `coerce`). */
const FROM_STRING: Partial<Record<ColumnType, (s: string) => Typed | typeof BAD>> = {
  float: floatOf,
  integer: integerOf,
  categorical: stringOf,
  text: stringOf,
};

/**
 * A function typing the rows of `reader` under `schema`, by column name: typed values in schema
 * order, or a BadRow naming the file, line and column that did not fit (or is missing while not
 * nullable). A schema column the file lacks is an error up front. With `reuse`, every row is typed
 * into the same array (the caller must be done with it before typing the next row).
 */
export function rowCoercer(
  reader: TableReader,
  schema: DataSchema,
  opts: { reuse?: boolean } = {},
): (row: RawRow) => Typed[] | BadRow {
  const cols = schema.columns;
  const index = cols.map((c) => {
    const i = reader.columns.indexOf(c.name);
    if (i < 0)
      throw invalidParam(
        `${reader.file}: has no column "${c.name}" (columns: ${reader.columns.join(', ')})`,
        c.name,
      );
    return i;
  });
  const types = cols.map((c) => c.type);
  const nullable = cols.map((c) => c.nullable);
  const fast = cols.map((c) => FROM_STRING[c.type]);
  const width = cols.length;
  const buffer: Typed[] = new Array<Typed>(width).fill(null);
  return (row) => {
    const values = row.values;
    const out: Typed[] = opts.reuse ? buffer : [];
    for (let j = 0; j < width; j++) {
      const raw = values[index[j]!];
      const f = fast[j];
      const v = f !== undefined && typeof raw === 'string' ? f(raw) : coerce(raw, types[j]!);
      if (v === BAD)
        return badValue(
          row,
          cols[j]!.name,
          `value ${JSON.stringify(asString(raw)).slice(0, 60)} is not ${article(types[j]!)}`,
        );
      if (v === null && !nullable[j])
        return badValue(row, cols[j]!.name, 'missing value in a non-nullable column');
      out[j] = v;
    }
    return out;
  };
}

const article = (t: ColumnType): string =>
  t === 'integer' ? 'an integer' : `a ${t === 'float' ? 'number' : t}`;
const badValue = (row: RawRow, column: string, why: string): BadRow => ({
  file: row.file,
  line: row.line,
  reason: `column "${column}": ${why}`,
});

const SchemaFileSchema = z.strictObject({
  columns: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        type: z.enum(['integer', 'float', 'boolean', 'categorical', 'datetime', 'text']),
        nullable: z.boolean().default(true),
      }),
    )
    .min(1),
});

/** A schema read from a file; `file` names it in later errors. */
export interface SchemaFile extends DataSchema {
  file: string;
}

/**
 * Reads a YAML or JSON schema file `{columns: [{name, type, nullable?}]}` (nullable defaults to
 * true; unknown keys are refused so a typo does not pass silently).
 */
export async function parseSchemaFile(file: string): Promise<SchemaFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw invalidParam(
      `${file}: cannot read schema file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'schema',
    );
  }
  let doc: unknown;
  try {
    // YAML 1.2 is a superset of JSON: one parser for both.
    doc = YAML.parse(text);
  } catch (e) {
    throw invalidParam(`${file}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`, 'schema');
  }
  const parsed = SchemaFileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.path.length === 0)
      throw invalidParam(`${file}: expected a mapping with a "columns" list (${issue.message})`, 'columns');
    const field = issue.path.join('.');
    throw invalidParam(`${file}: ${field}: ${issue.message}`, field);
  }
  const seen = new Set<string>();
  for (const [i, c] of parsed.data.columns.entries()) {
    if (seen.has(c.name))
      throw invalidParam(`${file}: columns.${i}.name: duplicate column "${c.name}"`, `columns.${i}.name`);
    seen.add(c.name);
  }
  return { file, columns: parsed.data.columns };
}
