/**
 * Element conversion shared by the codecs: JSON (or CSV text) values into typed tensor buffers, and
 * output tensors back into JSON values.
 *
 * Validation here is hand-written rather than zod: it runs once per element on the serving hot path
 * (≥ 10k requests/s), where building and walking a schema per request costs more than the model.
 */
import { invalidParam } from '../../core/errors.js';
import { BAD, coerce, isMissing } from '../../data/schema.js';
import type { TensorType, WireTensor } from '../runtime/types.js';
import { dimsText, type InputSpec } from './plan.js';

/**
 * How values are read:
 * - `strict` (OIP tensors): numbers for numeric types (null = NaN for floats, since JSON has no NaN),
 *   integers for INT types, booleans for BOOL, strings for BYTES. Nothing else.
 * - `json` (records, MLflow JSON): also booleans as 1/0 for numeric inputs and 0/1 for bool inputs;
 *   strings features take strings, numbers and booleans (stringified as training did), null as ''.
 * - `text` (CSV cells): strings parsed the way dataset ingestion types a column (missing tokens,
 *   numbers, true/false).
 */
export type Mode = 'strict' | 'json' | 'text';

export type ElemBuffer = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[];

export function allocate(type: TensorType, n: number): ElemBuffer {
  switch (type) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'bool':
      return new Uint8Array(n);
    default:
      return new Array<string>(n);
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Writes `v` at `out[i]`; false when `v` does not fit `type` (the caller names the place). */
export function put(
  type: TensorType,
  out: ElemBuffer,
  i: number,
  v: unknown,
  mode: Mode,
  missingTokens: boolean,
): boolean {
  switch (type) {
    case 'float32':
    case 'float64': {
      const x = toFloat(v, mode);
      if (x === undefined) return false;
      (out as Float64Array)[i] = x;
      return true;
    }
    case 'int32': {
      const x = toInt(v, mode);
      if (x === undefined || x < INT32_MIN || x > INT32_MAX) return false;
      (out as Int32Array)[i] = x;
      return true;
    }
    case 'int64': {
      const x = toInt(v, mode);
      if (x === undefined) return false;
      (out as BigInt64Array)[i] = BigInt(x);
      return true;
    }
    case 'bool': {
      const x = toBool(v, mode);
      if (x === undefined) return false;
      (out as Uint8Array)[i] = x;
      return true;
    }
    default: {
      const s = toStr(v, mode, missingTokens);
      if (s === undefined) return false;
      (out as string[])[i] = s;
      return true;
    }
  }
}

function toFloat(v: unknown, mode: Mode): number | undefined {
  if (typeof v === 'number') return v;
  if (v === null) return Number.NaN;
  if (mode === 'json' && typeof v === 'boolean') return v ? 1 : 0;
  if (mode === 'text' && typeof v === 'string') {
    const x = coerce(v, 'float');
    if (x === null) return Number.NaN;
    if (x !== BAD) return x as number;
    const b = coerce(v, 'boolean');
    return typeof b === 'boolean' ? (b ? 1 : 0) : undefined;
  }
  return undefined;
}

function toInt(v: unknown, mode: Mode): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (mode === 'json' && typeof v === 'boolean') return v ? 1 : 0;
  if (mode === 'text' && typeof v === 'string') {
    const x = coerce(v, 'integer');
    if (typeof x === 'number') return x;
    const b = coerce(v, 'boolean');
    return typeof b === 'boolean' ? (b ? 1 : 0) : undefined;
  }
  return undefined;
}

function toBool(v: unknown, mode: Mode): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (mode !== 'strict' && (v === 0 || v === 1)) return v;
  if (mode === 'text' && typeof v === 'string') {
    const b = coerce(v, 'boolean');
    if (typeof b === 'boolean') return b ? 1 : 0;
    const t = v.trim();
    return t === '0' ? 0 : t === '1' ? 1 : undefined;
  }
  return undefined;
}

