/**
 * Preprocessing: which columns become features, how each is fitted (median imputation,
 * standardisation, category lists), and the dense float32-rounded matrix the trainers learn from.
 *
 * The matrix is bit-for-bit what the exported ONNX graph computes before its model node (see
 * export.ts): every value is rounded with Math.fround exactly where onnxruntime rounds to float —
 * the float input, the Imputer's float value, and Scaler's `(x - offset) * scale` done as two float
 * operations with `scale` = float(1 / std). So the trainer's predictions equal the served model's.
 *
 * Column layout: numeric features first (in feature order), then each categorical feature's block
 * in feature order — its one-hot columns (linear models) or a single ordinal code column (trees).
 */
import { invalidParam } from '../../core/errors.js';
import type { Typed } from '../../data/schema.js';
import { isNull, schemaColumn, type TrainTable, tableColumn } from './table.js';
import type { FittedFeature, Matrix, TrainerKind } from './types.js';

/** How categorical features become columns. */
export type Encoding = 'onehot' | 'ordinal';

/** Linear models one-hot encode and standardise; trees use ordinal codes on raw numbers. */
export const encodingFor = (kind: TrainerKind): Encoding => (kind === 'gbdt' ? 'ordinal' : 'onehot');

/** At most this many categories per feature (the most frequent); rarer ones read as unseen. */
export const MAX_CATEGORIES: Record<Encoding, number> = { onehot: 100, ordinal: 250 };

/** Schema types usable as features, by feature kind. */
const NUMERIC_TYPES = new Set(['integer', 'float', 'boolean']);

/** A column left out of the features, and why. */
export interface Skipped {
  name: string;
  reason: string;
}

/**
 * The feature columns: `requested` (checked), or every column but the target whose type a model can
 * use. Datetime and text columns are left out of the default with a reason.
 */
export function selectFeatures(
  table: TrainTable,
  target: string,
  requested?: string[],
): { names: string[]; skipped: Skipped[] } {
  const skipped: Skipped[] = [];
  if (requested) {
    const seen = new Set<string>();
    for (const name of requested) {
      const col = schemaColumn(table, name, 'features');
      if (name === target)
        throw invalidParam(`feature '${name}' is the target; leave it out of the features`, 'features');
      if (seen.has(name)) throw invalidParam(`feature '${name}' is listed twice`, 'features');
      seen.add(name);
      if (!usable(col.type)) {
        throw invalidParam(
          `feature '${name}' is a ${col.type} column; features must be integer, float, boolean or categorical`,
          'features',
        );
      }
    }
    return { names: [...requested], skipped };
  }
  const names: string[] = [];
  for (const col of table.schema.columns) {
    if (col.name === target) continue;
    if (usable(col.type)) names.push(col.name);
    else skipped.push({ name: col.name, reason: skipReason(col.type) });
  }
  return { names, skipped };
}

const usable = (type: string): boolean => NUMERIC_TYPES.has(type) || type === 'categorical';

function skipReason(type: string): string {
  if (type === 'datetime') return 'datetime column: derive numeric features (e.g. day of week) from it first';
  if (type === 'text') return 'text column: free text is not a feature the built-in trainers use';
  return `${type} column: not a supported feature type`;
}

/** A raw typed value as the number a float model input carries (NaN when missing or not a number). */
export function numericValue(v: Typed | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

/** A raw typed value as the string a categorical model input carries ('' when missing). */
export function categoricalValue(v: Typed | undefined): string {
  return isNull(v) ? '' : String(v);
}

/**
 * Fits each named feature on the rows at `index` (all rows when omitted). Features with no value
 * in those rows are dropped into `skipped`.
 */
export function fitFeatures(
  table: TrainTable,
  names: string[],
  encoding: Encoding,
  index?: ArrayLike<number>,
): { features: FittedFeature[]; skipped: Skipped[] } {
  const features: FittedFeature[] = [];
  const skipped: Skipped[] = [];
  const n = index ? index.length : table.rows;
  const at = (i: number): number => (index ? index[i]! : i);
  for (const name of names) {
    const sourceType = schemaColumn(table, name, 'features').type;
    const values = tableColumn(table, name, 'features');
    if (NUMERIC_TYPES.has(sourceType)) {
      const f = fitNumeric(name, sourceType, values, n, at, encoding === 'onehot');
      if (f) features.push(f);
      else skipped.push({ name, reason: 'no numeric value in the training rows' });
    } else {
      const f = fitCategorical(name, sourceType, values, n, at, MAX_CATEGORIES[encoding]);
      if (f) features.push(f);
      else skipped.push({ name, reason: 'no value in the training rows' });
    }
  }
  return { features, skipped };
}

function fitNumeric(
  name: string,
  sourceType: string,
  values: ArrayLike<Typed>,
  n: number,
  at: (i: number) => number,
  standardise: boolean,
): FittedFeature | null {
  const finite = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const raw = numericValue(values[at(i)]);
    const x = Math.fround(raw);
    if (Number.isFinite(x)) finite[k++] = x;
    else if (!Number.isNaN(x)) {
      // ±Infinity (or beyond float32's range) would poison the moments and the trainers alike.
      throw invalidParam(
        `feature '${name}' has a value that is infinite in float32 (row ${at(i)}: ${raw})`,
        'data',
      );
    }
  }
  if (k === 0) return null;
  const sorted = finite.subarray(0, k).sort();
  const mid = k >> 1;
  const median = k % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const f: FittedFeature = {
    name,
    kind: 'numeric',
    sourceType,
    impute: Math.fround(median),
    min: sorted[0]!,
    max: sorted[k - 1]!,
  };
  if (standardise) {
    // Moments of the column as the model sees it: imputed, in float32.
    const imputed = (i: number): number => {
      const x = Math.fround(numericValue(values[at(i)]));
      return Number.isNaN(x) ? f.impute! : x;
    };
    let sum = 0;
    for (let i = 0; i < n; i++) sum += imputed(i);
    const mean = Math.fround(sum / n);
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (imputed(i) - mean) ** 2;
    const std = Math.sqrt(ss / n);
    f.mean = mean;
    f.scale = std > 0 && Number.isFinite(std) && Number.isFinite(1 / std) ? std : 1;
  }
  return f;
}

