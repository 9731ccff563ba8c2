/**
 * The prediction log on the serving side. `record()` is on the request path: it never throws,
 * never awaits, and only keeps references. A timer packs what was recorded into one batch and
 * posts it to a worker thread that profiles it per event-time window, writes the records and
 * samples raw rows (worker.ts). When the worker falls behind, events are dropped and counted per
 * deployment and reason instead of blocking or growing without bound.
 */
import { Worker } from 'node:worker_threads';
import type { StorageConfig } from '../../core/config.js';
import { KeelError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { compiledUrl } from '../runtime/pool.js';
import type { LogSpec, ModelIO, PredictionEvent } from '../types.js';
import type { DropList, FailureEvent, FromWorker, ToWorker, WorkerData } from './messages.js';
import { BatchPacker, eventRows } from './pack.js';

export interface PredictionLogOptions {
  /** How often recorded events are posted to the worker (ms, default 50). */
  flushMs?: number;
  /** Rows accepted but not yet taken in by the worker; beyond it events are dropped (default 200,000). */
  maxPendingRows?: number;
  /** Events per posted batch; a full batch is posted on the next turn of the event loop (default 1000). */
  maxBatchEvents?: number;
  /** How often the worker writes records (ms, default 1000). */
  checkpointMs?: number;
  /**
   * How often the worker merges window profiles into the database (ms, default 5000): each merge
   * costs the same whatever the rows (sketches, HLL registers), so it runs less often than records.
   */
  profileMs?: number;
  /** How often the worker rewrites the open windows' sample segments (ms, default 30,000). */
  segmentMs?: number;
  /** Unwritten records the worker holds before it drops new ones (default: maxPendingRows). */
  maxBacklogRows?: number;
  logger?: Logger;
}

/** Counters, in rows. */
export interface PredictionLogStats {
  /** Rows accepted by `record()` (dropped ones not included). */
  accepted: number;
  /** Rows dropped, by reason: backlog (main thread), worker_backlog, error, worker_exit, closed. */
  dropped: Record<string, number>;
  /** Accepted rows the worker has not taken in yet. */
  pendingRows: number;
  /** Prediction records written to the database. */
  written: number;
}

/** A request that failed on its chosen route, as the serving pipeline reports it. */
export type FailedPrediction = Omit<FailureEvent, 'windowMs'>;

/** Failures held between batches, at most; beyond it they are dropped (a failure flood must not grow memory). */
const MAX_PENDING_FAILURES = 10_000;

/** Called for every drop: feeds e.g. keel_prediction_log_dropped_total{deployment,reason}. */
export type DropListener = (deployment: string, reason: string, rows: number) => void;

interface Request {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Drop warnings are logged at most this often (ms): drops come in floods. */
const WARN_EVERY_MS = 10_000;

export class PredictionLog {
  private readonly flushMs: number;
  private readonly maxPendingRows: number;
  private readonly maxBatchEvents: number;
  private readonly workerData: WorkerData;
  private readonly logger: Logger | undefined;

  private events: PredictionEvent[] = [];
  private ios: ModelIO[] = [];
  private specs: LogSpec[] = [];
  private rows: number[] = [];
  private failures: FailureEvent[] = [];
  private bufferedRows = 0;
  private postedRows = 0;
  /** Posted batches not yet acknowledged: rows per deployment. */
  private readonly posted = new Map<number, Map<string, number>>();
  private nextId = 1;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private readonly packer = new BatchPacker();
  private worker: Worker | null = null;
  private readonly requests = new Map<number, Request>();

  private accepted = 0;
  private written = 0;
  private readonly dropped = new Map<string, number>();
  private readonly droppedBy = new Map<string, Map<string, number>>();
  private readonly listeners: DropListener[] = [];
  private lastWarn = 0;
  private closing: Promise<void> | null = null;

  constructor(config: StorageConfig, opts: PredictionLogOptions = {}) {
    this.flushMs = opts.flushMs ?? 50;
    this.maxPendingRows = opts.maxPendingRows ?? 200_000;
    this.maxBatchEvents = opts.maxBatchEvents ?? 1000;
    this.logger = opts.logger;
    this.workerData = {
      config,
      options: {
        checkpointMs: opts.checkpointMs ?? 1000,
        profileMs: opts.profileMs ?? 5000,
        segmentMs: opts.segmentMs ?? 30_000,
        maxBacklogRows: opts.maxBacklogRows ?? this.maxPendingRows,
      },
    };
  }

  /**
   * Logs one request's passage through a route. Never throws and never waits: the event is kept
   * by reference until the next batch is packed, so its tensors must not be changed or transferred
   * afterwards. Disabled specs are ignored; when too much is pending the event is dropped and counted.
   */
  record(event: PredictionEvent, io: ModelIO, spec: LogSpec): void {
    if (!spec.enabled) return;
    let rows = 0;
    try {
      rows = eventRows(event);
      if (this.closing) {
        this.drop(event.deployment, 'closed', rows);
        return;
      }
      if (this.bufferedRows + this.postedRows + rows > this.maxPendingRows) {
        this.drop(event.deployment, 'backlog', rows);
        return;
      }
      this.events.push(event);
      this.ios.push(io);
      this.specs.push(spec);
      this.rows.push(rows);
      this.bufferedRows += rows;
      this.accepted += rows;
      if (this.events.length >= this.maxBatchEvents) {
        this.immediate ??= setImmediate(() => this.post());
      } else if (this.timer === null) {
        this.timer = setTimeout(() => this.post(), this.flushMs);
        this.timer.unref();
      }
    } catch {
      this.drop(String(event?.deployment), 'error', rows);
    }
  }

  /**
   * Counts a request that failed on the route chosen for it, in its event-time window. Like
   * `record()` it never throws nor waits; disabled specs are ignored.
   */
  recordFailure(f: FailedPrediction, spec: LogSpec): void {
    if (!spec.enabled) return;
    if (this.closing || this.failures.length >= MAX_PENDING_FAILURES) {
      this.drop(f.deployment, this.closing ? 'closed' : 'backlog', Math.max(1, f.rows));
      return;
    }
    this.failures.push({ ...f, windowMs: spec.windowSeconds * 1000 });
    if (this.timer === null && this.immediate === null) {
      this.timer = setTimeout(() => this.post(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Counters so far (rows). */
  stats(): PredictionLogStats {
    return {
      accepted: this.accepted,
      dropped: Object.fromEntries(this.dropped),
      pendingRows: this.bufferedRows + this.postedRows,
      written: this.written,
    };
  }

  /** Dropped rows per deployment and reason. */
  droppedByDeployment(): { deployment: string; reason: string; rows: number }[] {
    const out: { deployment: string; reason: string; rows: number }[] = [];
    for (const [deployment, m] of this.droppedBy)
      for (const [reason, rows] of m) out.push({ deployment, reason, rows });
    return out;
  }

  /** Calls `cb` on every drop (deployment, reason, rows). */
  onDrop(cb: DropListener): void {
    this.listeners.push(cb);
  }

  /**
   * Resolves once everything accepted so far is durably written: profiles merged into their
   * windows, records inserted, samples checkpointed as segments. Rejects if a write failed.
   */
  async flush(): Promise<void> {
    this.post();
    if (this.worker === null) return;
    await this.request('flush');
  }

  /** Flushes and stops the worker: on a clean shutdown nothing accepted is lost. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.post();
      const w = this.worker;
      if (w === null) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      try {
        await this.request('close');
      } finally {
        // Referenced until it is gone: otherwise a script awaiting close() could see its event loop
        // empty (the worker unreferenced, the timer too) and exit before close() resolves.
        w.ref();
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        if (this.worker === w) {
          this.worker = null;
          await w.terminate();
        }
      }
    })();
    return this.closing;
  }

  /** Packs the recorded events into one batch and posts it to the worker (started on first use). */
  private post(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    const n = this.events.length;
    if (n === 0 && this.failures.length === 0) return;
    const { events, ios, specs, rows, failures } = this;
    this.events = [];
    this.ios = [];
    this.specs = [];
    this.rows = [];
    this.failures = [];
    this.bufferedRows = 0;
    let worker: Worker;
    try {
      worker = this.ensureWorker();
    } catch (e) {
      this.logger?.error({ err: e }, 'prediction log: cannot start its worker; events dropped');
      for (let i = 0; i < n; i++) this.drop(events[i]!.deployment, 'error', rows[i]!);
      for (const f of failures) this.drop(f.deployment, 'error', Math.max(1, f.rows));
      return;
    }
    let packed = 0;
    const byDeployment = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      const r = rows[i]!;
      const mark = this.packer.mark();
      try {
        this.packer.add(e, ios[i]!, specs[i]!, r);
        packed += r;
        byDeployment.set(e.deployment, (byDeployment.get(e.deployment) ?? 0) + r);
      } catch {
        // A malformed event (not a tensor where one should be) is dropped alone.
        this.packer.rollback(mark);
        this.drop(e.deployment, 'error', r);
      }
    }
    const id = this.nextId++;
    const { batch, transfer } = this.packer.take(id);
    if (failures.length > 0) batch.failures = failures;
    this.posted.set(id, byDeployment);
    this.postedRows += packed;
    worker.postMessage(batch satisfies ToWorker, transfer);
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const url = compiledUrl('serving/log/worker.js', new URL('./worker.js', import.meta.url));
    // Inherited flags apply to the worker's entry; --input-type (from `node -e`) is refused there.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    const w = new Worker(url, { workerData: this.workerData, execArgv });
    // A log must not keep a process alive; a pending flush or close refs it meanwhile.
    w.unref();
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (e) => this.logger?.error({ err: e }, 'prediction log worker failed'));
    w.on('exit', (code) => this.onExit(w, code));
    this.packer.resetIos();
    this.worker = w;
    return w;
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'ack': {
        for (const rows of this.posted.get(m.id)?.values() ?? []) this.postedRows -= rows;
        this.posted.delete(m.id);
        this.drops(m.dropped);
        return;
      }
      case 'written':
        this.written += m.rows;
        this.drops(m.dropped);
        return;
      case 'flushed':
      case 'closed':
        this.settle(m.id, m.error);
        return;
      case 'error':
        this.logger?.error(m.message);
        return;
    }
  }

  /** The worker is gone: unacknowledged rows are lost, waiting flushes fail, the next batch starts a new one. */
  private onExit(w: Worker, code: number): void {
    if (this.worker === w) this.worker = null;
    for (const batch of this.posted.values())
      for (const [deployment, rows] of batch) this.drop(deployment, 'worker_exit', rows);
    this.posted.clear();
    this.postedRows = 0;
    for (const id of [...this.requests.keys()]) {
      this.settle(id, `the prediction log worker exited (code ${code})`);
    }
  }

  private request(type: 'flush' | 'close'): Promise<void> {
    const w = this.worker;
    if (w === null) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.requests.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ type, id } satisfies ToWorker);
    });
  }

  private settle(id: number, error: string | undefined): void {
    const r = this.requests.get(id);
    if (!r) return;
    this.requests.delete(id);
    if (this.requests.size === 0) this.worker?.unref();
    if (error === undefined) r.resolve();
    else r.reject(new KeelError('INTERNAL_ERROR', `prediction log: ${error}`));
  }

  private drops(list: DropList): void {
    for (const [deployment, reason, rows] of list) this.drop(deployment, reason, rows);
  }

  private drop(deployment: string, reason: string, rows: number): void {
    if (rows <= 0) return;
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + rows);
    let m = this.droppedBy.get(deployment);
    if (!m) {
      m = new Map();
      this.droppedBy.set(deployment, m);
    }
    m.set(reason, (m.get(reason) ?? 0) + rows);
    for (const cb of this.listeners) {
      try {
        cb(deployment, reason, rows);
      } catch {
        // A listener's failure is its own.
      }
    }
    const now = Date.now();
    if (this.logger && now - this.lastWarn >= WARN_EVERY_MS) {
      this.lastWarn = now;
      this.logger.warn({ dropped: Object.fromEntries(this.dropped) }, 'prediction log dropping events');
    }
  }
}
