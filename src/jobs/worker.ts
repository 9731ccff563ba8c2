import os from 'node:os';
import type { Context } from '../context.js';
import { type Clock, systemClock } from '../core/clock.js';
import { invalidParam, KeelError } from '../core/errors.js';
import { claim, extendLeases, releaseLeases } from './lease.js';
import { errorText, type JobRow } from './rows.js';
import { type Lease, type Outcome, type SettleReport, settle } from './settle.js';
import { type JobHandlers, NonRetryableError } from './types.js';
import { onEnqueue } from './wake.js';

export interface WorkerOptions {
  /** Handlers by job kind; the worker claims only these kinds. */
  handlers: JobHandlers;
  /** Handlers running at once (default 8). */
  concurrency?: number;
  /** Lease length (ms, default 30000), extended every third of it while a handler runs. */
  leaseMs?: number;
  /** Idle poll interval (ms, default 200). */
  pollMs?: number;
  /** Most jobs taken per claim (default min(concurrency, 100)). */
  batch?: number;
  /** How long `stop()` waits for running handlers before releasing their leases (ms, default 10000). */
  graceMs?: number;
  /** Shown as the lease owner (default `<host>:<pid>:<random>`). */
  id?: string;
  /** Wake up when this process enqueues (default true). */
  notify?: boolean;
  /**
   * Wall clock for leases and run times (default the system clock). Not `ctx.clock`: leases are
   * compared by workers in other processes, and tests and replays move `ctx.clock` by hand.
   */
  clock?: Clock;
  /** Jitter source for retry backoff (default Math.random). */
  random?: () => number;
}

export interface WorkerStats {
  /** Handlers running now (including timed-out ones that have not returned yet). */
  running: number;
  claimed: number;
  succeeded: number;
  failed: number;
  /** Attempts whose outcome was discarded because the lease was lost. */
  lost: number;
}

/** One attempt this worker holds. `running` until its outcome is queued for recording. */
interface Attempt {
  lease: Lease;
  state: 'running' | 'settling' | 'done';
  timer: NodeJS.Timeout | undefined;
  settled: Promise<void>;
}

