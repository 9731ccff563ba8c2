/**
 * Keel's native request shape: records (`[{feature: value}, …]`), or the same data by column, into
 * input tensors by feature name. A Keel-trained model takes one [N, 1] input per feature (float for
 * numeric features, string for categoricals); a packed model takes one [N, F] input fed from its
 * named features in order.
 *
 * Values (the `json` mode of values.ts):
 * - numeric inputs take numbers, null (missing: NaN, which the model imputes) and booleans (1/0,
 *   as training encoded boolean columns); strings are refused, even numeric ones, so a client
 *   sending "42" learns of it instead of the model seeing a silently parsed value;
 * - string inputs take strings, numbers and booleans (as String(v), as training did), and null as ''
 *   (the model reads '' as an unseen category, as it did for missing categories at training); for
 *   a Keel-trained model the missing-value tokens ('NA', 'null', …) also become '', as at training;
 * - integer and bool inputs take no missing values.
 * Every model feature must be a key of every record (null is how to say "missing"), and a key that
 * is not a feature is an error: extra fields are a client bug, unless listed in `allowExtra`.
 */
import { invalidParam } from '../../core/errors.js';
import type { Tensors } from '../runtime/types.js';
import type { ModelIO } from '../types.js';
import { dimsText, type IOPlan, ioPlan } from './plan.js';
import { allocate, badValue, feedType, flattenInto, isObject, type Mode, put, show } from './values.js';

/** Options of the record and column codecs. */
export interface FeedOptions {
  /** The request field named in errors (default `records`). */
  field?: string;
  /** Keys tolerated besides the features and ignored (e.g. a sticky-routing field). */
  allowExtra?: readonly string[];
}

/** Feeds and the number of rows they hold. */
export interface Feeds {
  feeds: Tensors;
  rows: number;
}

const NONE: readonly string[] = [];

/** Records (a non-empty array of `{feature: value}` objects) → input tensors. */
export function recordsToFeeds(records: unknown, io: ModelIO, opts: FeedOptions = {}): Feeds {
  const field = opts.field ?? 'records';
  const extra = opts.allowExtra ?? NONE;
  if (!Array.isArray(records) || records.length === 0) {
    throw invalidParam(`${field} must be a non-empty array of objects (feature → value)`, field);
  }
  const plan = ioPlan(io);
  const features = plan.features;
  const rows = records.length;
  for (let r = 0; r < rows; r++) checkRecord(records[r], r, plan, extra, field);
  const recs = records as Record<string, unknown>[];
  const feeds = build(plan, rows, (r, j) => recs[r]![features[j]!], 'json', recordLabel, field);
  return { feeds, rows };
}

/**
 * Columns (`{feature: [value per row]}`, every column `rows` long) → input tensors, with the same
 * rules as records; errors name the row.
 */
export function columnsToFeeds(
  columns: Record<string, unknown[]>,
  rows: number,
  io: ModelIO,
  opts: FeedOptions = {},
): Feeds {
  const field = opts.field ?? 'columns';
  if (!isObject(columns)) throw invalidParam(`${field} must be an object of feature → values`, field);
  if (!Number.isInteger(rows) || rows < 1)
    throw invalidParam(`${field}: there must be at least one row`, field);
  const plan = ioPlan(io);
  checkNames(Object.keys(columns), plan, opts.allowExtra ?? NONE, 'column', field);
  const cols = plan.features.map((f) => {
    const c = columns[f];
    if (!Array.isArray(c) || c.length !== rows) {
      throw invalidParam(
        `${field}: column ${f} has ${Array.isArray(c) ? `${c.length} values` : show(c)}, expected ${rows} values`,
        field,
      );
    }
    return c;
  });
  const feeds = build(plan, rows, (r, j) => cols[j]![r], 'json', rowLabel, field);
  return { feeds, rows };
}

/** Options of `tableToFeeds`: how values read, and how a row is named in errors. */
export interface TableOptions extends FeedOptions {
  mode?: Mode;
  /** Names row `r` in messages (default `row r`); CSV names its line. */
  label?: (r: number) => string;
}

/**
 * A table given as a header and row arrays (pandas' split orient, or CSV) → input tensors. Without a
 * header (null), or when a foreign single-input model's features are unnamed, values are fed by
 * position, as MLflow's ONNX flavor feeds `DataFrame.values`.
 */
export function tableToFeeds(
  header: string[] | null,
  data: unknown,
  io: ModelIO,
  opts: TableOptions = {},
): Feeds {
  const field = opts.field ?? 'data';
  const label = opts.label ?? rowLabel;
  const mode = opts.mode ?? 'json';
  if (!Array.isArray(data) || data.length === 0)
    throw invalidParam(`${field}: there must be at least one row`, field);
  const plan = ioPlan(io);
  const only = plan.positional;
  const byPosition =
    only !== null && (header === null || (!header.includes(only.name) && header.length === only.rowSize));
  if (header === null && !byPosition) {
    throw invalidParam(`${field}: name the columns (the model takes ${plan.featureList})`, field);
  }
  const width = header ? header.length : only!.rowSize;
  for (let r = 0; r < data.length; r++) {
    const row = data[r];
    if (!Array.isArray(row) || row.length !== width) {
      throw invalidParam(
        `${field}: ${label(r)} has ${Array.isArray(row) ? `${row.length} values` : show(row)}, expected ${width} values${
          header ? ` (columns: ${header.join(', ')})` : ''
        }`,
        field,
      );
    }
  }
  const rows = data as unknown[][];
  if (byPosition) {
    // The columns are the input's features in order: read it as a packed input over the header.
    const names = header ?? Array.from({ length: only!.rowSize }, (_, j) => `column ${j}`);
    const posPlan = { ...plan, packed: only, features: names };
    const feeds = build(posPlan, rows.length, (r, j) => rows[r]![j], mode, label, field);
    return { feeds, rows: rows.length };
  }
  const names = header!;
  checkNames(names, plan, opts.allowExtra ?? NONE, 'column', field);
  const at = plan.features.map((f) => names.indexOf(f));
  const feeds = build(plan, rows.length, (r, j) => rows[r]![at[j]!], mode, label, field);
  return { feeds, rows: rows.length };
}

