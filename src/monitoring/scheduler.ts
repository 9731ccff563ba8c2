/**
 * The schedule: every tick, each enabled monitor (one replica at a time, by lease) evaluates the
 * windows that closed since it last looked — a window is closed `delayMs` after its end, on the
 * wall clock, so replayed traffic with past event times is evaluated at once — and re-opens the
 * windows whose labels arrived since (late labels re-open performance results).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Context } from '../context.js';
import { listMonitors } from './monitors.js';
import { runMonitor } from './runs.js';
import type { Monitor } from './types.js';

const LEASE_MS = 5 * 60_000;

export interface SchedulerOptions {
  intervalMs?: number;
}

export class MonitorScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly owner = randomUUID();
  private readonly intervalMs: number;

  constructor(
    private readonly ctx: Context,
    opts: SchedulerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 10_000;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running)
        this.running = this.tick()
          .then(() => undefined)
          .finally(() => {
            this.running = null;
          });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over every enabled monitor; errors are logged per monitor. */
  async tick(): Promise<number> {
    let runs = 0;
    for (const m of await listMonitors(this.ctx)) {
      if (!m.enabled) continue;
      try {
        if (await this.lease(m.name)) runs += await this.due(m);
      } catch (e) {
        this.ctx.logger.warn({ monitor: m.name, err: e }, 'monitor evaluation failed');
      } finally {
        await this.release(m.name);
      }
    }
    return runs;
  }

  private async lease(name: string): Promise<boolean> {
    const now = this.ctx.clock.now();
    const r = await this.ctx.store.db
      .updateTable('monitors')
      .set({ lease_owner: this.owner, lease_until: now + LEASE_MS })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('lease_until', '<', now), eb('lease_owner', '=', this.owner)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  private async release(name: string): Promise<void> {
    await this.ctx.store.db
      .updateTable('monitors')
      .set({ lease_owner: null, lease_until: 0 })
      .where('name', '=', name)
      .where('lease_owner', '=', this.owner)
      .execute();
  }

  /** Evaluates what is due for one monitor; returns the number of runs. */
  private async due(m: Monitor): Promise<number> {
    const db = this.ctx.store.db;
    const now = this.ctx.clock.now();
    const row = await db
      .selectFrom('monitors')
      .select(['windows_cursor', 'labels_cursor'])
      .where('name', '=', m.name)
      .executeTakeFirstOrThrow();
    const span = (start: number) =>
      m.spec.window.kind === 'time'
        ? { start: Math.floor(start / m.spec.window.ms) * m.spec.window.ms, ms: m.spec.window.ms }
        : null;
    const closed = (start: number, logMs: number) => {
      const s = span(start);
      const end = s ? s.start + s.ms : start + logMs;
      return end + m.spec.delayMs <= now;
    };
    const changed = await db
      .selectFrom('prediction_windows')
      .select(['window_start', 'window_ms', 'updated_at'])
      .where('deployment', '=', m.deployment)
      .where('updated_at', '>', row.windows_cursor)
      .execute();
    let windowsCursor = row.windows_cursor;
    let openMin = Number.POSITIVE_INFINITY;
    const dueStarts: number[] = [];
    for (const c of changed) {
      if (closed(c.window_start, c.window_ms)) dueStarts.push(c.window_start);
      else openMin = Math.min(openMin, c.updated_at);
      windowsCursor = Math.max(windowsCursor, c.updated_at);
    }
    if (openMin !== Number.POSITIVE_INFINITY) windowsCursor = Math.min(windowsCursor, openMin - 1);
    // Labels received since the last look: the windows of the predictions they label.
    const labels = await db
      .selectFrom('prediction_feedback as f')
      .innerJoin('prediction_records as r', (j) =>
        j
          .onRef('r.deployment', '=', 'f.deployment')
          .onRef('r.request_id', '=', 'f.request_id')
          .onRef('r.row', '=', 'f.row'),
      )
      .select([sql<number>`min(r.event_time)`.as('first'), sql<number>`max(f.received_at)`.as('seen')])
      .where('f.deployment', '=', m.deployment)
      .where('f.received_at', '>', row.labels_cursor)
      .executeTakeFirst();
    const labelFirst = labels?.first === null || labels?.first === undefined ? null : Number(labels.first);
    const labelsCursor =
      labels?.seen === null || labels?.seen === undefined ? row.labels_cursor : Number(labels.seen);
    let runs = 0;
    const starts = [...dueStarts, ...(labelFirst !== null ? [labelFirst] : [])];
    if (starts.length > 0) {
      const from = Math.min(...starts);
      const s = span(from);
      // Up to now: every closed window after the earliest change is re-evaluated in one run.
      await runMonitor(
        this.ctx,
        m.name,
        { from: s ? s.start : from, to: now, trigger: dueStarts.length > 0 ? 'schedule' : 'labels' },
        'keel-scheduler',
      );
      runs++;
    }
    await db
      .updateTable('monitors')
      .set({ windows_cursor: windowsCursor, labels_cursor: labelsCursor })
      .where('name', '=', m.name)
      .execute();
    return runs;
  }
}