const key = (l: Lease): string => `${l.row.id}:${l.token}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
/** Recording outcomes that fail (database unreachable) is retried this many times before the leases are left to expire. */
const SETTLE_TRIES = 5;

function positive(v: number | undefined, dflt: number, field: string, min: number, max: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < min || x > max)
    throw invalidParam(`${field} must be a whole number from ${min} to ${max}, got ${x}`, field);
  return x;
}

/**
 * Runs queued jobs: claims due jobs of its kinds in batches, runs up to `concurrency` handlers,
 * keeps their leases alive, and records outcomes in batches (group commit). Safe to run many, in
 * one process or on many machines, against the same database.
 */
export class Worker {
  readonly id: string;
  private readonly handlers: JobHandlers;
  private readonly kinds: string[];
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly batch: number;
  private readonly graceMs: number;
  private readonly notify: boolean;
  private readonly clock: Clock;
  private readonly random: () => number;

  private started = false;
  private stopping: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private polling: Promise<void> | null = null;
  private again = false;
  private quickPolls = 0;
  private claims = 0;
  private busy = 0;
  private beating = false;
  private readonly active = new Map<string, Attempt>();
  private pending: { outcome: Outcome; tries: number }[] = [];
  private flushing: Promise<void> | null = null;
  private readonly counts = { claimed: 0, succeeded: 0, failed: 0, lost: 0 };
  /**
   * Heartbeats, outcome batches and releases touch several of this worker's rows each; run one at a
   * time, two of them could lock the same rows in opposite orders (a PostgreSQL deadlock). Claims
   * need no turn: they skip locked rows.
   */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: Context,
    opts: WorkerOptions,
  ) {
    this.handlers = opts.handlers;
    this.kinds = Object.keys(opts.handlers).sort();
    this.concurrency = positive(opts.concurrency, 8, 'concurrency', 1, 10_000);
    this.leaseMs = positive(opts.leaseMs, 30_000, 'leaseMs', 30, 86_400_000);
    this.pollMs = positive(opts.pollMs, 200, 'pollMs', 1, 3_600_000);
    this.batch = positive(opts.batch, Math.min(this.concurrency, 100), 'batch', 1, 10_000);
    this.graceMs = positive(opts.graceMs, 10_000, 'graceMs', 0, 3_600_000);
    this.notify = opts.notify ?? true;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.id = opts.id ?? `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Starts claiming. Timers do not keep the process alive on their own. */
  start(): void {
    if (this.stopping)
      throw new KeelError('INVALID_STATE', `worker ${this.id} was stopped; create a new one`);
    if (this.started) return;
    this.started = true;
    if (this.notify)
      this.unsubscribe = onEnqueue(() => {
        // A transaction that enqueued may commit a moment after it notifies: look twice more, soon.
        this.quickPolls = 2;
        this.kick();
      });
    this.heartbeat = setInterval(() => void this.beat(), Math.max(Math.floor(this.leaseMs / 3), 10));
    this.heartbeat.unref();
    this.kick();
  }

  /**
   * Stops claiming, waits up to `graceMs` for running handlers and records their outcomes, then
   * aborts the rest and hands their jobs back to the queue.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  stats(): WorkerStats {
    return { running: this.busy, ...this.counts };
  }

  private async shutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    const settled = [...this.active.values()].map((a) => a.settled);
    await Promise.race([Promise.allSettled(settled), sleep(this.graceMs)]);
    const stuck = [...this.active.values()].filter((a) => a.state === 'running');
    for (const a of stuck) {
      a.state = 'done';
      clearTimeout(a.timer);
      a.lease.controller.abort(new Error('worker stopping'));
    }
    await this.flush();
    try {
      if (stuck.length > 0)
        await this.exclusive(() =>
          releaseLeases(
            this.ctx.store,
            stuck.map((a) => a.lease),
            this.clock.now(),
          ),
        );
    } catch (e) {
      this.ctx.logger.warn({ err: e, worker: this.id }, 'jobs: could not release leases; they will expire');
    }
    for (const a of stuck) this.active.delete(key(a.lease));
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => {});
    return run;
  }

  /** Polls as soon as the event loop is free (coalesces many calls into one claim). */
  private kick(): void {
    if (!this.started) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll().finally(() => {
        this.polling = null;
      });
    }, ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (!this.started) return;
    this.again = false;
    const wanted = Math.min(this.concurrency - this.busy, this.batch);
    let claimed = 0;
    let failed = false;
    if (wanted > 0) {
      const now = this.clock.now();
      try {
        const { leases, expired } = await claim(this.ctx.store, {
          kinds: this.kinds,
          limit: wanted,
          token: `${this.id}#${++this.claims}`,
          leaseMs: this.leaseMs,
          now,
          lease: (row, token) => this.leaseOf(row, token),
          random: this.random,
        });
        this.log(expired, 'expired lease');
        claimed = leases.length;
        this.counts.claimed += claimed;
        for (const l of leases) this.begin(l);
      } catch (e) {
        failed = true;
        this.ctx.logger.error({ err: e, worker: this.id }, 'jobs: claim failed');
      }
    }
    if (!this.started) return;
    // A full claim means more may be due now; `again` means slots freed (or jobs arrived) meanwhile.
    const more = claimed === wanted && wanted > 0 && this.busy < this.concurrency;
    if (!failed && (more || this.again)) this.schedule(0);
    else if (!failed && claimed === 0 && this.quickPolls > 0) {
      this.quickPolls--;
      this.schedule(10);
    } else this.schedule(failed ? Math.max(this.pollMs, 1000) : this.pollMs);
  }

  private leaseOf(row: JobRow, token: string): Lease {
    const handler = this.handlers[row.kind]!;
    let payload: unknown = null;
    let parseError: Error | undefined;
    try {
      payload = JSON.parse(row.payload);
      if (handler.parse) payload = handler.parse(payload);
    } catch (e) {
      parseError = new NonRetryableError(`payload rejected: ${errorText(e)}`);
    }
    const controller = new AbortController();
    const job = {
      id: Number(row.id),
      kind: row.kind,
      payload,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      priority: row.priority,
      dedupeKey: row.dedupe_key,
      timeoutMs: row.timeout_ms,
      createdAt: Number(row.created_at),
      signal: controller.signal,
    };
    return { row, token, job, handler, controller, ...(parseError ? { parseError } : {}) };
  }

  private begin(lease: Lease): void {
    const a: Attempt = {
      lease,
      state: 'running',
      timer: undefined,
      settled: Promise.resolve(),
    };
    this.active.set(key(lease), a);
    if (lease.parseError) {
      this.finish(a, { lease, ok: false, error: lease.parseError, final: true });
      return;
    }
    this.busy++;
    const timeoutMs = lease.row.timeout_ms;
    if (timeoutMs !== null) {
      a.timer = setTimeout(() => {
        a.lease.controller.abort(new Error(`timed out after ${timeoutMs} ms`));
        // The slot stays taken until the handler returns; its outcome is discarded.
        this.finish(a, { lease, ok: false, error: new Error(`timed out after ${timeoutMs} ms`) });
      }, timeoutMs);
      a.timer.unref();
    }
    a.settled = (async () => {
      try {
        const result = await lease.handler.run(lease.job, lease.job.signal);
        this.finish(a, { lease, ok: true, result });
      } catch (e) {
        this.finish(a, { lease, ok: false, error: e instanceof Error ? e : new Error(String(e)) });
      } finally {
        clearTimeout(a.timer);
        this.busy--;
        this.kick();
      }
    })();
  }

  /** Queues the outcome for the next group commit, unless the attempt already ended otherwise. */
  private finish(a: Attempt, outcome: Outcome): void {
    if (a.state !== 'running') return;
    a.state = 'settling';
    this.pending.push({ outcome, tries: 0 });
    if (!this.flushing)
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = null;
      });
  }

  /** Resolves once every queued outcome has been recorded (or given up on). */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Records outcomes in batches: whatever finished while the previous batch was committing. */
  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const report = await this.exclusive(() =>
          this.ctx.store.db.transaction().execute((trx) =>
            settle(
              trx,
              batch.map((b) => b.outcome),
              this.clock.now(),
              this.random,
            ),
          ),
        );
        this.counts.succeeded += report.succeeded;
        this.counts.failed += report.failed;
        this.log(report, 'attempt');
        for (const b of batch) this.done(b.outcome.lease);
      } catch (e) {
        this.ctx.logger.error({ err: e, worker: this.id }, 'jobs: recording outcomes failed');
        for (const b of batch) {
          if (++b.tries < SETTLE_TRIES) this.pending.push(b);
          else this.done(b.outcome.lease);
        }
        await sleep(500);
      }
    }
  }

  private done(lease: Lease): void {
    const a = this.active.get(key(lease));
    if (a) a.state = 'done';
    this.active.delete(key(lease));
  }

  private log(report: SettleReport, what: string): void {
    this.counts.lost += report.lost.length;
    for (const l of report.lost)
      this.ctx.logger.warn(
        { job: l.row.id, kind: l.row.kind, worker: this.id },
        `jobs: ${what} outcome discarded: the lease was taken over`,
      );
    for (const h of report.hookErrors)
      this.ctx.logger.error(
        { err: h.error, job: h.lease.row.id, kind: h.lease.row.kind, worker: this.id },
        'jobs: hook failed',
      );
  }

  /** Extends the leases of everything held; aborts attempts whose lease was taken over. */
  private async beat(): Promise<void> {
    if (this.beating || this.active.size === 0) return;
    this.beating = true;
    try {
      const held = [...this.active.values()];
      const tokens = [...new Set(held.map((a) => a.lease.token))];
      const alive = await this.exclusive(() =>
        extendLeases(this.ctx.store, tokens, this.leaseMs, this.clock.now()),
      );
      for (const a of held) {
        if (a.state !== 'running' || alive.has(key(a.lease))) continue;
        a.state = 'done';
        this.active.delete(key(a.lease));
        this.counts.lost++;
        a.lease.controller.abort(new Error('lease lost'));
        this.ctx.logger.warn(
          { job: a.lease.row.id, kind: a.lease.row.kind, worker: this.id },
          'jobs: lease lost (another worker took the job over); attempt aborted',
        );
      }
    } catch (e) {
      this.ctx.logger.warn({ err: e, worker: this.id }, 'jobs: heartbeat failed');
    } finally {
      this.beating = false;
    }
  }
}