function toStr(v: unknown, mode: Mode, missingTokens: boolean): string | undefined {
  if (typeof v === 'string') return mode !== 'strict' && missingTokens && isMissing(v) ? '' : v;
  if (mode === 'strict') return undefined;
  if (v === null) return '';
  // Training fed categories as String(value): 1 → '1', true → 'true'.
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/** What an input of `type` takes, completing "input x …" in messages. */
export function expectation(type: TensorType, mode: Mode): string {
  switch (type) {
    case 'float32':
    case 'float64':
      return mode === 'strict' ? 'takes numbers (null when missing)' : 'takes a number (null when missing)';
    case 'int32':
      return 'takes 32-bit integers (no missing values)';
    case 'int64':
      return 'takes integers (no missing values)';
    case 'bool':
      return mode === 'strict' ? 'takes true or false' : 'takes true/false or 1/0';
    default:
      return mode === 'strict' ? 'takes strings' : 'takes a string (or a number or boolean)';
  }
}

/** A value as shown in a message, cut to a readable length. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = typeof v === 'bigint' ? `${v}` : JSON.stringify(v);
  if (s === undefined) return typeof v;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Whether the free dims of the model accept `dims` (rank equal, fixed dims equal). */
export function dimsFit(spec: InputSpec, dims: readonly number[]): boolean {
  const want = spec.dims;
  if (want === null) return true;
  if (want.length !== dims.length) return false;
  for (let k = 0; k < want.length; k++) if (want[k]! >= 0 && want[k] !== dims[k]) return false;
  return true;
}

/** The dims of nested arrays, read along the first element at each level. */
export function nestedDims(data: unknown[]): number[] {
  const dims = [data.length];
  let v: unknown = data[0];
  while (Array.isArray(v)) {
    dims.push(v.length);
    v = v[0];
  }
  return dims;
}

/**
 * Flattens `data` (flat, or nested exactly as `dims`) into `out` from index `at`, converting each
 * element; throws INVALID_PARAMETER_VALUE naming `what` (e.g. `input age`) on a ragged array or a
 * value of the wrong kind. Returns the index after the last element written.
 */
export function flattenInto(
  data: unknown[],
  dims: readonly number[],
  type: TensorType,
  out: ElemBuffer,
  at: number,
  mode: Mode,
  missingTokens: boolean,
  what: string,
  field: string,
): number {
  const size = dims.reduce((a, b) => a * b, 1);
  if (dims.length <= 1 || data.length === 0 || !Array.isArray(data[0])) {
    if (data.length !== size) {
      throw invalidParam(
        `${what}: ${data.length} values do not fill shape ${dimsText(dims)} (${size} values)`,
        field,
      );
    }
    for (let i = 0; i < size; i++) {
      const v = data[i];
      if (!put(type, out, at + i, v, mode, missingTokens)) throw badValue(what, type, mode, v, field);
    }
    return at + size;
  }
  return walk(data, 0);

  function walk(level: unknown, k: number): number {
    if (!Array.isArray(level) || level.length !== dims[k]) {
      throw invalidParam(
        `${what}: nested data does not follow shape ${dimsText(dims)} (at depth ${k}: ${
          Array.isArray(level) ? `${level.length} items` : show(level)
        }, expected ${dims[k]} items)`,
        field,
      );
    }
    if (k === dims.length - 1) {
      for (let i = 0; i < level.length; i++) {
        const v = level[i];
        if (!put(type, out, at++, v, mode, missingTokens)) throw badValue(what, type, mode, v, field);
      }
      return at;
    }
    for (let i = 0; i < level.length; i++) walk(level[i], k + 1);
    return at;
  }
}

/** The runtime type of an input, or an error when the serving runtime cannot feed it. */
export function feedType(spec: InputSpec): TensorType {
  if (spec.type === null) {
    throw invalidParam(
      `model input ${spec.name} has type ${spec.onnxType}, which Keel's serving runtime cannot feed`,
      'model',
    );
  }
  return spec.type;
}

export function badValue(what: string, type: TensorType, mode: Mode, v: unknown, field: string): Error {
  return invalidParam(`${what} ${expectation(type, mode)}; got ${show(v)}`, field);
}

/** A plain JSON object (not an array, not null). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An output tensor's elements as JSON values: int64 as numbers, bool as true/false. */
export function jsValues(t: WireTensor): unknown[] {
  const d = t.data as unknown;
  if (Array.isArray(d)) return d;
  if (t.type === 'bool') return Array.from(d as Uint8Array, (x) => x !== 0);
  // Beyond 2^53 an int64 loses precision as a JSON number; labels and counts never get there.
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Array.from(d, Number);
  if (t.type === 'float16') return Array.from(d as Uint16Array, halfToFloat);
  return Array.from(d as ArrayLike<number>);
}

/** An IEEE 754 half (onnxruntime returns float16 tensors as their raw Uint16 bits). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
