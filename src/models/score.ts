/**
 * Batch scoring of a table through any ONNX model: builds the feeds from the model's signature
 * (one input per named column, or one [N, F] input fed from a named feature list) and reads the
 * outputs as a classifier's labels/probabilities or a regressor's values. Keel's own models say
 * what they are in their `keel.*` metadata; for other exports the outputs' types decide.
 */
import { invalidParam } from '../core/errors.js';
import type { Typed } from '../data/schema.js';
import type { OnnxInfo, OnnxValue } from './onnx/read.js';
import { type Feed, type FeedType, type OnnxSession, type Output, predict } from './onnx/runtime.js';
import type { Task } from './train/types.js';

/** What a model predicted for every row; `classes` orders the probability columns. */
export interface Scored {
  task: Task;
  classes: (string | number)[] | null;
  labels: (string | number)[] | null;
  probabilities: Float64Array | null;
  values: Float64Array | null;
}

/** Columns by name, each `rows` long (a data Table or a slice of one). */
export interface Columns {
  rows: number;
  columns: Record<string, ArrayLike<Typed>>;
}

/** How to read a model: from its Keel metadata, or given by the caller for foreign exports. */
export interface ScoreOptions {
  /** Feature names for a single [N, F] input, in column order. */
  features?: string[];
  task?: Task;
  classes?: (string | number)[];
  batchRows?: number;
}

const FEED_TYPES: Partial<Record<string, FeedType>> = {
  float: 'float32',
  double: 'float64',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  string: 'string',
};

/** The task and classes a Keel-trained model records in its metadata, if it is one. */
export function keelModelMeta(
  info: Pick<OnnxInfo, 'metadataProps'>,
): { task: Task; classes: (string | number)[] | null } | null {
  const task = info.metadataProps['keel.task'];
  if (task !== 'binary' && task !== 'multiclass' && task !== 'regression') return null;
  const raw = info.metadataProps['keel.classes'];
  const classes = raw ? (JSON.parse(raw) as (string | number)[] | null) : null;
  return { task, classes };
}

/** Scores every row of `table` in batches. */
export async function scoreTable(
  session: OnnxSession,
  info: OnnxInfo,
  table: Columns,
  opts: ScoreOptions = {},
): Promise<Scored> {
  const plan = outputPlan(info, opts);
  const feedOf = feedBuilder(info, table, opts.features);
  const n = table.rows;
  const batch = opts.batchRows ?? 65_536;
  const labels: (string | number)[] | null = plan.label || plan.probs ? new Array(n) : null;
  const width = plan.classes?.length ?? 0;
  const probabilities = plan.probs ? new Float64Array(n * width) : null;
  const values = plan.value ? new Float64Array(n) : null;
  const wanted = [plan.label, plan.probs, plan.value].filter((x): x is string => x !== null);
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    const out = await predict(session, feedOf(start, end), { outputs: wanted });
    if (plan.probs && probabilities) {
      const p = out[plan.probs]!;
      checkWidth(p, end - start, width, plan.probs);
      probabilities.set(p.data as number[], start * width);
    }
    if (plan.value && values) values.set(numbers(out[plan.value]!), start);
    if (labels) {
      if (plan.label) {
        const l = out[plan.label]!.data as (string | number)[];
        for (let i = 0; i < end - start; i++) labels[start + i] = l[i]!;
      } else if (probabilities && plan.classes) {
        for (let i = start; i < end; i++) labels[i] = plan.classes[argmax(probabilities, i * width, width)]!;
      }
    }
  }
  return { task: plan.task, classes: plan.classes, labels, probabilities, values };
}

export interface OutputPlan {
  task: Task;
  classes: (string | number)[] | null;
  label: string | null;
  probs: string | null;
  value: string | null;
}

