/**
 * Alert triggers: the monitoring alert-event feed (alert_events, ids increasing) read after the
 * trigger's cursor. Each matching event starts one run keyed by the event id, with the alert's
 * context — deployment, monitor, rule, route, window, value, the features that drifted in that
 * window — as `trigger_*` params.
 */
import type { Context } from '../../context.js';
import type { WindowResult } from '../../monitoring/types.js';
import type { Db } from '../../store/db.js';
import type { AlertTrigger } from '../spec/index.js';
import type { ParamValue } from '../steps/types.js';
import type { Trigger } from '../types.js';

/** The newest alert event id: where a new trigger starts reading (old alerts never fire it). */
export async function latestAlertEvent(db: Db): Promise<number> {
  const r = await db
    .selectFrom('alert_events')
    .select((e) => e.fn.max('id').as('id'))
    .executeTakeFirst();
  return Number(r?.id ?? 0);
}

export async function alertTriggers(
  ctx: Context,
  t: AlertTrigger,
  after: number,
): Promise<{ triggers: Trigger[]; cursor: number }> {
  const db = ctx.store.db;
  const rows = await db
    .selectFrom('alert_events')
    .selectAll()
    .where('id', '>', after)
    .orderBy('id')
    .limit(500)
    .execute();
  const triggers: Trigger[] = [];
  for (const e of rows) {
    if (t.monitor !== undefined && e.monitor !== t.monitor) continue;
    if (t.deployment !== undefined && e.deployment !== t.deployment) continue;
    if (t.rule !== undefined && e.rule !== t.rule) continue;
    if (t.route !== undefined && e.route !== t.route) continue;
    if (e.kind !== (t.on ?? 'opened')) continue;
    const payload = JSON.parse(e.payload) as {
      window: { start: number; end: number };
      alert: { value: number | null };
    };
    const context: Record<string, ParamValue> = {
      alert_event: Number(e.id),
      monitor: e.monitor,
      deployment: e.deployment,
      rule: e.rule,
      route: e.route,
      window_start: payload.window.start,
      window_end: payload.window.end,
      value: payload.alert.value,
      features: (await driftedFeatures(db, e.monitor, e.route, Number(e.window_start))).join(','),
    };
    triggers.push({ kind: 'alert', key: `alert:${e.id}`, context });
  }
  return { triggers, cursor: rows.length ? Number(rows[rows.length - 1]!.id) : after };
}

async function driftedFeatures(
  db: Db,
  monitor: string,
  route: string,
  windowStart: number,
): Promise<string[]> {
  const r = await db
    .selectFrom('monitor_results')
    .select('result')
    .where('monitor', '=', monitor)
    .where('route', '=', route)
    .where('window_start', '=', windowStart)
    .executeTakeFirst();
  if (!r) return [];
  const result = JSON.parse(r.result) as WindowResult;
  return result.drift.filter((d) => d.drifted && !d.prediction).map((d) => d.column);
}
