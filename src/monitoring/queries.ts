/**
 * Reading monitoring back: window results, runs, alerts and the alert event log (which a
 * pipeline trigger follows with `after=<last id>`), and the report over a range.
 */
import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';
import { requireDeployment } from '../serving/deployments/store.js';
import type { AlertEventsTable, AlertsTable } from '../store/schema.js';
import { getMonitor } from './monitors.js';
import type {
  Alert,
  AlertEvent,
  AlertEventPayload,
  AlertStatus,
  MonitorReport,
  Severity,
  WindowResult,
} from './types.js';

type Row<T> = { [K in keyof T]: T[K] extends import('kysely').Generated<infer U> ? U : T[K] };

const toAlert = (r: Row<AlertsTable>): Alert => ({
  id: Number(r.id),
  monitor: r.monitor,
  deployment: r.deployment,
  rule: r.rule,
  route: r.route,
  severity: r.severity as Severity,
  status: r.status as AlertStatus,
  firstWindow: r.first_window,
  openedWindow: r.opened_window,
  lastWindow: r.last_window,
  resolvedWindow: r.resolved_window,
  value: r.value === null ? null : Number(r.value),
  message: r.message,
  openedAt: r.opened_at,
  updatedAt: r.updated_at,
  resolvedAt: r.resolved_at,
});

const toEvent = (r: Row<AlertEventsTable>): AlertEvent => ({
  id: Number(r.id),
  alertId: Number(r.alert_id),
  monitor: r.monitor,
  deployment: r.deployment,
  rule: r.rule,
  route: r.route,
  kind: r.kind as AlertEvent['kind'],
  windowStart: r.window_start,
  at: r.at,
  payload: JSON.parse(r.payload) as AlertEventPayload,
});

const limitOf = (v: number | undefined, def: number, max: number): number => {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw invalidParam(`limit must be an integer in 1..${max}`, 'limit');
  return n;
};

/** Stored window results of a monitor with window start in [from, to), by route then time. */
export async function listResults(
  ctx: Context,
  name: string,
  q: { from?: number | undefined; to?: number | undefined; route?: string | undefined } = {},
): Promise<WindowResult[]> {
  await getMonitor(ctx, name);
  let s = ctx.store.db.selectFrom('monitor_results').select('result').where('monitor', '=', name);
  if (q.from !== undefined) s = s.where('window_end', '>', q.from);
  if (q.to !== undefined) s = s.where('window_start', '<', q.to);
  if (q.route !== undefined) s = s.where('route', '=', q.route);
  const rows = await s.orderBy('route').orderBy('window_start').execute();
  return rows.map((r) => JSON.parse(r.result) as WindowResult);
}

export interface AlertQuery {
  monitor?: string | undefined;
  deployment?: string | undefined;
  status?: AlertStatus | undefined;
  limit?: number | undefined;
}

/** Alerts, newest opening first. */
export async function listAlerts(ctx: Context, q: AlertQuery = {}): Promise<Alert[]> {
  let s = ctx.store.db.selectFrom('alerts').selectAll();
  if (q.monitor !== undefined) s = s.where('monitor', '=', q.monitor);
  if (q.deployment !== undefined) s = s.where('deployment', '=', q.deployment);
  if (q.status !== undefined) s = s.where('status', '=', q.status);
  const rows = await s
    .orderBy('opened_window', 'desc')
    .orderBy('id', 'desc')
    .limit(limitOf(q.limit, 100, 1000))
    .execute();
  return rows.map(toAlert);
}

/** Alert events with id > `after`, oldest first: a subscriber's feed. */
export async function listEvents(
  ctx: Context,
  q: {
    after?: number | undefined;
    monitor?: string | undefined;
    deployment?: string | undefined;
    limit?: number | undefined;
  } = {},
): Promise<AlertEvent[]> {
  let s = ctx.store.db
    .selectFrom('alert_events')
    .selectAll()
    .where('id', '>', q.after ?? 0);
  if (q.monitor !== undefined) s = s.where('monitor', '=', q.monitor);
  if (q.deployment !== undefined) s = s.where('deployment', '=', q.deployment);
  const rows = await s
    .orderBy('id')
    .limit(limitOf(q.limit, 100, 1000))
    .execute();
  return rows.map(toEvent);
}

export interface MonitorRun {
  id: number;
  monitor: string;
  trigger: string;
  from: number;
  to: number;
  status: string;
  windows: number;
  alertEvents: number;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
  requestedBy: string;
}

/** A monitor's evaluation runs, newest first. */
export async function listRuns(ctx: Context, name: string, limit?: number): Promise<MonitorRun[]> {
  await getMonitor(ctx, name);
  const rows = await ctx.store.db
    .selectFrom('monitor_runs')
    .selectAll()
    .where('monitor', '=', name)
    .orderBy('id', 'desc')
    .limit(limitOf(limit, 20, 1000))
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    monitor: r.monitor,
    trigger: r.trigger,
    from: r.range_from,
    to: r.range_to,
    status: r.status,
    windows: r.windows,
    alertEvents: r.alert_events,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    requestedBy: r.requested_by,
  }));
}

/** Everything the report over [from, to) shows (default: every stored window). */
export async function buildReport(
  ctx: Context,
  name: string,
  q: { from?: number | undefined; to?: number | undefined } = {},
): Promise<MonitorReport> {
  const monitor = await getMonitor(ctx, name);
  const d = await requireDeployment(ctx.store.db, monitor.deployment);
  const windows = await listResults(ctx, name, q);
  const from = q.from ?? Math.min(...windows.map((w) => w.windowStart), ctx.clock.now());
  const to = q.to ?? Math.max(...windows.map((w) => w.windowEnd), from + 1);
  const alertRows = await ctx.store.db
    .selectFrom('alerts')
    .selectAll()
    .where('monitor', '=', name)
    .where('first_window', '<', to)
    .where((eb) => eb.or([eb('resolved_window', 'is', null), eb('resolved_window', '>', from)]))
    .orderBy('first_window')
    .execute();
  const alerts = alertRows.map(toAlert);
  const ids = alerts.map((a) => a.id);
  const events =
    ids.length === 0
      ? []
      : (
          await ctx.store.db
            .selectFrom('alert_events')
            .selectAll()
            .where('alert_id', 'in', ids)
            .orderBy('id')
            .execute()
        ).map(toEvent);
  const routes = [...new Set(windows.map((w) => w.route))].sort((a, b) =>
    a === 'primary' ? -1 : b === 'primary' ? 1 : a.localeCompare(b),
  );
  return {
    monitor,
    model: d.spec.model,
    from,
    to,
    routes,
    windows,
    alerts,
    events,
    generatedAt: ctx.clock.now(),
  };
}