function fitCategorical(
  name: string,
  sourceType: string,
  values: ArrayLike<Typed>,
  n: number,
  at: (i: number) => number,
  max: number,
): FittedFeature | null {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const v = values[at(i)];
    if (isNull(v)) continue;
    const s = String(v);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  if (counts.size === 0) return null;
  let cats = [...counts.keys()];
  if (cats.length > max) {
    cats.sort((a, b) => counts.get(b)! - counts.get(a)! || cmp(a, b));
    cats = cats.slice(0, max);
  }
  return { name, kind: 'categorical', sourceType, categories: cats.sort(cmp) };
}

/** Code-unit order: the same on every machine and locale. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The multiplier Scaler applies: float(1 / std), as the graph's `scale` attribute holds it. */
export const scalerMultiplier = (f: FittedFeature): number => Math.fround(1 / (f.scale ?? 1));

/** Numeric features first, then categorical ones: the matrix's (and the graph's) order. */
export function orderedFeatures(features: FittedFeature[]): FittedFeature[] {
  return [
    ...features.filter((f) => f.kind === 'numeric'),
    ...features.filter((f) => f.kind === 'categorical'),
  ];
}

/** Names of the matrix columns: numeric names, `name=category` (one-hot) or the name (ordinal). */
export function matrixColumns(features: FittedFeature[], encoding: Encoding): string[] {
  const cols: string[] = [];
  for (const f of orderedFeatures(features)) {
    if (f.kind === 'numeric' || encoding === 'ordinal') cols.push(f.name);
    else for (const c of f.categories ?? []) cols.push(`${f.name}=${c}`);
  }
  return cols;
}

/**
 * The float32-rounded feature matrix of `table`'s rows at `index` (all when omitted), exactly as the
 * exported graph computes it: unseen or missing categories are all-zero (one-hot) or -1 (ordinal).
 */
export function buildMatrix(
  features: FittedFeature[],
  encoding: Encoding,
  table: TrainTable,
  index?: ArrayLike<number>,
): Matrix {
  const rows = index ? index.length : table.rows;
  const cols = matrixColumns(features, encoding).length;
  const data = new Float64Array(rows * cols);
  const at = (i: number): number => (index ? index[i]! : i);
  let offset = 0;
  for (const f of orderedFeatures(features)) {
    const values = tableColumn(table, f.name, 'features');
    if (f.kind === 'numeric') {
      const impute = Math.fround(f.impute ?? 0);
      const scaled = f.mean !== undefined;
      const mean = Math.fround(f.mean ?? 0);
      const mult = scalerMultiplier(f);
      for (let i = 0; i < rows; i++) {
        let x = Math.fround(numericValue(values[at(i)]));
        if (Number.isNaN(x)) x = impute;
        if (scaled) x = Math.fround(Math.fround(x - mean) * mult);
        data[i * cols + offset] = x;
      }
      offset += 1;
      continue;
    }
    const cats = f.categories ?? [];
    const code = new Map(cats.map((c, j) => [c, j]));
    for (let i = 0; i < rows; i++) {
      const j = code.get(categoricalValue(values[at(i)]));
      if (encoding === 'ordinal') data[i * cols + offset] = j ?? -1;
      else if (j !== undefined) data[i * cols + offset + j] = 1;
    }
    offset += encoding === 'ordinal' ? 1 : cats.length;
  }
  return { rows, cols, data };
}
