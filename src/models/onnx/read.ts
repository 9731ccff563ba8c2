/**
 * Reads what the registry needs to know about an ONNX file without running it: versions, producer,
 * typed inputs/outputs, metadata and the operators used (so unsupported ones can be reported).
 */
import { invalidParam } from '../../core/errors.js';
import { int64ToBigInt, int64ToNumber, type Onnx, onnx } from './proto.js';
import { type Dim, type ElemTypeName, elemTypeName, type TypeSpec } from './types.js';

/** One graph input or output. `elemType`/`shape` are set for tensors; `shape` null = unknown rank. */
export interface OnnxValue {
  name: string;
  /** 'tensor', or the container kind for sequence/map/optional values. */
  kind: TypeSpec['kind'] | 'unknown';
  elemType: ElemTypeName | null;
  shape: Dim[] | null;
  /** ONNX's own type string, e.g. `tensor(float)` or `seq(map(int64,float))`. */
  type: string;
  docString: string;
}

/** Everything `inspectOnnx` reports about a model. */
export interface OnnxInfo {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  metadataProps: Record<string, string>;
  graphName: string;
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** Nodes in the main graph (not counting subgraphs or local functions). */
  nodeCount: number;
  /** Sorted `domain::op_type`, the default domain written 'ai.onnx', subgraphs and functions included. */
  operators: string[];
}

/** A decoded model: sub-messages are class instances, so repeated fields are arrays, never null. */
export type DecodedModel = Onnx.ModelProto & { graph: Onnx.GraphProto };

/** Decodes a ModelProto; throws invalidParam (field 'file') when the bytes are not an ONNX model. */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  let m: Onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    // protobufjs throws plain Errors/RangeErrors ("index out of range", "invalid wire type").
    throw invalidParam(`file is not an ONNX model: ${(e as Error).message}`, 'file');
  }
  // Almost any byte string decodes as *some* protobuf message; a model without a graph is not one.
  if (!m.graph) throw invalidParam('file is not an ONNX model: it has no graph', 'file');
  return m as DecodedModel;
}

/** Inspects an ONNX model's header, signature and operators. */
export function inspectOnnx(bytes: Uint8Array): OnnxInfo {
  const m = decodeModel(bytes);
  const g = m.graph;
  const initNames = new Set(g.initializer.map((t) => t.name));
  try {
    return {
      irVersion: int64ToNumber(m.irVersion, 'ir_version'),
      opsetImports: m.opsetImport.map((o) => ({
        domain: o.domain ?? '',
        version: int64ToNumber(o.version, 'opset version'),
      })),
      producerName: m.producerName,
      producerVersion: m.producerVersion,
      domain: m.domain,
      modelVersion: int64ToNumber(m.modelVersion, 'model_version'),
      docString: m.docString,
      metadataProps: Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value])),
      graphName: g.name,
      // IR < 4 lists initializers among the inputs too; they are weights, not what callers feed.
      inputs: g.input.filter((v) => !initNames.has(v.name)).map(describeValue),
      outputs: g.output.map(describeValue),
      nodeCount: g.node.length,
      operators: operatorsOf(m),
    };
  } catch (e) {
    if (e instanceof RangeError) throw invalidParam(`file is not a valid ONNX model: ${e.message}`, 'file');
    throw e;
  }
}

function describeValue(v: Onnx.IValueInfoProto): OnnxValue {
  const t = v.type ? typeOf(v.type) : null;
  const tensorish = t && (t.kind === 'tensor' || t.kind === 'sparse_tensor') ? t : null;
  return {
    name: v.name ?? '',
    kind: t?.kind ?? 'unknown',
    elemType: tensorish?.elemType ?? null,
    shape: tensorish?.shape ?? null,
    type: t ? typeString(t) : 'unknown',
    docString: v.docString ?? '',
  };
}

type ReadType = TypeSpec<ElemTypeName>;