/** Which outputs hold a model's labels, probabilities or values (Keel metadata first, else output types). */
export function outputPlan(
  info: Pick<OnnxInfo, 'outputs' | 'metadataProps'>,
  opts: ScoreOptions,
): OutputPlan {
  const meta = keelModelMeta(info);
  const tensors = info.outputs.filter((o) => o.kind === 'tensor');
  if (meta) {
    if (meta.task === 'regression') return { ...meta, label: null, probs: null, value: 'prediction' };
    return { ...meta, label: 'label', probs: 'probabilities', value: null };
  }
  const label = tensors.find((o) => o.elemType === 'string' || o.elemType === 'int64') ?? null;
  const floats = tensors.filter((o) => o.elemType === 'float' || o.elemType === 'double');
  const width = (o: OnnxValue): number | null => {
    const last = o.shape?.[o.shape.length - 1];
    return o.shape && o.shape.length >= 2 && typeof last === 'number' ? last : null;
  };
  // [N, C] class probabilities; a width the file leaves open (ZipMap's input) counts when classes are known.
  const probs =
    floats.find((o) => (width(o) ?? 0) >= 2) ??
    (opts.classes ? floats.find((o) => o.shape?.length === 2 && width(o) === null) : undefined) ??
    null;
  const task =
    opts.task ??
    (label || probs
      ? (probs && width(probs)! > 2) || (opts.classes?.length ?? 2) > 2
        ? 'multiclass'
        : 'binary'
      : 'regression');
  if (task === 'regression') {
    const value = floats[0];
    if (!value) throw invalidParam('the model has no float output to read as a prediction', 'model');
    return { task, classes: null, label: null, probs: null, value: value.name };
  }
  if (!probs && !label) {
    throw invalidParam(
      `cannot tell which output is the prediction (outputs: ${info.outputs.map((o) => `${o.name}: ${o.type}`).join(', ')})`,
      'model',
    );
  }
  const classes = opts.classes ?? null;
  if (probs && !classes) {
    throw invalidParam(
      `output ${probs.name} holds class probabilities but the model does not name its classes; pass them (e.g. --classes 0,1)`,
      'classes',
    );
  }
  return { task, classes, label: label?.name ?? null, probs: probs?.name ?? null, value: null };
}

function feedBuilder(
  info: OnnxInfo,
  table: Columns,
  features?: string[],
): (start: number, end: number) => Record<string, Feed> {
  const inputs = info.inputs;
  const byColumn = inputs.every((i) => i.name in table.columns);
  if (byColumn) {
    return (start, end) =>
      Object.fromEntries(inputs.map((i) => [i.name, columnFeed(i, [table.columns[i.name]!], start, end)]));
  }
  const only = inputs.length === 1 ? inputs[0]! : null;
  const width = only?.shape?.length === 2 && typeof only.shape[1] === 'number' ? only.shape[1] : null;
  if (!only || width === null) {
    const missing = inputs.filter((i) => !(i.name in table.columns)).map((i) => i.name);
    throw invalidParam(`the data has no column for model input(s) ${missing.join(', ')}`, 'data');
  }
  if (!features || features.length !== width) {
    throw invalidParam(
      `model input ${only.name} takes ${width} features in one tensor; name them in order (e.g. --features a,b,c)`,
      'features',
    );
  }
  const cols = features.map((f) => {
    const c = table.columns[f];
    if (!c) throw invalidParam(`feature ${f} is not a column of the data`, 'features');
    return c;
  });
  return (start, end) => ({ [only.name]: columnFeed(only, cols, start, end) });
}

/** A [rows, cols.length] feed (or [rows] for a rank-1 input) of one element type. */
function columnFeed(input: OnnxValue, cols: ArrayLike<Typed>[], start: number, end: number): Feed {
  const type = FEED_TYPES[input.elemType ?? ''];
  if (!type || input.kind !== 'tensor') {
    throw invalidParam(
      `model input ${input.name} has type ${input.type}, which Keel cannot feed from a table`,
      'model',
    );
  }
  const rows = end - start;
  const w = cols.length;
  const dims = input.shape?.length === 1 ? [rows] : [rows, w];
  if (type === 'string') {
    const data = new Array<string>(rows * w);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < w; j++) {
        const v = cols[j]![start + i];
        data[i * w + j] = v === null || v === undefined ? '' : String(v);
      }
    return { type, data, dims };
  }
  const data = type === 'float32' ? new Float32Array(rows * w) : new Float64Array(rows * w);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < w; j++) data[i * w + j] = toNumber(cols[j]![start + i], input.name);
  if (type === 'int64' || type === 'int32' || type === 'bool') {
    if (data.some((v) => Number.isNaN(v)))
      throw invalidParam(`model input ${input.name} (${input.type}) cannot take missing values`, 'data');
    return { type, data: type === 'bool' ? Array.from(data, (v) => v !== 0) : data, dims };
  }
  return { type, data, dims };
}

function toNumber(v: Typed | undefined, input: string): number {
  if (v === null || v === undefined) return Number.NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(v);
  if (v.trim() === '' || Number.isNaN(n))
    throw invalidParam(`model input ${input} takes numbers; the data has ${JSON.stringify(v)}`, 'data');
  return n;
}

function numbers(o: Output): number[] {
  return o.data.map((v) => Number(v));
}

function checkWidth(o: Output, rows: number, width: number, name: string): void {
  if (o.data.length !== rows * width) {
    throw invalidParam(
      `output ${name} has ${o.data.length / rows} columns per row but ${width} classes were named`,
      'classes',
    );
  }
}

function argmax(a: Float64Array, off: number, w: number): number {
  let best = 0;
  for (let j = 1; j < w; j++) if (a[off + j]! > a[off + best]!) best = j;
  return best;
}
