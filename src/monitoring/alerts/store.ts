/**
 * Alerts from window results: each rule is re-folded over every stored window of each route it
 * watches and the episodes are diffed against the stored alerts (keyed by rule, route and opening
 * window). New episodes open alerts, ends resolve them, later breaching windows update them; each
 * change is an alert event (audited, queued to the rule's channels) in the same transaction.
 * Re-running a window therefore never duplicates an alert, and late labels can open one.
 */
import { appendAudit } from '../../audit/log.js';
import type { Context } from '../../context.js';
import type { Db } from '../../store/db.js';
import { type Episode, type FoldWindow, foldRule } from '../rules/fold.js';
import { parseRule, ruleMessage } from '../rules/parse.js';
import type { AlertEventKind, AlertEventPayload, AlertRule, MetricMap, Monitor } from '../types.js';
import { enqueueDeliveries, logEvent } from './deliveries.js';

/** What the diff reads of a stored alert. */
interface StoredAlert {
  rule: string;
  severity: string;
  first_window: number;
  value: number | null;
}

interface StoredWindow extends FoldWindow {
  route: string;
  versions: number[];
}

/** Every stored window of a monitor, per route, in event-time order. */
async function storedWindows(db: Db, monitor: string): Promise<Map<string, StoredWindow[]>> {
  const rows = await db
    .selectFrom('monitor_results')
    .select(['route', 'window_start', 'window_end', 'metrics'])
    .where('monitor', '=', monitor)
    .orderBy('route')
    .orderBy('window_start')
    .execute();
  const out = new Map<string, StoredWindow[]>();
  for (const r of rows) {
    const m = JSON.parse(r.metrics) as { metrics: MetricMap; reference: MetricMap; versions: number[] };
    const list = out.get(r.route) ?? [];
    list.push({
      route: r.route,
      windowStart: r.window_start,
      windowEnd: r.window_end,
      metrics: m.metrics,
      reference: m.reference,
      versions: m.versions,
    });
    out.set(r.route, list);
  }
  return out;
}

const watches = (rule: AlertRule, route: string) =>
  rule.routes === null ? true : rule.routes.includes(route);

interface Pending {
  payload: Omit<AlertEventPayload, 'id'>;
  alertId: number;
  rule: AlertRule;
  route: string;
  kind: AlertEventKind;
  windowStart: number;
}

/**
 * Reconciles a monitor's alerts with its stored results; returns the events written (after commit,
 * each is also written to the server log).
 */
