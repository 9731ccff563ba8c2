/** Checks, concatenates and splits wire tensors along dim 0 (the batch dimension). */
import { invalidParam } from '../../core/errors.js';
import type { TensorData, Tensors, TensorType, WireTensor } from './types.js';

type TypedCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor;

const CTOR: Record<Exclude<TensorType, 'string'>, TypedCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

/** Throws INVALID_PARAMETER_VALUE unless `t` is a well-formed input tensor (type, data, dims agree). */
export function checkInput(name: string, t: WireTensor): void {
  const dims = t.dims;
  if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw invalidParam(`input ${name}: dims must be non-negative integers`, 'inputs');
  }
  if (t.type === 'string') {
    if (!Array.isArray(t.data) || t.data.some((s) => typeof s !== 'string')) {
      throw invalidParam(`input ${name}: string tensors carry an array of strings`, 'inputs');
    }
  } else {
    const ctor = CTOR[t.type as Exclude<TensorType, 'string'>];
    if (ctor === undefined) throw invalidParam(`input ${name}: unsupported type ${t.type}`, 'inputs');
    if (!(t.data instanceof ctor)) {
      throw invalidParam(`input ${name}: ${t.type} tensors carry a ${ctor.name}`, 'inputs');
    }
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) {
    throw invalidParam(
      `input ${name}: ${t.data.length} values do not fill dims [${dims.join(', ')}]`,
      'inputs',
    );
  }
}

/** The rows of a request: every input must be ≥ 1-D with the same dim 0. */
export function rowsOf(feeds: Tensors): number {
  let rows: number | undefined;
  for (const [name, t] of Object.entries(feeds)) {
    checkInput(name, t);
    const r = t.dims[0];
    if (r === undefined || r < 1) throw invalidParam(`input ${name}: dim 0 (rows) must be ≥ 1`, 'inputs');
    if (rows !== undefined && r !== rows) {
      throw invalidParam(`inputs disagree on the number of rows (${rows} vs ${r} in ${name})`, 'inputs');
    }
    rows = r;
  }
  if (rows === undefined) throw invalidParam('a request needs at least one input', 'inputs');
  return rows;
}

/** Requests with equal keys (names, types, dims after dim 0) can share a batch. */
export function batchKey(feeds: Tensors): string {
  // Per request on the serving path: no sort (codecs build feeds in the model's input order; a
  // different order only splits batches, never mixes them) and no intermediate arrays.
  let key = '';
  for (const n in feeds) {
    const t = feeds[n]!;
    key += `${n}:${t.type}`;
    for (let i = 1; i < t.dims.length; i++) key += `x${t.dims[i]}`;
    key += '|';
  }
  return key;
}

/** Concatenates same-keyed requests along dim 0 into new arrays (callers' arrays stay theirs). */
export function concatRows(parts: Tensors[], rows: number): Tensors {
  const first = parts[0]!;
  const out: Tensors = {};
  for (const [name, t] of Object.entries(first)) {
    const dims = [rows, ...t.dims.slice(1)];
    if (Array.isArray(t.data)) {
      out[name] = { type: t.type, dims, data: parts.flatMap((p) => p[name]!.data as string[]) };
      continue;
    }
    const size = dims.reduce((a, b) => a * b, 1);
    const data = new (t.data.constructor as TypedCtor)(size);
    let at = 0;
    for (const p of parts) {
      const d = p[name]!.data as Exclude<TensorData, string[]>;
      (data as Float64Array).set(d as Float64Array, at);
      at += d.length;
    }
    out[name] = { type: t.type, dims, data };
  }
  return out;
}

/** Splits batch outputs back into per-request outputs by row counts (views, not copies). */
export function splitRows(outputs: Tensors, rowCounts: number[]): Tensors[] {
  const total = rowCounts.reduce((a, b) => a + b, 0);
  const res: Tensors[] = rowCounts.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    if (t.dims[0] !== total) {
      throw new Error(`output ${name} has dims [${t.dims.join(', ')}], not ${total} rows along dim 0`);
    }
    const per = t.data.length / total;
    let row = 0;
    rowCounts.forEach((n, i) => {
      const from = row * per;
      const to = (row + n) * per;
      const data = Array.isArray(t.data) ? t.data.slice(from, to) : t.data.subarray(from, to);
      res[i]![name] = { type: t.type, dims: [n, ...t.dims.slice(1)], data };
      row += n;
    });
  }
  return res;
}

/** The buffers to transfer with `tensors`: each typed array's, unless it is a view on a larger one. */
export function transferList(tensors: Tensors): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const t of Object.values(tensors)) {
    if (Array.isArray(t.data)) continue;
    const buf = t.data.buffer;
    if (buf instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === buf.byteLength) {
      if (!list.includes(buf)) list.push(buf);
    }
  }
  return list;
}
