import type { Run, RunInfo, RunStatus } from '../tracking/types.js';
import { isRejection } from './errors.js';
import type { LogBatch, MetricInput, Runs } from './runs.js';

export interface RunLoggerOptions {
  /** How often buffered items are sent in the background (ms). Default 1000. */
  flushIntervalMs?: number;
  /** Pending items that trigger a send without waiting for the interval. Default 1000. */
  flushAt?: number;
}

type Item =
  | { kind: 'metric'; metric: Required<MetricInput> }
  | { kind: 'param'; key: string; value: string }
  | { kind: 'tag'; key: string; value: string };

/** MLflow's log-batch limits; the server enforces the same ones. */
const BATCH = { metrics: 1000, params: 100, tags: 100, total: 1000 };

/**
 * A run being logged to. Logging calls only append to an in-memory buffer; a background
 * flusher sends it as `log-batch` requests, one at a time and in order.
 *
 * Failures are never dropped silently: a batch the server refuses (4xx, e.g. a changed param)
 * is discarded and its error is rethrown by the next `flush()` or `end()`; a batch that failed
 * for a transient reason (network, 5xx) stays buffered and is retried, and `flush()` throws it.
 * The timer does not keep the process alive: call `end()` (or `flush()`) before exiting.
 */
export class ActiveRun {
  readonly runId: string;
  readonly experimentId: string;
  /** The run as created. */
  readonly run: Run;

  private readonly queue: Item[] = [];
  /** Items ever queued, and items sent or discarded: `flush()` waits for the latter to catch up. */
  private queued = 0;
  private settled = 0;
  /** Param values the server accepted, to keep a conflicting value out of unrelated batches. */
  private readonly sentParams = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private kickQueued = false;
  private pumping: Promise<void> | undefined;
  /** The first refused batch's error not yet reported to the caller. */
  private failure: unknown;
  private closing = false;
  private readonly intervalMs: number;
  private readonly flushAt: number;

  constructor(
    private readonly runs: Runs,
    run: Run,
    opts: RunLoggerOptions = {},
  ) {
    this.run = run;
    this.runId = run.info.runId;
    this.experimentId = run.info.experimentId;
    this.intervalMs = opts.flushIntervalMs ?? 1000;
    this.flushAt = opts.flushAt ?? 1000;
  }

  /** Items buffered and not yet sent. */
  get pending(): number {
    return this.queue.length;
  }

  /** Buffers one metric value (timestamp: now, taken at the call). */
  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): void {
    this.push({ kind: 'metric', metric: { key, value, step, timestamp } });
  }

  /** Buffers several metrics at one step and timestamp. */
  logMetrics(metrics: Record<string, number>, step = 0): void {
    const timestamp = Date.now();
    for (const [key, value] of Object.entries(metrics)) this.logMetric(key, value, step, timestamp);
  }

  /** Buffers a param; params are immutable, so a different value for a logged key is refused. */
  logParam(key: string, value: string | number | boolean): void {
    this.push({ kind: 'param', key, value: String(value) });
  }

  /** Buffers several params. */
  logParams(params: Record<string, string | number | boolean>): void {
    for (const [key, value] of Object.entries(params)) this.logParam(key, value);
  }

  /** Buffers a tag (last value wins). */
  setTag(key: string, value: string): void {
    this.push({ kind: 'tag', key, value });
  }

  /**
   * Sends everything logged before the call. Rejects with the first refused batch since the last
   * flush, or with a transient error (the unsent items stay buffered for a retry).
   */
  async flush(): Promise<void> {
    const target = this.queued;
    while (this.settled < target) await this.pump();
    if (this.failure !== undefined) {
      const e = this.failure;
      this.failure = undefined;
      throw e;
    }
  }

  /**
   * Flushes, then sets the status and end time. A refused batch still ends the run and is then
   * rethrown; on a transient failure the run stays open and `end()` can be called again.
   */
  async end(status: RunStatus = 'FINISHED'): Promise<RunInfo> {
    if (this.closing) throw new Error(`Run ${this.runId} has already ended`);
    this.closing = true;
    let refused: unknown;
    try {
      await this.flush();
    } catch (e) {
      if (!isRejection(e)) {
        this.closing = false;
        throw e;
      }
      refused = e;
    }
    let info: RunInfo;
    try {
      info = await this.runs.update(this.runId, { status, endTime: Date.now() });
    } catch (e) {
      this.closing = false;
      // Keep the refused batch's error for the next flush()/end() rather than losing it.
      if (refused !== undefined) this.failure ??= refused;
      throw e;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    if (refused !== undefined) throw refused;
    return info;
  }

  private push(item: Item): void {
    if (this.closing) throw new Error(`Run ${this.runId} has ended; it accepts no more logging`);
    this.queue.push(item);
    this.queued++;
    if (this.queue.length >= this.flushAt) {
      // Soon, but not inside the caller's logging call.
      if (!this.kickQueued) {
        this.kickQueued = true;
        queueMicrotask(() => this.kick());
      }
    } else if (!this.pumping) {
      this.schedule();
    }
  }

  /** Starts a background send; a transient failure is retried by the timer (and thrown by flush()). */
  private kick(): void {
    this.kickQueued = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pumping) this.pump().catch(() => undefined);
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.kick(), this.intervalMs).unref();
  }

  /** The running drain, or a new one: one request in flight at a time. */
  private pump(): Promise<void> {
    this.pumping ??= this.drain().finally(() => {
      this.pumping = undefined;
      // Left over after a transient failure, or queued just as the drain finished.
      if (this.queue.length > 0) this.schedule();
    });
    return this.pumping;
  }

  /** Sends batches from the head of the queue until it is empty (or a transient error stops it). */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const n = this.nextBatchSize();
      const items = this.queue.slice(0, n);
      try {
        await this.send(items);
      } catch (e) {
        // Transient: keep the items at the head and let the caller (flush or timer) retry.
        if (!isRejection(e)) throw e;
        this.failure ??= e;
      }
      // Only drain() removes from the head, and only one drain runs: the first n are `items`.
      this.queue.splice(0, n);
      this.settled += n;
    }
  }

  /**
   * How many head items fit one request within MLflow's limits. A param whose value conflicts
   * with one already sent or in this batch goes in a request of its own, so the server refuses
   * only that param and not the metrics around it.
   */
  private nextBatchSize(): number {
    let metrics = 0;
    let params = 0;
    let tags = 0;
    let n = 0;
    const inBatch = new Map<string, string>();
    for (const item of this.queue) {
      if (n >= BATCH.total) break;
      if (item.kind === 'metric') {
        if (metrics >= BATCH.metrics) break;
        metrics++;
      } else if (item.kind === 'param') {
        const known = inBatch.get(item.key) ?? this.sentParams.get(item.key);
        if (known !== undefined && known !== item.value) return n === 0 ? 1 : n;
        if (params >= BATCH.params) break;
        params++;
        inBatch.set(item.key, item.value);
      } else {
        if (tags >= BATCH.tags) break;
        tags++;
      }
      n++;
    }
    return n;
  }

  private async send(items: Item[]): Promise<void> {
    const batch: Required<LogBatch> = { metrics: [], params: [], tags: [] };
    for (const item of items) {
      if (item.kind === 'metric') batch.metrics.push(item.metric);
      else (item.kind === 'param' ? batch.params : batch.tags).push({ key: item.key, value: item.value });
    }
    await this.runs.logBatch(this.runId, batch);
    for (const p of batch.params) this.sentParams.set(p.key, p.value);
  }
}