export async function reconcileAlerts(
  ctx: Context,
  monitor: Monitor,
  model: string,
): Promise<AlertEventPayload[]> {
  const now = ctx.clock.now();
  const events = await ctx.store.db.transaction().execute(async (trx) => {
    const windows = await storedWindows(trx, monitor.name);
    const existing = await trx.selectFrom('alerts').selectAll().where('monitor', '=', monitor.name).execute();
    const byKey = new Map(existing.map((a) => [`${a.rule}\0${a.route}\0${a.opened_window}`, a]));
    const seen = new Set<string>();
    const pending: Pending[] = [];
    const written: AlertEventPayload[] = [];
    for (const rule of monitor.spec.rules) {
      const parsed = parseRule(rule.when);
      for (const [route, list] of windows) {
        if (!watches(rule, route)) continue;
        for (const ep of foldRule(rule, parsed, list)) {
          const key = `${rule.name}\0${route}\0${ep.openedWindow}`;
          seen.add(key);
          const last = list.find((w) => w.windowStart === ep.lastWindow) ?? list[list.length - 1]!;
          const message = ruleMessage(rule.name, parsed, ep.value, ep.threshold, route);
          const base = { rule, route, versions: last.versions, ep, message, windowEnd: last.windowEnd };
          const a = byKey.get(key);
          if (!a) {
            const id = await insertAlert(trx, monitor, rule, route, ep, message, now);
            pending.push(event(monitor, model, id, 'opened', base, ep.openedWindow, ep.openedWindowEnd, now));
            if (ep.resolvedWindow !== null)
              pending.push(
                event(monitor, model, id, 'resolved', base, ep.resolvedWindow, ep.resolvedWindow, now),
              );
            continue;
          }
          const resolvedNow = a.status === 'open' && ep.resolvedWindow !== null;
          const extended = a.last_window !== ep.lastWindow || a.value !== ep.value;
          if (!resolvedNow && !extended && (a.status === 'open') === (ep.resolvedWindow === null)) continue;
          await trx
            .updateTable('alerts')
            .set({
              status: ep.resolvedWindow === null ? 'open' : 'resolved',
              last_window: ep.lastWindow,
              resolved_window: ep.resolvedWindow,
              value: ep.value,
              message,
              updated_at: now,
              resolved_at: ep.resolvedWindow === null ? null : (a.resolved_at ?? now),
            })
            .where('id', '=', a.id)
            .execute();
          const kind: AlertEventKind = resolvedNow ? 'resolved' : 'updated';
          const at = kind === 'resolved' ? ep.resolvedWindow! : ep.lastWindow;
          pending.push(
            event(monitor, model, a.id, kind, base, at, kind === 'resolved' ? at : last.windowEnd, now),
          );
        }
      }
    }
    // Open alerts no episode explains any more (re-evaluated windows, a removed rule) are resolved.
    for (const a of existing) {
      if (a.status !== 'open' || seen.has(`${a.rule}\0${a.route}\0${a.opened_window}`)) continue;
      await trx
        .updateTable('alerts')
        .set({ status: 'resolved', updated_at: now, resolved_at: now })
        .where('id', '=', a.id)
        .execute();
      const rule = monitor.spec.rules.find((r) => r.name === a.rule) ?? orphanRule(a);
      pending.push(
        event(
          monitor,
          model,
          a.id,
          'resolved',
          {
            rule,
            route: a.route,
            versions: [],
            ep: null,
            message: `${a.rule}: no longer breaching on ${a.route}`,
            windowEnd: a.last_window,
          },
          a.last_window,
          a.last_window,
          now,
          a,
        ),
      );
    }
    for (const p of pending) {
      const row = await trx
        .insertInto('alert_events')
        .values({
          alert_id: p.alertId,
          monitor: monitor.name,
          deployment: monitor.deployment,
          rule: p.rule.name,
          route: p.route,
          kind: p.kind,
          window_start: p.windowStart,
          at: now,
          payload: '{}',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number(row.id);
      const payload: AlertEventPayload = { id, ...p.payload };
      await trx
        .updateTable('alert_events')
        .set({ payload: JSON.stringify(payload) })
        .where('id', '=', id)
        .execute();
      await enqueueDeliveries(trx, id, p.rule.channels, now);
      await appendAudit(
        trx,
        {
          actor: 'keel-monitor',
          action: `alert.${p.kind}`,
          objectType: 'alert',
          objectId: String(p.alertId),
          after: payload,
        },
        now,
      );
      written.push(payload);
    }
    return written;
  });
  for (const e of events) logEvent(ctx.logger, e);
  return events;
}

function orphanRule(a: StoredAlert): AlertRule {
  return {
    name: a.rule,
    when: a.rule,
    for: 1,
    cooldownMs: 0,
    severity: a.severity as AlertRule['severity'],
    channels: [],
    routes: null,
  };
}

async function insertAlert(
  trx: Db,
  m: Monitor,
  rule: AlertRule,
  route: string,
  ep: Episode,
  message: string,
  now: number,
): Promise<number> {
  const row = await trx
    .insertInto('alerts')
    .values({
      monitor: m.name,
      deployment: m.deployment,
      rule: rule.name,
      route,
      severity: rule.severity,
      status: ep.resolvedWindow === null ? 'open' : 'resolved',
      first_window: ep.firstWindow,
      opened_window: ep.openedWindow,
      last_window: ep.lastWindow,
      resolved_window: ep.resolvedWindow,
      value: ep.value,
      message,
      opened_at: now,
      updated_at: now,
      resolved_at: ep.resolvedWindow === null ? null : now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

function event(
  m: Monitor,
  model: string,
  alertId: number,
  kind: AlertEventKind,
  b: {
    rule: AlertRule;
    route: string;
    versions: number[];
    ep: Episode | null;
    message: string;
    windowEnd: number;
  },
  windowStart: number,
  windowEnd: number,
  now: number,
  stored?: StoredAlert,
): Pending {
  const status = kind === 'resolved' ? 'resolved' : 'open';
  const from = b.ep?.firstWindow ?? stored?.first_window ?? windowStart;
  return {
    alertId,
    rule: b.rule,
    route: b.route,
    kind,
    windowStart,
    payload: {
      type: `alert.${kind}`,
      alert: {
        id: alertId,
        status,
        severity: b.rule.severity,
        rule: b.rule.name,
        when: b.rule.when,
        message: b.message,
        value: b.ep?.value ?? stored?.value ?? null,
        threshold: b.ep?.threshold ?? null,
        route: b.route,
      },
      monitor: m.name,
      deployment: m.deployment,
      model,
      versions: b.versions,
      window: { start: windowStart, end: Math.max(windowEnd, windowStart) },
      at: new Date(now).toISOString(),
      report: `/api/v1/monitors/${encodeURIComponent(m.name)}/report?from=${from}&to=${Math.max(windowEnd, windowStart + 1)}&format=html`,
    },
  };
}
