/**
 * Runs ONNX models in-process with onnxruntime-node, for batch/offline use (evaluation, validation
 * gates, tests). Serving does NOT use this directly: `session.run()` blocks the event loop and
 * releasing sessions leaks native memory, so serving (later) runs sessions inside worker threads and
 * hot-swaps models by replacing workers (see DESIGN.md, "Technology choices and known pitfalls").
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { invalidParam } from '../../core/errors.js';

/** A loaded model; `inputNames`/`outputNames` list the graph's signature. */
export type OnnxSession = InferenceSession;

/** Tensor element types accepted in feeds (onnxruntime's names). */
export type FeedType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';

/** One input: flat row-major data and its dims. int64 accepts numbers or bigints. */
export interface Feed {
  type: FeedType;
  data: ArrayLike<number> | ArrayLike<bigint> | ArrayLike<boolean> | readonly string[];
  dims: readonly number[];
}

/** One output as plain JS values; int64 becomes number[] when every value is a safe integer. */
export interface Output {
  type: string;
  dims: number[];
  data: number[] | bigint[] | string[] | boolean[];
}

/** Loads a model; thread counts are set explicitly because ORT's default takes every core. */
export async function loadModel(bytes: Uint8Array, opts: { threads?: number } = {}): Promise<OnnxSession> {
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1)
    throw invalidParam('threads must be an integer ≥ 1', 'threads');
  try {
    return await InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  } catch (e) {
    // ORT messages name the problem, e.g. "Could not find an implementation for Foo(1) node …".
    throw invalidParam(`onnxruntime cannot load the model: ${errMessage(e)}`, 'file');
  }
}

/**
 * Runs one batch and returns the outputs (all, or `opts.outputs`) as plain arrays. onnxruntime-node
 * returns tensors only, so models with ZipMap's seq(map) output must name their tensor outputs.
 */
export async function predict(
  session: OnnxSession,
  feeds: Record<string, Feed>,
  opts: { outputs?: string[] } = {},
): Promise<Record<string, Output>> {
  const unknownOut = (opts.outputs ?? []).filter((n) => !session.outputNames.includes(n));
  if (unknownOut.length > 0) {
    const has = session.outputNames.join(', ');
    throw invalidParam(`unknown model output(s): ${unknownOut.join(', ')}; the model has ${has}`, 'outputs');
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length > 0) throw invalidParam(`missing model input(s): ${missing.join(', ')}`, 'inputs');
  const tensors: Record<string, Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) {
    if (!session.inputNames.includes(name)) {
      throw invalidParam(
        `unknown model input ${name}; the model takes ${session.inputNames.join(', ')}`,
        'inputs',
      );
    }
    tensors[name] = toTensor(name, f);
  }
  let results: InferenceSession.ReturnType;
  try {
    results = await (opts.outputs ? session.run(tensors, opts.outputs) : session.run(tensors));
  } catch (e) {
    const msg = errMessage(e);
    if (/non tensor type/i.test(msg)) {
      const hint = 'onnxruntime-node returns tensor outputs only; pass the tensor outputs in `outputs`';
      throw invalidParam(`prediction failed: ${msg} (${hint})`, 'outputs');
    }
    // Other run errors come from the feeds (wrong rank, wrong type), so they are the caller's to fix.
    throw invalidParam(`prediction failed: ${msg}`, 'inputs');
  }
  const out: Record<string, Output> = {};
  for (const [name, t] of Object.entries(results)) {
    out[name] = { type: t.type, dims: [...t.dims], data: toPlain(t) };
  }
  return out;
}

function toTensor(name: string, f: Feed): Tensor {
  const size = f.dims.reduce((a, b) => a * b, 1);
  if (f.data.length !== size) {
    throw invalidParam(
      `input ${name}: ${f.data.length} values do not fill dims [${f.dims.join(', ')}]`,
      'inputs',
    );
  }
  const dims = [...f.dims];
  const d = f.data;
  switch (f.type) {
    case 'float32':
      return new Tensor('float32', Float32Array.from(d as ArrayLike<number>), dims);
    case 'float64':
      return new Tensor('float64', Float64Array.from(d as ArrayLike<number>), dims);
    case 'int32':
      return new Tensor('int32', Int32Array.from(d as ArrayLike<number>), dims);
    case 'int64':
      return new Tensor(
        'int64',
        BigInt64Array.from(d as ArrayLike<number | bigint>, (v) => BigInt(v)),
        dims,
      );
    case 'bool':
      return new Tensor(
        'bool',
        Uint8Array.from(d as ArrayLike<boolean>, (v) => (v ? 1 : 0)),
        dims,
      );
    case 'string':
      return new Tensor('string', Array.from(d as readonly string[]), dims);
    default:
      throw invalidParam(`input ${name}: unsupported type ${String(f.type)}`, 'inputs');
  }
}

function toPlain(t: Tensor): Output['data'] {
  const d = t.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    const big = Array.from(d as ArrayLike<bigint>);
    const safe = big.every(
      (v) => v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER),
    );
    return safe ? big.map(Number) : big;
  }
  if (t.type === 'bool') return Array.from(d as Uint8Array, (v) => v !== 0);
  if (Array.isArray(d)) return d as string[];
  return Array.from(d as ArrayLike<number>);
}

/**
 * ORT prefixes some messages with its C++ source location and function signature
 * ("/onnxruntime_src/…/model_load_utils.h:46 void onnxruntime::…(…) <message>"); users get the message.
 */
export function errMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const loc = /^\S+\.(?:h|cc|cpp):\d+ /.exec(msg);
  if (!loc) return msg;
  // Skip the signature: everything up to the parenthesis that closes its parameter list.
  let depth = 0;
  for (let i = loc[0].length; i < msg.length; i++) {
    if (msg[i] === '(') depth++;
    else if (msg[i] === ')' && --depth === 0) return msg.slice(i + 1).trim() || msg;
  }
  return msg;
}
