/**
 * DynamicBatcher: Triton-style dynamic batching for one deployment. Single requests queue up and
 * go out as one batch (concatenated along dim 0) when `maxBatchRows` rows are waiting, when the
 * oldest has waited `maxDelayUs`, or at once while a batch slot is free and the delay is 0 — so
 * batches grow exactly when the workers are busy. The queue is bounded in rows: a full queue
 * rejects at once with QueueFullError (503 + retry-after) instead of growing memory.
 */
import { KeelError } from '../../core/errors.js';
import { QueueFullError, RequestTimeoutError } from './errors.js';
import type { PoolResult } from './pool.js';
import { batchKey, concatRows, rowsOf, splitRows } from './tensors.js';
import type { Tensors } from './types.js';

/** What the batcher sends batches to: a ModelPool, or a ServedModel that swaps pools. */
export interface Runner {
  run(feeds: Tensors, outputs?: string[]): Promise<PoolResult>;
  /** Workers available; the default number of batches in flight at once. */
  readonly size: number;
}

export interface BatcherOptions {
  /** Rows per batch (a larger single request still runs, alone); default 64. */
  maxBatchRows?: number;
  /** How long the oldest request may wait for a fuller batch (µs); default 0 (no waiting). */
  maxDelayUs?: number;
  /** Rows that may wait; beyond it requests are rejected at once; default 1024. */
  maxQueueRows?: number;
  /** Default per-request timeout (ms), queueing plus compute; default none. */
  timeoutMs?: number;
  /** Batches in flight at once; default the runner's worker count. */
  maxConcurrentBatches?: number;
  /** Outputs to fetch; default all. */
  outputs?: string[];
  /** Called with the rows of every batch dispatched (for metrics). */
  onBatch?: (rows: number) => void;
}

/** One request's outputs and where its time went. */
export interface BatchedResult {
  outputs: Tensors;
  /** Enqueue to dispatch (µs). */
  queueUs: number;
  /** Dispatch to the batch's result, including the trips to and from the worker (µs). */
  computeUs: number;
  /** Time inside session.run for the whole batch (µs). */
  runUs: number;
  /** Rows in the batch this request ran in. */
  batchRows: number;
}

export interface BatcherStats {
  batches: number;
  rows: number;
  queuedRows: number;
  inFlightBatches: number;
}

interface Queued {
  feeds: Tensors;
  rows: number;
  key: string;
  enqueued: number;
  resolve: (r: BatchedResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** Settled (by its batch or its timeout): later events for it are ignored. */
  done: boolean;
}

const now = (): number => performance.now();

export class DynamicBatcher {
  private readonly maxBatchRows: number;
  private readonly maxDelayUs: number;
  private readonly maxQueueRows: number;
  private readonly timeoutMs: number | undefined;
  private readonly maxConcurrent: number | undefined;
  private readonly outputs: string[] | undefined;
  private readonly onBatch: ((rows: number) => void) | undefined;
  private queue: Queued[] = [];
  private queuedRows = 0;
  private inFlight = 0;
  private batches = 0;
  private rows = 0;
  /** Smoothed batch round trip (ms), for retry-after estimates. */
  private batchMs = 1;
  private pumpScheduled = false;
  private delayTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly runner: Runner,
    opts: BatcherOptions = {},
  ) {
    this.maxBatchRows = opts.maxBatchRows ?? 64;
    this.maxDelayUs = opts.maxDelayUs ?? 0;
    this.maxQueueRows = opts.maxQueueRows ?? 1024;
    this.timeoutMs = opts.timeoutMs;
    this.maxConcurrent = opts.maxConcurrentBatches;
    this.outputs = opts.outputs;
    this.onBatch = opts.onBatch;
  }

  /**
   * Queues one request ([rows, …] feeds). Rejects with INVALID_PARAMETER_VALUE for malformed feeds,
   * QueueFullError when the queue is full, RequestTimeoutError after `timeoutMs`, and the model's
   * error when its batch fails. The caller's arrays are copied, never transferred.
   */
  submit(feeds: Tensors, opts: { timeoutMs?: number } = {}): Promise<BatchedResult> {
    let rows: number;
    try {
      rows = rowsOf(feeds);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.closing) {
      return Promise.reject(new KeelError('TEMPORARILY_UNAVAILABLE', 'the deployment is shutting down'));
    }
    if (rows > this.maxQueueRows) {
      // Retrying cannot help this one: it is the request, not the load.
      const msg = `a request of ${rows} rows exceeds the deployment's queue of ${this.maxQueueRows} rows`;
      return Promise.reject(new KeelError('INVALID_PARAMETER_VALUE', msg, { field: 'inputs' }));
    }
    if (this.queuedRows + rows > this.maxQueueRows) {
      return Promise.reject(new QueueFullError(this.retryAfterMs(), this.queuedRows));
    }
    return new Promise((resolve, reject) => {
      const q: Queued = {
        feeds,
        rows,
        key: batchKey(feeds),
        enqueued: now(),
        resolve,
        reject,
        timer: undefined,
        done: false,
      };
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      if (timeoutMs !== undefined) q.timer = setTimeout(() => this.expire(q, timeoutMs), timeoutMs);
      this.queue.push(q);
      this.queuedRows += rows;
      this.schedule();
    });
  }

