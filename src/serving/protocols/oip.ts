/**
 * Open Inference Protocol v2 (KServe v2 / Triton) over JSON: inference requests into input tensors,
 * outputs into responses, and model/server metadata.
 *
 * Strict like Triton: an input's datatype must be the model input's (FP32 for tensor(float), FP64
 * for tensor(double), INT32, INT64, BOOL, BYTES for tensor(string)); nothing is converted, so a
 * client sending FP64 to a float model hears about it instead of losing precision silently. Shapes
 * must have the model's rank, fixed dims must match (symbolic dims take anything) and dim 0 is the
 * batch. Data may be flat or nested exactly as the shape. The one leniency: null in FP32/FP64 data
 * is NaN, because JSON cannot write NaN and Keel models read NaN as a missing value.
 */
import { invalidParam } from '../../core/errors.js';
import type { ElemTypeName } from '../../models/onnx/types.js';
import type { Tensors, TensorType } from '../runtime/types.js';
import type { ModelIO } from '../types.js';
import { dimsText, type InputSpec, ioPlan } from './plan.js';
import { allocate, dimsFit, feedType, flattenInto, isObject, jsValues, show } from './values.js';

/** A parsed inference request. */
export interface InferRequest {
  id?: string;
  feeds: Tensors;
  /** The outputs asked for, or undefined for all of them. */
  outputs?: string[];
  /** The request's `parameters`, passed through (e.g. a client timestamp). */
  parameters: Record<string, unknown>;
  rows: number;
}

/** One tensor of a response or of model metadata. */
export interface OipTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

export interface OipInferResponse {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: OipTensor[];
}

export interface OipTensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface OipModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: OipTensorMetadata[];
  outputs: OipTensorMetadata[];
}

export interface OipServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

/** OIP datatypes (the protocol's table). */
const DATATYPES = new Set([
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
  'BF16',
]);

/** The datatype a feedable input takes. */
const FEED_DATATYPE: Record<TensorType, string> = {
  float32: 'FP32',
  float64: 'FP64',
  int32: 'INT32',
  int64: 'INT64',
  bool: 'BOOL',
  string: 'BYTES',
};

/** Output tensor types as onnxruntime names them → OIP. */
const TENSOR_DATATYPE: Partial<Record<string, string>> = {
  ...FEED_DATATYPE,
  int8: 'INT8',
  int16: 'INT16',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  float16: 'FP16',
};

/** ONNX element types → OIP, for metadata. */
const ELEM_DATATYPE: Partial<Record<ElemTypeName, string>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float: 'FP32',
  double: 'FP64',
  string: 'BYTES',
  bfloat16: 'BF16',
};

/** Parses and checks an inference request body against the model's inputs and outputs. */
export function parseInferRequest(body: unknown, io: ModelIO): InferRequest {
  if (!isObject(body)) throw invalidParam('the request body must be a JSON object with "inputs"', 'body');
  const plan = ioPlan(io);
  const id = body.id;
  if (id !== undefined && typeof id !== 'string')
    throw invalidParam(`id must be a string; got ${show(id)}`, 'id');
  const params = body.parameters;
  if (params !== undefined && params !== null && !isObject(params)) {
    throw invalidParam(`parameters must be an object; got ${show(params)}`, 'parameters');
  }
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw invalidParam(`inputs must be a non-empty array (the model takes ${plan.inputList})`, 'inputs');
  }
  const feeds: Tensors = {};
  let rows = -1;
  let rowsFrom = '';
  for (let k = 0; k < inputs.length; k++) {
    const input = inputs[k];
    if (!isObject(input)) throw invalidParam(`inputs[${k}] must be an object; got ${show(input)}`, 'inputs');
    const name = input.name;
    if (typeof name !== 'string')
      throw invalidParam(`inputs[${k}].name must be a string; got ${show(name)}`, 'inputs');
    const spec = plan.byName.get(name);
    if (!spec) {
      throw invalidParam(
        `input ${name} is not an input of model ${io.model} (it takes ${plan.inputList})`,
        'inputs',
      );
    }
    if (Object.hasOwn(feeds, name)) throw invalidParam(`input ${name} is given twice`, 'inputs');
    const tensor = parseInput(input, spec);
    const r = tensor.dims[0]!;
    if (rows >= 0 && r !== rows) {
      throw invalidParam(
        `input ${name} has ${r} rows (shape dim 0) but input ${rowsFrom} has ${rows}; every input needs the same batch size`,
        'inputs',
      );
    }
    rows = r;
    rowsFrom = name;
    feeds[name] = tensor;
  }
  if (inputs.length !== plan.inputs.length) {
    const missing = plan.inputs.filter((i) => !Object.hasOwn(feeds, i.name)).map((i) => i.name);
    throw invalidParam(
      `missing input(s) ${missing.join(', ')} (the model takes ${plan.inputList})`,
      'inputs',
    );
  }
  const req: InferRequest = {
    feeds,
    parameters: (params as Record<string, unknown> | undefined) ?? {},
    rows,
  };
  if (id !== undefined) req.id = id;
  const outputs = parseOutputs(body.outputs, plan.outputs, plan.outputList);
  if (outputs) req.outputs = outputs;
  return req;
}

