/**
 * ServedModel: one deployment — a dynamic batcher in front of a worker pool — with hot swap.
 * swap() starts and warms a new pool while the old one keeps serving, then points new batches at
 * the new pool and drains the old one before terminating its workers: no request fails, and no
 * session is ever released in this process (terminating workers is how memory comes back).
 */
import { KeelError } from '../../core/errors.js';
import { type BatchedResult, type BatcherOptions, DynamicBatcher, type Runner } from './batcher.js';
import { ModelPool, type PoolOptions, type PoolResult } from './pool.js';
import type { Tensors } from './types.js';

export interface ServedModelOptions extends PoolOptions, BatcherOptions {}

export class ServedModel implements Runner {
  private readonly batcher: DynamicBatcher;
  private swapping: Promise<unknown> = Promise.resolve();
  private gen = 1;
  private closed = false;

  private constructor(
    private pool: ModelPool,
    private readonly opts: ServedModelOptions,
  ) {
    this.batcher = new DynamicBatcher(this, opts);
  }

  /** Loads and warms the model on its workers; throws INVALID_PARAMETER_VALUE if it cannot load. */
  static async start(bytes: Uint8Array, opts: ServedModelOptions): Promise<ServedModel> {
    return new ServedModel(await ModelPool.start(bytes, opts), opts);
  }

  /** Increments with every successful swap. */
  get generation(): number {
    return this.gen;
  }

  get size(): number {
    return this.pool.size;
  }

  /** One request ([rows, …] feeds) through the batcher. */
  infer(feeds: Tensors, opts: { timeoutMs?: number } = {}): Promise<BatchedResult> {
    return this.batcher.submit(feeds, opts);
  }

  stats(): ReturnType<DynamicBatcher['stats']> {
    return this.batcher.stats();
  }

  /** The batcher's way in: always the current pool. */
  run(feeds: Tensors, outputs?: string[]): Promise<PoolResult> {
    return this.pool.run(feeds, outputs);
  }

  /**
   * Replaces the model. Resolves once the new version serves and the old one has drained; if the new
   * model fails to load or warm up, rejects and the old one keeps serving. Swaps run one at a time.
   */
  swap(bytes: Uint8Array, opts: { warmup?: Tensors } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new KeelError('INVALID_STATE', 'the deployment is closed'));
    const next = this.swapping.then(async () => {
      const pool = await ModelPool.start(bytes, { ...this.opts, warmup: opts.warmup ?? this.opts.warmup });
      const old = this.pool;
      this.pool = pool;
      this.gen++;
      await old.close();
    });
    this.swapping = next.catch(() => {});
    return next;
  }

  /** Refuses new requests, finishes queued and running ones, then stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.swapping;
    await this.batcher.close();
    await this.pool.close();
  }
}