  stats(): BatcherStats {
    return {
      batches: this.batches,
      rows: this.rows,
      queuedRows: this.queuedRows,
      inFlightBatches: this.inFlight,
    };
  }

  /** Refuses new requests, runs every queued one without waiting for fuller batches, resolves when done. */
  close(): Promise<void> {
    this.closing = true;
    this.pump();
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => (this.idle = r));
  }

  private retryAfterMs(): number {
    const slots = this.maxConcurrent ?? Math.max(1, this.runner.size);
    const waves = Math.ceil(this.queuedRows / this.maxBatchRows / slots) + 1;
    return Math.max(1, Math.ceil(waves * this.batchMs + this.maxDelayUs / 1000));
  }

  private expire(q: Queued, timeoutMs: number): void {
    if (q.done) return;
    q.done = true;
    const i = this.queue.indexOf(q);
    if (i >= 0) {
      // Not dispatched yet: its rows never run.
      this.queue.splice(i, 1);
      this.queuedRows -= q.rows;
    }
    q.reject(new RequestTimeoutError(timeoutMs, i < 0));
    this.checkIdle();
  }

  /**
   * Pumps once per event-loop turn (setImmediate runs after the poll phase): every request whose
   * bytes arrived in the same turn shares a batch — one message to a worker instead of one each —
   * at the cost of finishing the turn first, a few microseconds when it holds one request.
   */
  private schedule(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const slots = this.maxConcurrent ?? Math.max(1, this.runner.size);
    while (this.queue.length > 0 && this.inFlight < slots) {
      const head = this.queue[0]!;
      const waitedUs = (now() - head.enqueued) * 1000;
      if (!this.closing && this.queuedRows < this.maxBatchRows && waitedUs < this.maxDelayUs) {
        if (!this.delayTimer) {
          const ms = (this.maxDelayUs - waitedUs) / 1000;
          this.delayTimer = setTimeout(() => {
            this.delayTimer = undefined;
            this.pump();
          }, ms);
        }
        return;
      }
      // Spread what is waiting over the idle workers rather than fill one and leave the others idle.
      const limit = Math.min(this.maxBatchRows, Math.ceil(this.queuedRows / (slots - this.inFlight)));
      // Contiguous requests that fit and match the head's inputs; the head always goes.
      let n = 1;
      let rows = head.rows;
      while (n < this.queue.length) {
        const q = this.queue[n]!;
        if (q.key !== head.key || rows + q.rows > limit) break;
        rows += q.rows;
        n++;
      }
      const batch = this.queue.splice(0, n);
      this.queuedRows -= rows;
      this.dispatch(batch, rows);
    }
    this.checkIdle();
  }

  private dispatch(batch: Queued[], rows: number): void {
    const start = now();
    this.inFlight++;
    this.batches++;
    this.rows += rows;
    this.onBatch?.(rows);
    let feeds: Tensors;
    try {
      feeds = concatRows(
        batch.map((q) => q.feeds),
        rows,
      );
    } catch (e) {
      this.finish(batch, start, e);
      return;
    }
    this.runner.run(feeds, this.outputs).then(
      (r) => this.finish(batch, start, null, r, rows),
      (e: unknown) => this.finish(batch, start, e),
    );
  }

  private finish(batch: Queued[], start: number, err: unknown, r?: PoolResult, rows = 0): void {
    const end = now();
    this.inFlight--;
    this.batchMs = 0.8 * this.batchMs + 0.2 * (end - start);
    let parts: Tensors[] | null = null;
    if (r) {
      try {
        parts = splitRows(
          r.outputs,
          batch.map((q) => q.rows),
        );
      } catch (e) {
        err = new KeelError('INTERNAL_ERROR', `cannot split the batch's outputs: ${(e as Error).message}`);
      }
    }
    const computeUs = Math.round((end - start) * 1000);
    batch.forEach((q, i) => {
      if (q.timer) clearTimeout(q.timer);
      if (q.done) return;
      q.done = true;
      if (parts && r) {
        const queueUs = Math.round((start - q.enqueued) * 1000);
        q.resolve({ outputs: parts[i]!, queueUs, computeUs, runUs: r.runUs, batchRows: rows });
      } else {
        q.reject(err instanceof Error ? err : new KeelError('INTERNAL_ERROR', String(err)));
      }
    });
    this.pump();
  }

  private checkIdle(): void {
    if (this.idle && this.queue.length === 0 && this.inFlight === 0) {
      this.idle();
      this.idle = null;
    }
  }
}
