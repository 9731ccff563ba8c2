/**
 * Evaluation runs: a monitor evaluated over an event-time range — every window in it, every route —
 * with the results replacing what was stored for those windows (idempotent), then the alerts
 * reconciled. A run is recorded in `monitor_runs` whether it succeeds or fails.
 */
import type { Actor } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';
import { getModelVersion } from '../registry/versions.js';
import { requireDeployment } from '../serving/deployments/store.js';
import { modelIO } from '../serving/model-io.js';
import type { Deployment, ModelIO } from '../serving/types.js';
import { reconcileAlerts } from './alerts/store.js';
import { buildBaseline, referenceKey } from './baseline/build.js';
import { evaluateWindow } from './checks/window.js';
import { getMonitor } from './monitors.js';
import { labelledRows, logSpans, routeProfiles } from './source.js';
import type { AlertEventPayload, Baseline, Monitor, WindowResult } from './types.js';
import { countWindows } from './window.js';

export type RunTrigger = 'schedule' | 'manual' | 'labels';

export interface RunOptions {
  /** Event-time range [from, to); default: everything the log holds. */
  from?: number | undefined;
  to?: number | undefined;
  trigger?: RunTrigger;
}

export interface RunResult {
  id: number;
  monitor: string;
  from: number;
  to: number;
  windows: WindowResult[];
  events: AlertEventPayload[];
}

/** The monitor windows overlapping [from, to) that hold logged predictions. */
export async function windowsIn(
  ctx: Context,
  m: Monitor,
  from: number,
  to: number,
): Promise<{ start: number; end: number }[]> {
  const w = m.spec.window;
  if (w.kind === 'count') {
    return countWindows(await logSpans(ctx.store.db, m.deployment, 0, to), w.rows).filter(
      (c) => c.end > from && c.start < to,
    );
  }
  const spans = await logSpans(ctx.store.db, m.deployment, Math.floor(from / w.ms) * w.ms, to);
  const starts = new Set(spans.map((s) => Math.floor(s.start / w.ms) * w.ms));
  return [...starts].sort((a, b) => a - b).map((start) => ({ start, end: start + w.ms }));
}

/** Caches baselines and model IOs for one run; baselines persist per (monitor, version, reference). */
class Baselines {
  private readonly cache = new Map<number, Promise<Baseline>>();
  private readonly ios = new Map<number, Promise<ModelIO>>();
  constructor(
    private readonly ctx: Context,
    private readonly m: Monitor,
    private readonly d: Deployment,
  ) {}

  io(version: number): Promise<ModelIO> {
    let p = this.ios.get(version);
    if (!p) {
      p = getModelVersion(this.ctx, this.d.spec.model, version).then(modelIO);
      this.ios.set(version, p);
    }
    return p;
  }

  get(version: number): Promise<Baseline> {
    let p = this.cache.get(version);
    if (!p) {
      p = this.load(version);
      this.cache.set(version, p);
    }
    return p;
  }

  private async load(version: number): Promise<Baseline> {
    const db = this.ctx.store.db;
    const key = referenceKey(this.m.spec);
    const row = await db
      .selectFrom('monitor_baselines')
      .selectAll()
      .where('monitor', '=', this.m.name)
      .where('version', '=', version)
      .executeTakeFirst();
    if (row && row.reference_key === key) return JSON.parse(row.baseline) as Baseline;
    const b = await buildBaseline(this.ctx, this.m.deployment, this.m.spec, this.d.spec.model, version);
    await db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('monitor_baselines')
        .where('monitor', '=', this.m.name)
        .where('version', '=', version)
        .execute();
      await trx
        .insertInto('monitor_baselines')
        .values({
          monitor: this.m.name,
          version,
          reference_key: key,
          baseline: JSON.stringify(b),
          created_at: this.ctx.clock.now(),
        })
        .execute();
    });
    return b;
  }
}