const recordLabel = (r: number): string => `record ${r}`;
const rowLabel = (r: number): string => `row ${r}`;

function checkRecord(rec: unknown, r: number, plan: IOPlan, extra: readonly string[], field: string): void {
  if (!isObject(rec)) {
    throw invalidParam(`${field}: record ${r} must be an object of feature → value; got ${show(rec)}`, field);
  }
  const features = plan.features;
  for (let j = 0; j < features.length; j++) {
    if (!Object.hasOwn(rec, features[j]!)) {
      const missing = features.filter((f) => !Object.hasOwn(rec, f));
      throw invalidParam(
        `${field}: record ${r} is missing feature(s) ${missing.join(', ')} (the model takes ${plan.featureList})${hint(plan)}`,
        field,
      );
    }
  }
  // Every feature is a key, so any key beyond that count is unknown (or an allowed extra).
  let keys = 0;
  for (const _ in rec) keys++;
  if (keys === features.length) return;
  let allowed = 0;
  for (const x of extra) if (Object.hasOwn(rec, x) && !plan.featureIndex.has(x)) allowed++;
  if (keys === features.length + allowed) return;
  const unknown = Object.keys(rec).filter((k) => !plan.featureIndex.has(k) && !extra.includes(k));
  throw invalidParam(
    `${field}: record ${r} has unknown feature(s) ${unknown.join(', ')} (the model takes ${plan.featureList})`,
    field,
  );
}

/** Column names must be exactly the features (plus allowed extras), each once. */
function checkNames(
  names: string[],
  plan: IOPlan,
  extra: readonly string[],
  what: string,
  field: string,
): void {
  const seen = new Set<string>();
  const unknown: string[] = [];
  for (const n of names) {
    if (typeof n !== 'string')
      throw invalidParam(`${field}: ${what} names must be strings; got ${show(n)}`, field);
    if (seen.has(n)) throw invalidParam(`${field}: ${what} ${n} is given twice`, field);
    seen.add(n);
    if (!plan.featureIndex.has(n) && !extra.includes(n)) unknown.push(n);
  }
  const missing = plan.features.filter((f) => !seen.has(f));
  if (missing.length > 0) {
    throw invalidParam(
      `${field}: missing ${what}(s) ${missing.join(', ')} (the model takes ${plan.featureList})${hint(plan)}`,
      field,
    );
  }
  if (unknown.length > 0) {
    throw invalidParam(
      `${field}: unknown ${what}(s) ${unknown.join(', ')} (the model takes ${plan.featureList})`,
      field,
    );
  }
}

/** For a foreign model with one unnamed [N, F] input: how to send its rows instead. */
function hint(plan: IOPlan): string {
  const only = plan.positional;
  if (!only || only.rowSize <= 1) return '';
  return `; model input ${only.name} takes ${only.rowSize} unnamed values per row: send {"${only.name}": [${only.rowSize} values]} per row, or the rows as lists of values`;
}

/**
 * Builds the feeds for `rows` rows, reading feature `j` of row `r` with `get` (j indexes
 * `plan.features`). One typed array per input; values are converted as they are copied.
 */
function build(
  plan: IOPlan,
  rows: number,
  get: (r: number, j: number) => unknown,
  mode: Mode,
  label: (r: number) => string,
  field: string,
): Tensors {
  const feeds: Tensors = {};
  const tokens = plan.missingTokens;
  const packed = plan.packed;
  if (packed) {
    const type = feedType(packed);
    const w = plan.features.length;
    const out = allocate(type, rows * w);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < w; j++) {
        const v = get(r, j);
        if (!put(type, out, r * w + j, v, mode, tokens)) {
          throw badValue(`${field}: ${label(r)}: feature ${plan.features[j]}`, type, mode, v, field);
        }
      }
    }
    feeds[packed.name] = { type, dims: [rows, ...packed.rowDims], data: out };
    return feeds;
  }
  for (let j = 0; j < plan.inputs.length; j++) {
    const spec = plan.inputs[j]!;
    const type = feedType(spec);
    const size = spec.rowSize;
    const out = allocate(type, rows * size);
    for (let r = 0; r < rows; r++) {
      const v = get(r, j);
      if (size === 1) {
        if (!put(type, out, r, v, mode, tokens)) {
          throw badValue(`${field}: ${label(r)}: feature ${spec.name}`, type, mode, v, field);
        }
      } else if (Array.isArray(v)) {
        flattenInto(
          v,
          spec.rowDims,
          type,
          out,
          r * size,
          mode,
          tokens,
          `${field}: ${label(r)}: feature ${spec.name}`,
          field,
        );
      } else {
        throw invalidParam(
          `${field}: ${label(r)}: feature ${spec.name} takes ${size} values per row (shape ${dimsText(spec.rowDims)}); got ${show(v)}`,
          field,
        );
      }
    }
    feeds[spec.name] = { type, dims: [rows, ...spec.rowDims], data: out };
  }
  return feeds;
}
