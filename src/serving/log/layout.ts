/**
 * How one request's tensors read as table columns for the prediction log: input features
 * (named [N,1] inputs → one column each; a packed [N,F] input → the model's feature names, else
 * `<input>_<j>`) and prediction outputs (`prediction.label`, `prediction.score`,
 * `prediction.value`, or `output.<name>` for models whose outputs say nothing about a prediction).
 */
import type { CellValue } from '../../stats/profile.js';
import type { ColumnType } from '../../stats/types.js';
import type { TensorData, Tensors } from '../runtime/types.js';
import type { ModelIO, RowPrediction } from '../types.js';

export const LABEL_COLUMN = 'prediction.label';
export const SCORE_COLUMN = 'prediction.score';
export const VALUE_COLUMN = 'prediction.value';
/** Multiclass: the probability of the predicted class (what label-free estimation reads). */
export const CONFIDENCE_COLUMN = 'prediction.confidence';

/** One input column: which tensor, and which of its `width` values per row. */
interface InputSource {
  tensor: string;
  width: number;
  j: number;
  bool: boolean;
}

/** Raw output columns of a model without a prediction plan (one value per row). */
interface RawOutput {
  tensor: string;
  width: number;
}

/**
 * An input as the worker reads it: its values start at `offset` in `data`, a batch's flat array
 * (no per-tensor view is made: creating typed-array views dominated unpacking).
 */
export interface InputRef {
  type: string;
  dims: number[];
  data: TensorData;
  offset: number;
}

export type InputRefs = Record<string, InputRef>;

export interface Layout {
  /** Input columns, then output columns. */
  columns: { name: string; type: ColumnType }[];
  inputs: InputSource[];
  /** Names of the input columns (for the sampled rows' `inputs` object). */
  inputNames: string[];
  outputKind: 'classifier' | 'regressor' | 'raw';
  binary: boolean;
  /** Multiclass with probabilities: a confidence column follows the label. */
  confidence: boolean;
  raw: RawOutput[];
  /** Input tensor names and widths the layout was built for (checked per event, see `fits`). */
  signature: { names: string[]; widths: number[] };
}

const COLUMN_TYPES = new Set<string>(['integer', 'float', 'boolean', 'categorical', 'datetime', 'text']);

const typeOfTensor = (t: { type: string }): ColumnType => {
  switch (t.type) {
    case 'string':
      return 'categorical';
    case 'bool':
      return 'boolean';
    case 'int64':
    case 'int32':
    case 'int16':
    case 'int8':
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
      return 'integer';
    default:
      return 'float';
  }
};

const widthOf = (t: { dims: number[] }): number => {
  let w = 1;
  for (let i = 1; i < t.dims.length; i++) w *= t.dims[i]!;
  return w;
};

function signatureOf(inputs: InputRefs): Layout['signature'] {
  const names: string[] = [];
  const widths: number[] = [];
  for (const name in inputs) {
    names.push(name);
    widths.push(widthOf(inputs[name]!));
  }
  return { names, widths };
}

/** Whether a request's inputs have the names and widths `layout` was built for (no allocation). */
export function fits(layout: Layout, inputs: InputRefs): boolean {
  const { names, widths } = layout.signature;
  let i = 0;
  for (const name in inputs) {
    if (names[i] !== name || widths[i] !== widthOf(inputs[name]!)) return false;
    i++;
  }
  return i === names.length;
}