function parseInput(input: Record<string, unknown>, spec: InputSpec): Tensors[string] {
  const name = spec.name;
  const type = feedType(spec);
  const expected = FEED_DATATYPE[type];
  const datatype = input.datatype;
  if (datatype !== expected) {
    if (typeof datatype !== 'string' || !DATATYPES.has(datatype)) {
      throw invalidParam(
        `input ${name}: datatype ${show(datatype)} is not an OIP datatype (${[...DATATYPES].join(', ')}); the model input (${spec.onnxType}) takes ${expected}`,
        'inputs',
      );
    }
    const why = datatype === 'FP16' ? ' (FP16 cannot travel as JSON numbers; send FP32 values)' : '';
    throw invalidParam(
      `input ${name}: datatype ${datatype} does not match the model input (${spec.onnxType}): expected ${expected}${why}`,
      'inputs',
    );
  }
  const p = input.parameters;
  if (isObject(p) && p.binary_data_size !== undefined) {
    throw invalidParam(`input ${name}: binary tensor data is not supported; send data as JSON`, 'inputs');
  }
  const shape = input.shape;
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)
  ) {
    throw invalidParam(
      `input ${name}: shape must be a non-empty array of non-negative integers (dim 0 is the batch); got ${show(shape)}`,
      'inputs',
    );
  }
  const dims = shape as number[];
  if (dims[0] === 0)
    throw invalidParam(`input ${name}: shape dim 0 (the batch) must be at least 1`, 'inputs');
  if (!dimsFit(spec, dims)) {
    throw invalidParam(
      `input ${name}: shape ${dimsText(dims)} does not fit the model input's shape ${dimsText(spec.dims!)} (-1 is any size)`,
      'inputs',
    );
  }
  const data = input.data;
  if (!Array.isArray(data))
    throw invalidParam(`input ${name}: data must be an array; got ${show(data)}`, 'inputs');
  const size = dims.reduce((a, b) => a * b, 1);
  const out = allocate(type, size);
  flattenInto(data, dims, type, out, 0, 'strict', false, `input ${name}`, 'inputs');
  return { type, dims: [...dims], data: out };
}

function parseOutputs(outputs: unknown, known: Set<string>, list: string): string[] | undefined {
  if (outputs === undefined || outputs === null) return undefined;
  if (!Array.isArray(outputs))
    throw invalidParam(`outputs must be an array of {name}; got ${show(outputs)}`, 'outputs');
  const names: string[] = [];
  for (let k = 0; k < outputs.length; k++) {
    const o = outputs[k];
    const name = isObject(o) ? o.name : undefined;
    if (typeof name !== 'string')
      throw invalidParam(`outputs[${k}] must be {"name": string}; got ${show(o)}`, 'outputs');
    if (!known.has(name))
      throw invalidParam(`output ${name} is not an output of the model (it has ${list})`, 'outputs');
    const p = (o as Record<string, unknown>).parameters;
    if (isObject(p) && p.binary_data === true) {
      throw invalidParam(
        `output ${name}: binary tensor data is not supported; outputs are returned as JSON`,
        'outputs',
      );
    }
    if (!names.includes(name)) names.push(name);
  }
  return names.length > 0 ? names : undefined;
}

/** The response to an inference request: every output (or the requested ones), flat data. */
export function inferResponse(args: {
  modelName: string;
  modelVersion: string;
  id?: string;
  outputs: Tensors;
  requested?: string[];
}): OipInferResponse {
  const names = args.requested ?? Object.keys(args.outputs);
  const outputs: OipTensor[] = [];
  for (const name of names) {
    const t = args.outputs[name];
    if (!t) continue;
    outputs.push({
      name,
      datatype: TENSOR_DATATYPE[t.type] ?? t.type.toUpperCase(),
      shape: t.dims,
      data: jsValues(t),
    });
  }
  const res: OipInferResponse = { model_name: args.modelName, model_version: args.modelVersion, outputs };
  if (args.id !== undefined) res.id = args.id;
  return res;
}

/**
 * Model metadata: inputs and outputs with OIP datatypes, -1 for symbolic dims. Values that are not
 * tensors (a ZipMap's sequence of maps) have no OIP datatype and cannot be returned; they are left out.
 */
export function modelMetadata(name: string, versions: string[], io: ModelIO): OipModelMetadata {
  const meta = (values: ModelIO['inputs']): OipTensorMetadata[] =>
    values
      .filter((v) => v.kind === 'tensor' && v.elemType !== null)
      .map((v) => ({
        name: v.name,
        datatype: ELEM_DATATYPE[v.elemType!] ?? v.elemType!.toUpperCase(),
        shape: v.shape ? v.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : [-1],
      }));
  return { name, versions, platform: 'onnx_onnxv1', inputs: meta(io.inputs), outputs: meta(io.outputs) };
}

/**
 * Server metadata. `extensions` lists only what the server implements: none of Triton's
 * (model_repository, statistics, binary_tensor_data, …) by default.
 */
export function serverMetadata(version: string, extensions: string[] = []): OipServerMetadata {
  return { name: 'keel', version, extensions };
}

/** The OIP error body. */
export const oipError = (message: string): { error: string } => ({ error: message });