/** Evaluates every window of one range (pure of storage but for reads). */
export async function evaluateRange(
  ctx: Context,
  m: Monitor,
  d: Deployment,
  from: number,
  to: number,
): Promise<WindowResult[]> {
  const baselines = new Baselines(ctx, m, d);
  const results: WindowResult[] = [];
  for (const w of await windowsIn(ctx, m, from, to)) {
    for (const r of await routeProfiles(ctx.store.db, m.deployment, w.start, w.end)) {
      if (r.rows === 0) continue;
      const version = r.versions[r.versions.length - 1]!;
      const [baseline, io] = await Promise.all([baselines.get(version), baselines.io(version)]);
      const labelled = m.spec.checks.performance
        ? await labelledRows(ctx.store.db, m.deployment, r.route, w.start, w.end)
        : [];
      results.push(
        evaluateWindow({
          monitor: m.name,
          route: r.route,
          windowStart: w.start,
          windowEnd: w.end,
          versions: r.versions,
          rows: r.rows,
          profile: r.profile,
          baseline,
          io,
          labelled,
          spec: m.spec,
          computedAt: ctx.clock.now(),
        }),
      );
    }
  }
  return results;
}

async function logRange(ctx: Context, deployment: string): Promise<{ from: number; to: number }> {
  const r = await ctx.store.db
    .selectFrom('prediction_windows')
    .select((eb) => [eb.fn.min('window_start').as('first'), eb.fn.max('window_start').as('last')])
    .where('deployment', '=', deployment)
    .executeTakeFirst();
  const first = r?.first === null || r?.first === undefined ? 0 : Number(r.first);
  const last = r?.last === null || r?.last === undefined ? 0 : Number(r.last);
  return { from: first, to: last + 1 };
}

/** Runs a monitor over a range: evaluates, replaces the stored results, reconciles alerts. */
export async function runMonitor(
  ctx: Context,
  name: string,
  opts: RunOptions,
  actor: Actor,
): Promise<RunResult> {
  const m = await getMonitor(ctx, name);
  const d = await requireDeployment(ctx.store.db, m.deployment);
  const all = opts.from === undefined || opts.to === undefined ? await logRange(ctx, m.deployment) : null;
  const from = opts.from ?? all!.from;
  const to = opts.to ?? all!.to;
  if (!(Number.isFinite(from) && Number.isFinite(to) && from < to))
    throw invalidParam('from must be before to', 'from');
  const db = ctx.store.db;
  const started = ctx.clock.now();
  const run = await db
    .insertInto('monitor_runs')
    .values({
      monitor: name,
      trigger: opts.trigger ?? 'manual',
      range_from: from,
      range_to: to,
      status: 'running',
      windows: 0,
      alert_events: 0,
      error: null,
      started_at: started,
      finished_at: null,
      requested_by: actor,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = Number(run.id);
  try {
    const windows = await evaluateRange(ctx, m, d, from, to);
    const starts = await windowsIn(ctx, m, from, to);
    const lo = Math.min(from, ...starts.map((w) => w.start));
    const hi = Math.max(to, ...starts.map((w) => w.end));
    await db.transaction().execute(async (trx) => {
      // Replace: windows of the range that no longer hold data lose their old results too.
      await trx
        .deleteFrom('monitor_results')
        .where('monitor', '=', name)
        .where('window_start', '>=', lo)
        .where('window_start', '<', hi)
        .execute();
      for (const w of windows) {
        await trx
          .insertInto('monitor_results')
          .values({
            monitor: name,
            route: w.route,
            window_start: w.windowStart,
            window_end: w.windowEnd,
            rows: w.rows,
            labelled: w.labelled,
            metrics: JSON.stringify({
              metrics: w.metrics,
              reference: w.performance.reference,
              versions: w.versions,
            }),
            result: JSON.stringify(w),
            computed_at: w.computedAt,
          })
          .execute();
      }
    });
    const events = await reconcileAlerts(ctx, m, d.spec.model);
    await db
      .updateTable('monitor_runs')
      .set({
        status: 'succeeded',
        windows: windows.length,
        alert_events: events.length,
        finished_at: ctx.clock.now(),
      })
      .where('id', '=', id)
      .execute();
    return { id, monitor: name, from, to, windows, events };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await db
      .updateTable('monitor_runs')
      .set({ status: 'failed', error: message, finished_at: ctx.clock.now() })
      .where('id', '=', id)
      .execute();
    throw e;
  }
}