/** The layout of a request's tensors for a model. */
export function layoutFor(io: ModelIO, inputs: InputRefs, outputs: Tensors): Layout {
  const schemaType = new Map<string, ColumnType>();
  for (const f of io.featureSchema ?? [])
    if (COLUMN_TYPES.has(f.type)) schemaType.set(f.name, f.type as ColumnType);
  // Model input order first (the signature's), then anything else the request carried.
  const order = io.inputs.map((i) => i.name).filter((n) => n in inputs);
  for (const n in inputs) if (!order.includes(n)) order.push(n);
  const columns: { name: string; type: ColumnType }[] = [];
  const sources: InputSource[] = [];
  const taken = new Set<string>();
  for (const name of order) {
    const t = inputs[name]!;
    const width = widthOf(t);
    const bool = t.type === 'bool';
    const names =
      width === 1
        ? [name]
        : order.length === 1 && io.packedFeatures?.length === width
          ? io.packedFeatures
          : Array.from({ length: width }, (_, j) => `${name}_${j}`);
    names.forEach((col, j) => {
      if (taken.has(col)) return;
      taken.add(col);
      columns.push({ name: col, type: schemaType.get(col) ?? typeOfTensor(t) });
      sources.push({ tensor: name, width, j, bool });
    });
  }
  const inputNames = columns.map((c) => c.name);
  let outputKind: Layout['outputKind'] = 'raw';
  let binary = false;
  let confidence = false;
  const raw: RawOutput[] = [];
  if (io.labelOutput || (io.probabilitiesOutput && io.classes)) {
    outputKind = 'classifier';
    binary = io.classes?.length === 2 && io.probabilitiesOutput !== null;
    columns.push({ name: LABEL_COLUMN, type: 'categorical' });
    if (binary) columns.push({ name: SCORE_COLUMN, type: 'float' });
    confidence = !binary && io.probabilitiesOutput !== null && (io.classes?.length ?? 0) > 2;
    if (confidence) columns.push({ name: CONFIDENCE_COLUMN, type: 'float' });
  } else if (io.valueOutput) {
    outputKind = 'regressor';
    columns.push({ name: VALUE_COLUMN, type: 'float' });
  } else {
    for (const name in outputs) {
      const t = outputs[name]!;
      if (widthOf(t) !== 1) continue;
      columns.push({ name: `output.${name}`, type: typeOfTensor(t) });
      raw.push({ tensor: name, width: 1 });
    }
  }
  return {
    columns,
    inputs: sources,
    inputNames,
    outputKind,
    binary,
    confidence,
    raw,
    signature: signatureOf(inputs),
  };
}

const maxProbability = (p: Record<string, number> | undefined): number | null => {
  if (!p) return null;
  let max = Number.NEGATIVE_INFINITY;
  for (const k in p) if (p[k]! > max) max = p[k]!;
  return Number.isFinite(max) ? max : null;
};

const cellOf = (d: TensorData, i: number, bool: boolean): CellValue => {
  const x = d[i];
  if (typeof x === 'bigint') return Number(x);
  if (bool) return x === 1;
  return x as number | string | undefined;
};

/**
 * Fills `cells` (one per layout column) with row `r` of a request: input values, then the
 * prediction's label/score/value (or raw outputs).
 */
export function fillRow(
  layout: Layout,
  inputs: InputRefs,
  outputs: Tensors,
  pred: RowPrediction,
  r: number,
  cells: CellValue[],
): void {
  const src = layout.inputs;
  let c = 0;
  for (; c < src.length; c++) {
    const s = src[c]!;
    const t = inputs[s.tensor]!;
    cells[c] = cellOf(t.data, t.offset + r * s.width + s.j, s.bool);
  }
  if (layout.outputKind === 'classifier') {
    cells[c++] = pred.label === undefined ? null : String(pred.label);
    if (layout.binary) cells[c++] = pred.score ?? null;
    if (layout.confidence) cells[c++] = maxProbability(pred.probabilities);
  } else if (layout.outputKind === 'regressor') {
    cells[c++] = pred.value ?? null;
  } else {
    for (const o of layout.raw) {
      const t = outputs[o.tensor];
      cells[c++] = t ? cellOf(t.data, r, t.type === 'bool') : null;
    }
  }
}

/** The raw outputs of row `r` for a model without a prediction plan: name → value or values. */
export function rawOutputs(outputs: Tensors, r: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name in outputs) {
    const t = outputs[name]!;
    const w = widthOf(t);
    const d = t.data;
    const at = r * w;
    if (at >= d.length) continue;
    const one = (i: number): unknown => {
      const x = d[i];
      return typeof x === 'bigint' ? Number(x) : x;
    };
    out[name] = w === 1 ? one(at) : Array.from({ length: w }, (_, j) => one(at + j));
  }
  return out;
}
