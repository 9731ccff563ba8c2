/**
 * What the codecs need to know about a model's inputs, worked out once per ModelIO (cached in a
 * WeakMap, so the per-request path does map lookups instead of scanning the signature).
 */
import type { OnnxValue } from '../../models/onnx/read.js';
import type { TensorType } from '../runtime/types.js';
import type { ModelIO } from '../types.js';

/** One model input as the codecs feed it. */
export interface InputSpec {
  name: string;
  /** The tensor type the runtime feeds, or null when it cannot feed this input (e.g. uint8, a map). */
  type: TensorType | null;
  /** ONNX's type string (`tensor(float)`), for messages. */
  onnxType: string;
  /** The model's dims, -1 where symbolic or unknown; null when the rank is unknown. */
  dims: number[] | null;
  /** Dims of one row (after the batch dim; symbolic dims read as 1) and their product. */
  rowDims: number[];
  rowSize: number;
}

/** A model's inputs and outputs by name, and how records and columns map onto its inputs. */
export interface IOPlan {
  inputs: InputSpec[];
  byName: Map<string, InputSpec>;
  /** `a, b, c`, for messages. */
  inputList: string;
  outputs: Set<string>;
  outputList: string;
  /**
   * The names a record or a column carries: the model inputs, one per feature, or for a packed
   * [N, F] model the F features it takes in order.
   */
  features: string[];
  featureIndex: Map<string, number>;
  featureList: string;
  /** The single [N, F] input fed from `features` in order, when the model is packed. */
  packed: InputSpec | null;
  /**
   * A foreign model's single input whose features nobody named (no feature schema, no packed
   * names): tabular bodies (CSV, dataframe_split) feed it by column position, as MLflow's ONNX
   * flavor does with `DataFrame.values`.
   */
  positional: InputSpec | null;
  /**
   * Set for Keel-trained models (they carry a feature schema): a string feature given as one of the
   * missing-value tokens ('', 'NA', 'NaN', 'null', 'None') is fed as '' because that is what the
   * model saw for missing categories at training.
   */
  missingTokens: boolean;
}

const TENSOR_TYPE: Partial<Record<string, TensorType>> = {
  float: 'float32',
  double: 'float64',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  string: 'string',
};

const cache = new WeakMap<ModelIO, IOPlan>();

/** The plan of `io` (computed on first use, then cached for the life of the ModelIO object). */
export function ioPlan(io: ModelIO): IOPlan {
  let plan = cache.get(io);
  if (!plan) {
    plan = buildPlan(io);
    cache.set(io, plan);
  }
  return plan;
}

function buildPlan(io: ModelIO): IOPlan {
  const inputs = io.inputs.map(inputSpec);
  const only = inputs.length === 1 ? inputs[0]! : null;
  const packed = only && io.packedFeatures && io.packedFeatures.length === only.rowSize ? only : null;
  const features = packed ? io.packedFeatures! : inputs.map((i) => i.name);
  return {
    inputs,
    byName: new Map(inputs.map((i) => [i.name, i])),
    inputList: inputs.map((i) => i.name).join(', ') || '(none)',
    outputs: new Set(io.outputs.map((o) => o.name)),
    outputList: io.outputs.map((o) => o.name).join(', ') || '(none)',
    features,
    featureIndex: new Map(features.map((f, i) => [f, i])),
    featureList: features.join(', ') || '(none)',
    packed,
    positional: only && !packed && io.featureSchema === null ? only : null,
    missingTokens: io.featureSchema !== null,
  };
}

function inputSpec(v: OnnxValue): InputSpec {
  const type = v.kind === 'tensor' ? (TENSOR_TYPE[v.elemType ?? ''] ?? null) : null;
  const dims = v.shape ? v.shape.map((d) => (typeof d === 'number' && d >= 1 ? d : -1)) : null;
  // Unknown rank: fed as [N] (one value per row).
  const rowDims = dims ? dims.slice(1).map((d) => (d < 0 ? 1 : d)) : [];
  const rowSize = rowDims.reduce((a, b) => a * b, 1);
  return { name: v.name, type, onnxType: v.type, dims, rowDims, rowSize };
}

/** `[a, b, c]` with -1 for free dims, for messages. */
export const dimsText = (dims: readonly number[]): string => `[${dims.join(', ')}]`;
