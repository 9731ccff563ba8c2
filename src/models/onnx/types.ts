/**
 * ONNX element types by name, both ways. The names follow ONNX's own type strings
 * (`tensor(float)`), so they read the same in Keel as in Netron or onnxruntime errors.
 */

/** TensorProto.DataType codes by name (incl. the float8/int4 types newer than onnx-proto's schema). */
export const ELEM_TYPES = {
  undefined: 0,
  float: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  double: 11,
  uint32: 12,
  uint64: 13,
  complex64: 14,
  complex128: 15,
  bfloat16: 16,
  float8e4m3fn: 17,
  float8e4m3fnuz: 18,
  float8e5m2: 19,
  float8e5m2fnuz: 20,
  uint4: 21,
  int4: 22,
  float4e2m1: 23,
} as const;

/** An ONNX tensor element type name. */
export type ElemType = keyof typeof ELEM_TYPES;

const BY_CODE = new Map<number, ElemType>(Object.entries(ELEM_TYPES).map(([k, v]) => [v, k as ElemType]));

/** Name of a DataType code; codes from a future ONNX version read as `unknown(<code>)`. */
export const elemTypeName = (code: number | null | undefined): ElemTypeName =>
  BY_CODE.get(code ?? 0) ?? `unknown(${code ?? 0})`;

/** One dimension: a fixed size, a symbolic name (`N`, `batch`), or unknown (null). */
export type Dim = number | string | null;

/** An element type name as read from a file: known names, or `unknown(<code>)` for newer ones. */
export type ElemTypeName = ElemType | `unknown(${number})`;

/** A value's type: tensors, and the sequence/map/optional wrappers used by e.g. ZipMap outputs. */
export type TypeSpec<E extends string = ElemType> =
  | { kind: 'tensor'; elemType: E; shape: Dim[] | null }
  | { kind: 'sparse_tensor'; elemType: E; shape: Dim[] | null }
  | { kind: 'sequence'; elem: TypeSpec<E> }
  | { kind: 'map'; keyType: E; value: TypeSpec<E> }
  | { kind: 'optional'; elem: TypeSpec<E> };
