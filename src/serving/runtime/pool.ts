/** ModelPool: N worker threads serving one model version, least-busy dispatch, draining close. */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { invalidParam, KeelError } from '../../core/errors.js';
import { checkInput, transferList } from './tensors.js';
import type { RunErrorCode, RunMessage, Tensors, WorkerInit, WorkerReply } from './types.js';

export interface PoolOptions {
  /** Worker threads (sessions); default 1. */
  workers?: number;
  /** Intra-op threads per session, set explicitly (ORT's default takes every core); default 1. */
  threads?: number;
  /** A valid request for the model, run once by every worker before the pool is ready. */
  warmup: Tensors;
}

/** A run's result plus the time the worker spent in session.run (µs). */
export interface PoolResult {
  outputs: Tensors;
  runUs: number;
}

interface Pending {
  resolve: (r: PoolResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  alive: boolean;
}

/**
 * The compiled worker beside this module. Node 20 cannot start a .ts worker, so when this module
 * runs from src/ (under vitest) the worker comes from dist/ — `npm test` builds first.
 */
export function workerUrl(): URL {
  return compiledUrl('serving/runtime/worker.js', new URL('./worker.js', import.meta.url));
}

/** `beside` when this module is compiled, else the same file under dist/; throws if it was not built. */
export function compiledUrl(distPath: string, beside: URL): URL {
  const url = import.meta.url.endsWith('.js')
    ? beside
    : new URL(`../../../dist/${distPath}`, import.meta.url);
  if (!fs.existsSync(fileURLToPath(url))) {
    throw new KeelError(
      'INVALID_STATE',
      `serving workers run from the compiled dist/ (npm run build): ${url}`,
    );
  }
  return url;
}

export class ModelPool {
  /** Resolves once every worker has loaded the model and run the warm-up; rejects if any failed. */
  readonly ready: Promise<void>;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  constructor(bytes: Uint8Array, opts: PoolOptions) {
    const n = opts.workers ?? 1;
    const threads = opts.threads ?? 1;
    if (!Number.isInteger(n) || n < 1) throw invalidParam('workers must be an integer ≥ 1', 'workers');
    if (!Number.isInteger(threads) || threads < 1)
      throw invalidParam('threads must be an integer ≥ 1', 'threads');
    const init: WorkerInit = { bytes, threads, warmup: opts.warmup };
    // Inherited flags apply to the worker's entry; --input-type (from `node -e`) is refused there.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    const url = workerUrl();
    const loads: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const slot: Slot = {
        worker: new Worker(url, { workerData: init, execArgv }),
        pending: new Map(),
        alive: true,
      };
      this.slots.push(slot);
      loads.push(this.watch(slot));
    }
    this.ready = Promise.all(loads).then(
      () => undefined,
      async (e: unknown) => {
        await this.terminate();
        throw e;
      },
    );
    // Callers that never await `ready` must not see an unhandled rejection.
    this.ready.catch(() => {});
  }

  /** Starts a pool and waits until it is ready; a model that fails to load or warm up throws. */
  static async start(bytes: Uint8Array, opts: PoolOptions): Promise<ModelPool> {
    const pool = new ModelPool(bytes, opts);
    await pool.ready;
    return pool;
  }

  /** Number of live workers. */
  get size(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  /** Runs in flight across the workers. */
  get inFlight(): number {
    return this.slots.reduce((a, s) => a + s.pending.size, 0);
  }

  /**
   * Runs one request on the least-busy worker. Typed-array buffers in `feeds` are transferred (the
   * caller's arrays become detached); outputs come back transferred. Bad feeds reject with
   * INVALID_PARAMETER_VALUE and leave the worker serving.
   */
  run(feeds: Tensors, outputs?: string[]): Promise<PoolResult> {
    if (this.closing) return Promise.reject(unavailable('the model version is shutting down'));
    try {
      // Here, not only in the worker: a detached (already transferred) array must not be posted.
      for (const [name, t] of Object.entries(feeds)) checkInput(name, t);
    } catch (e) {
      return Promise.reject(e);
    }
    let best: Slot | undefined;
    for (const s of this.slots) {
      if (s.alive && (best === undefined || s.pending.size < best.pending.size)) best = s;
    }
    if (!best) return Promise.reject(unavailable('no live worker for the model version'));
    const slot = best;
    const id = this.nextId++;
    const msg: RunMessage = outputs ? { id, feeds, outputs } : { id, feeds };
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      try {
        slot.worker.postMessage(msg, transferList(feeds));
      } catch (e) {
        slot.pending.delete(id);
        reject(e);
      }
    });
  }

  /** Stops taking runs, waits for those in flight, then terminates the workers. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        if (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
        await this.terminate();
      })();
    }
    return this.closing;
  }

  private watch(slot: Slot): Promise<void> {
    return new Promise((resolve, reject) => {
      let loaded = false;
      slot.worker.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          loaded = true;
          resolve();
        } else if (m.type === 'loadError') {
          reject(invalidParam(`onnxruntime cannot load or warm up the model: ${m.message}`, 'model'));
        } else {
          const p = slot.pending.get(m.id);
          if (!p) return;
          slot.pending.delete(m.id);
          if (m.type === 'result') p.resolve({ outputs: m.outputs, runUs: m.runUs });
          else p.reject(runError(m.code, m.message));
          this.settled();
        }
      });
      const died = (why: string): void => {
        if (!slot.alive) return;
        slot.alive = false;
        if (!loaded) reject(new KeelError('INTERNAL_ERROR', `serving worker ${why} while loading`));
        for (const p of slot.pending.values())
          p.reject(new KeelError('INTERNAL_ERROR', `serving worker ${why}`));
        slot.pending.clear();
        this.settled();
      };
      slot.worker.on('error', (e) => died(`failed: ${e.message}`));
      slot.worker.on('exit', (code) => died(`exited with code ${code}`));
    });
  }

  private settled(): void {
    if (this.drained && this.inFlight === 0) {
      this.drained();
      this.drained = null;
    }
  }

  private async terminate(): Promise<void> {
    await Promise.all(
      this.slots.map((s) => {
        s.alive = false;
        return s.worker.terminate();
      }),
    );
  }
}

const unavailable = (message: string): KeelError => new KeelError('TEMPORARILY_UNAVAILABLE', message);

function runError(code: RunErrorCode, message: string): KeelError {
  return new KeelError(code, message, code === 'INVALID_PARAMETER_VALUE' ? { field: 'inputs' } : undefined);
}
