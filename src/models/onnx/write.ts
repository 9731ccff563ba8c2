/**
 * A small typed builder for ONNX models: enough to emit Keel's built-in trainers' models and test
 * fixtures without Python. It produces plain protobuf messages and encodes them with the official
 * onnx.proto (via onnx-proto); it does not check the graph — onnxruntime does that on load.
 */
import { invalidParam } from '../../core/errors.js';
import { type Onnx, onnx, toInt64 } from './proto.js';
import { type Dim, ELEM_TYPES, type ElemType, type TypeSpec } from './types.js';

const AT = onnx.AttributeProto.AttributeType;
const DT = onnx.TensorProto.DataType;

/** IR version written by default: IR 8 (ONNX 1.10) is what onnx-proto's schema describes. */
export const DEFAULT_IR_VERSION = 8;

/**
 * Tensor data; the array type picks the element type: Float32Array or number[] → float,
 * Float64Array → double, Int32Array → int32, BigInt64Array or bigint[] → int64, string[] → string.
 */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | number[]
  | bigint[]
  | string[];

/** An initializer (or attribute) tensor. Numbers go in raw_data (little-endian, exact bits). */
export function tensor(name: string, dims: number[], data: TensorData): Onnx.ITensorProto {
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw invalidParam(
      `tensor ${name}: ${data.length} values do not fill shape [${dims.join(', ')}]`,
      'tensor',
    );
  }
  const base = { name, dims: dims.map((d) => toInt64(d)) };
  if (data.length > 0 && typeof data[0] === 'string') {
    const enc = new TextEncoder();
    return { ...base, dataType: DT.STRING, stringData: (data as string[]).map((s) => enc.encode(s)) };
  }
  const [dataType, typed] = toTyped(data as Exclude<TensorData, string[]>);
  const rawData = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength).slice();
  return { ...base, dataType, rawData };
}

// raw_data is little-endian by the ONNX spec and typed arrays use host order; every platform Keel
// supports (x64, arm64) is little-endian, so the bytes are copied as they are.
function toTyped(data: Exclude<TensorData, string[]>): [number, ArrayBufferView] {
  if (data instanceof Float32Array) return [DT.FLOAT, data];
  if (data instanceof Float64Array) return [DT.DOUBLE, data];
  if (data instanceof Int32Array) return [DT.INT32, data];
  if (data instanceof BigInt64Array) return [DT.INT64, data];
  if (data.length > 0 && typeof data[0] === 'bigint') return [DT.INT64, BigInt64Array.from(data as bigint[])];
  return [DT.FLOAT, Float32Array.from(data as number[])];
}

/** A node attribute value, built with the `attr.*` helpers so the ONNX type is explicit. */
export type AttrValue = Omit<Onnx.IAttributeProto, 'name'>;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Attribute helpers; ints take number or bigint and are written as exact int64. */
export const attr = {
  float: (f: number): AttrValue => ({ type: AT.FLOAT, f }),
  int: (i: number | bigint): AttrValue => ({ type: AT.INT, i: toInt64(i) }),
  string: (s: string): AttrValue => ({ type: AT.STRING, s: utf8(s) }),
  floats: (fs: number[]): AttrValue => ({ type: AT.FLOATS, floats: fs }),
  ints: (is: (number | bigint)[]): AttrValue => ({ type: AT.INTS, ints: is.map((i) => toInt64(i)) }),
  strings: (ss: string[]): AttrValue => ({ type: AT.STRINGS, strings: ss.map(utf8) }),
  tensor: (t: Onnx.ITensorProto): AttrValue => ({ type: AT.TENSOR, t }),
};

/** A graph node; `domain` '' is the default ONNX domain, 'ai.onnx.ml' the classic-ML one. */
export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  domain = '',
  name?: string,
): Onnx.INodeProto {
  const attribute = Object.entries(attrs).map(([n, a]) => ({ ...a, name: n }));
  return {
    opType,
    input: inputs,
    output: outputs,
    attribute,
    domain,
    name: name ?? `${opType}_${outputs[0] ?? ''}`,
  };
}

const shapeProto = (shape: Dim[]): Onnx.ITensorShapeProto => ({
  dim: shape.map((d) =>
    typeof d === 'number' ? { dimValue: toInt64(d) } : d === null ? {} : { dimParam: d },
  ),
});

/** The TypeProto for a TypeSpec (tensors, sequences, maps, optionals). */
export function typeProto(t: TypeSpec): Onnx.ITypeProto {
  switch (t.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const inner = { elemType: ELEM_TYPES[t.elemType], ...(t.shape ? { shape: shapeProto(t.shape) } : {}) };
      return t.kind === 'tensor' ? { tensorType: inner } : { sparseTensorType: inner };
    }
    case 'sequence':
      return { sequenceType: { elemType: typeProto(t.elem) } };
    case 'map':
      return { mapType: { keyType: ELEM_TYPES[t.keyType], valueType: typeProto(t.value) } };
    case 'optional':
      return { optionalType: { elemType: typeProto(t.elem) } };
  }
}

/** A tensor graph input/output; a shape entry is a size, a symbolic name like 'N', or null. */
export function valueInfo(name: string, elemType: ElemType, shape: Dim[] | null): Onnx.IValueInfoProto {
  return { name, type: typeProto({ kind: 'tensor', elemType, shape }) };
}

/** A graph input/output of any type, e.g. ZipMap's `seq(map(int64, float))`. */
export function valueInfoOfType(name: string, type: TypeSpec): Onnx.IValueInfoProto {
  return { name, type: typeProto(type) };
}

/** What `model()` needs. */
export interface ModelSpec {
  graph: {
    name: string;
    nodes: Onnx.INodeProto[];
    inputs: Onnx.IValueInfoProto[];
    outputs: Onnx.IValueInfoProto[];
    initializers?: Onnx.ITensorProto[];
    docString?: string;
  };
  opsets: { domain: string; version: number }[];
  producer?: string;
  producerVersion?: string;
  irVersion?: number;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  metadata?: Record<string, string>;
}

/** Encodes a ModelProto to bytes. */
export function model(spec: ModelSpec): Uint8Array {
  if (spec.opsets.length === 0) throw invalidParam('an ONNX model needs at least one opset import', 'opsets');
  const g = spec.graph;
  const msg: Onnx.IModelProto = {
    irVersion: toInt64(spec.irVersion ?? DEFAULT_IR_VERSION),
    opsetImport: spec.opsets.map((o) => ({ domain: o.domain, version: toInt64(o.version) })),
    producerName: spec.producer ?? 'keel',
    producerVersion: spec.producerVersion ?? '',
    domain: spec.domain ?? '',
    modelVersion: toInt64(spec.modelVersion ?? 0),
    docString: spec.docString ?? '',
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes,
      input: g.inputs,
      output: g.outputs,
      initializer: g.initializers ?? [],
      docString: g.docString ?? '',
    },
  };
  return onnx.ModelProto.encode(msg).finish();
}