// A TypeProto is a oneof; an empty one (a type we do not know) is reported rather than guessed.
function typeOf(t: Onnx.ITypeProto): ReadType | null {
  const tensor = t.tensorType ?? t.sparseTensorType;
  if (tensor) {
    const shape = tensor.shape ? (tensor.shape.dim ?? []).map(dimOf) : null;
    return {
      kind: t.tensorType ? 'tensor' : 'sparse_tensor',
      elemType: elemTypeName(tensor.elemType),
      shape,
    };
  }
  const inner = (x: Onnx.ITypeProto | null | undefined) => (x ? typeOf(x) : null);
  if (t.sequenceType) {
    const elem = inner(t.sequenceType.elemType);
    return elem && { kind: 'sequence', elem };
  }
  if (t.mapType) {
    const value = inner(t.mapType.valueType);
    return value && { kind: 'map', keyType: elemTypeName(t.mapType.keyType), value };
  }
  if (t.optionalType) {
    const elem = inner(t.optionalType.elemType);
    return elem && { kind: 'optional', elem };
  }
  return null;
}

// `value` is protobufjs's name for the set member of the dim_value/dim_param oneof; neither set
// (a valid ONNX "unknown dimension") reads as null.
function dimOf(d: Onnx.TensorShapeProto.IDimension): Dim {
  const which = (d as Onnx.TensorShapeProto.Dimension).value;
  if (which === 'dimParam') return d.dimParam ?? null;
  if (which === 'dimValue') return int64ToNumber(d.dimValue, 'dim_value');
  return null;
}

function typeString(t: ReadType): string {
  switch (t.kind) {
    case 'tensor':
      return `tensor(${t.elemType})`;
    case 'sparse_tensor':
      return `sparse_tensor(${t.elemType})`;
    case 'sequence':
      return `seq(${typeString(t.elem)})`;
    case 'map':
      return `map(${t.keyType},${typeString(t.value)})`;
    case 'optional':
      return `optional(${typeString(t.elem)})`;
  }
}

// Operators of the graph, its subgraphs (If/Loop/Scan bodies) and model-local function bodies;
// calls to a local function are not operators a runtime must provide, so they are left out.
function operatorsOf(m: Onnx.ModelProto): string[] {
  const local = new Set((m.functions ?? []).map((f) => `${f.domain ?? ''}::${f.name ?? ''}`));
  const ops = new Set<string>();
  const visit = (nodes: Onnx.INodeProto[] | null | undefined): void => {
    for (const n of nodes ?? []) {
      const key = `${n.domain ?? ''}::${n.opType ?? ''}`;
      if (!local.has(key)) ops.add(key.startsWith('::') ? `ai.onnx${key}` : key);
      for (const a of n.attribute ?? []) {
        if (a.g) visit(a.g.node);
        for (const sg of a.graphs ?? []) visit(sg.node);
      }
    }
  };
  visit(m.graph?.node);
  for (const f of m.functions ?? []) visit(f.node);
  return [...ops].sort();
}

/** Values of a decoded tensor (raw_data or the typed repeated fields); int64 as exact bigint. */
export function tensorValues(t: Onnx.ITensorProto): number[] | bigint[] | string[] {
  const DT = onnx.TensorProto.DataType;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  // Copy into a fresh aligned buffer: decoded bytes are a Node Buffer view into the file at any
  // offset, and Buffer#slice does not copy, so `raw.slice().buffer` would be the whole file.
  const view = (C: { new (b: ArrayBuffer): ArrayLike<number | bigint> }) =>
    Array.from(new C(new Uint8Array(raw!).buffer));
  switch (t.dataType) {
    case DT.FLOAT:
      return raw ? (view(Float32Array) as number[]) : [...(t.floatData ?? [])];
    case DT.DOUBLE:
      return raw ? (view(Float64Array) as number[]) : [...(t.doubleData ?? [])];
    case DT.INT32:
      return raw ? (view(Int32Array) as number[]) : [...(t.int32Data ?? [])];
    case DT.INT64:
      return raw
        ? (view(BigInt64Array) as bigint[])
        : (t.int64Data ?? []).map((v) => int64ToBigInt(v as never));
    case DT.STRING:
      return (t.stringData ?? []).map((b) => new TextDecoder().decode(b));
    default:
      throw invalidParam(
        `tensor ${t.name}: reading ${elemTypeName(t.dataType)} values is not supported`,
        'tensor',
      );
  }
}
