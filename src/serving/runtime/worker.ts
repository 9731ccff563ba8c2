/**
 * Worker-thread entry (run from the compiled dist/ only): one onnxruntime session for one model
 * version. session.run() blocks this thread, not the server's event loop; the session is never
 * released — the pool terminates the whole worker instead (releasing sessions leaks native memory).
 * Protocol: 'ready' (or 'loadError') once loaded and warmed up, then one 'result' or 'error' per run.
 * Bad feeds end as INVALID_PARAMETER_VALUE replies; nothing a request sends may crash the worker.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { isKeelError } from '../../core/errors.js';
import { errMessage } from '../../models/onnx/runtime.js';
import { checkInput, transferList } from './tensors.js';
import type { RunMessage, Tensors, TensorType, WorkerInit, WorkerReply } from './types.js';

const port = parentPort!;
const init = workerData as WorkerInit;

class FeedError extends Error {}

function post(m: WorkerReply, tensors?: Tensors): void {
  if (!tensors) {
    port.postMessage(m);
    return;
  }
  try {
    port.postMessage(m, transferList(tensors));
  } catch {
    // An ORT-owned buffer may not be detachable: fall back to copying it.
    port.postMessage(m);
  }
}

function toTensors(session: InferenceSession, feeds: Tensors): Record<string, Tensor> {
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length > 0) throw new FeedError(`missing model input(s): ${missing.join(', ')}`);
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    if (!session.inputNames.includes(name)) {
      throw new FeedError(`unknown model input ${name}; the model takes ${session.inputNames.join(', ')}`);
    }
    checkInput(name, t);
    out[name] = new Tensor(t.type as TensorType, t.data as Float32Array, t.dims);
  }
  return out;
}

async function run(session: InferenceSession, feeds: Tensors, outputs?: string[]): Promise<Tensors> {
  const tensors = toTensors(session, feeds);
  const unknown = (outputs ?? []).filter((n) => !session.outputNames.includes(n));
  if (unknown.length > 0) throw new FeedError(`unknown model output(s): ${unknown.join(', ')}`);
  const results = await (outputs ? session.run(tensors, outputs) : session.run(tensors));
  const out: Tensors = {};
  for (const [name, t] of Object.entries(results)) {
    out[name] = { type: t.type, dims: [...t.dims], data: t.data as Float32Array };
  }
  return out;
}

/** Feed problems are the caller's; ORT's run errors are too when they name an input, shape or type. */
function classify(e: unknown): { code: 'INVALID_PARAMETER_VALUE' | 'INTERNAL_ERROR'; message: string } {
  const message = errMessage(e);
  if (e instanceof FeedError || isKeelError(e)) return { code: 'INVALID_PARAMETER_VALUE', message };
  if (/input|dimension|shape|data type|feed|rank|tensor type/i.test(message)) {
    return { code: 'INVALID_PARAMETER_VALUE', message: `prediction failed: ${message}` };
  }
  return { code: 'INTERNAL_ERROR', message: `prediction failed: ${message}` };
}

async function load(): Promise<InferenceSession | null> {
  try {
    const session = await InferenceSession.create(init.bytes, {
      intraOpNumThreads: init.threads,
      interOpNumThreads: 1,
    });
    // The first run initialises lazily-built state; the version is ready only after it.
    await run(session, init.warmup);
    return session;
  } catch (e) {
    post({ type: 'loadError', message: errMessage(e) });
    return null;
  }
}

const session = await load();
if (session) {
  port.on('message', (m: RunMessage) => {
    const t0 = performance.now();
    run(session, m.feeds, m.outputs).then(
      (outputs) => {
        const runUs = Math.round((performance.now() - t0) * 1000);
        post({ type: 'result', id: m.id, outputs, runUs }, outputs);
      },
      (e: unknown) => post({ type: 'error', id: m.id, ...classify(e) }),
    );
  });
  post({ type: 'ready' });
}
