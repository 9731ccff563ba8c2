/**
 * A failed rollout is announced as an alert of the deployment, through the same alert event feed,
 * channels and webhook deliveries as monitoring's (so a pipeline trigger or a pager sees it the
 * same way): monitor `rollout:<deployment>`, rule `canary-analysis`, route `canary`. The alert
 * stays open until a later rollout of the deployment succeeds.
 */
import { appendAudit } from '../audit/log.js';
import type { Context } from '../context.js';
import { LOG_CHANNEL } from '../monitoring/alerts/channels.js';
import { enqueueDeliveries, logEvent } from '../monitoring/alerts/deliveries.js';
import type { AlertEventKind, AlertEventPayload, MonitorSpec } from '../monitoring/types.js';
import type { Db } from '../store/db.js';
import type { RolloutRecord } from './store.js';
import type { Evidence } from './types.js';

export const RULE = 'canary-analysis';
const ROUTE = 'canary';

/** The monitor name rollout alerts carry. */
export const rolloutMonitor = (deployment: string): string => `rollout:${deployment}`;

const reportPath = (r: RolloutRecord) =>
  `/api/v1/deployments/${encodeURIComponent(r.row.deployment)}/rollouts/${r.row.id}`;

/** The policy's channels, else every channel the deployment's monitors' rules notify. */
async function channelsOf(trx: Db, r: RolloutRecord): Promise<string[]> {
  if (r.policy.alert.channels !== null) return r.policy.alert.channels;
  const monitors = await trx
    .selectFrom('monitors')
    .select('spec')
    .where('deployment', '=', r.row.deployment)
    .execute();
  const names = new Set<string>([LOG_CHANNEL]);
  for (const m of monitors)
    for (const rule of (JSON.parse(m.spec) as MonitorSpec).rules) for (const c of rule.channels) names.add(c);
  return [...names];
}

interface EventInput {
  alertId: number;
  kind: AlertEventKind;
  status: 'open' | 'resolved';
  message: string;
  when: string;
  value: number | null;
  threshold: number | null;
  window: { start: number; end: number };
}

async function writeEvent(
  trx: Db,
  r: RolloutRecord,
  e: EventInput,
  channels: string[],
  actor: string,
  now: number,
): Promise<AlertEventPayload> {
  const monitor = rolloutMonitor(r.row.deployment);
  const row = await trx
    .insertInto('alert_events')
    .values({
      alert_id: e.alertId,
      monitor,
      deployment: r.row.deployment,
      rule: RULE,
      route: ROUTE,
      kind: e.kind,
      window_start: e.window.start,
      at: now,
      payload: '{}',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = Number(row.id);
  const payload: AlertEventPayload = {
    id,
    type: `alert.${e.kind}`,
    alert: {
      id: e.alertId,
      status: e.status,
      severity: r.policy.alert.severity,
      rule: RULE,
      when: e.when,
      message: e.message,
      value: e.value,
      threshold: e.threshold,
      route: ROUTE,
    },
    monitor,
    deployment: r.row.deployment,
    model: r.row.model,
    versions: [Number(r.row.baseline), Number(r.row.candidate)],
    window: e.window,
    at: new Date(now).toISOString(),
    report: reportPath(r),
  };
  await trx
    .updateTable('alert_events')
    .set({ payload: JSON.stringify(payload) })
    .where('id', '=', id)
    .execute();
  await enqueueDeliveries(trx, id, channels, now);
  await appendAudit(
    trx,
    { actor, action: `alert.${e.kind}`, objectType: 'alert', objectId: String(e.alertId), after: payload },
    now,
  );
  return payload;
}

/**
 * Opens (or, when one is still open, updates) the deployment's rollout alert for a rollback, inside
 * the caller's transaction. Call `announce` with the result after the commit.
 */
export async function raiseRollbackAlert(
  trx: Db,
  r: RolloutRecord,
  reason: string,
  evidence: Evidence | null,
  actor: string,
  now: number,
): Promise<AlertEventPayload> {
  const monitor = rolloutMonitor(r.row.deployment);
  const failed = evidence?.checks.find((c) => c.status === 'failed') ?? null;
  const at = evidence?.eventTime.to ?? now;
  const window = { start: evidence?.eventTime.from ?? at, end: at };
  const when = failed
    ? `${failed.check} of ${r.row.model}@${r.row.candidate} vs @${r.row.baseline} beyond ${failed.threshold ?? 'its limit'}`
    : `rollout of ${r.row.model}@${r.row.candidate} inconclusive`;
  const message = `rollout ${r.row.id} of ${r.row.model}@${r.row.candidate} on ${r.row.deployment} rolled back: ${reason}`;
  const channels = await channelsOf(trx, r);
  const open = await trx
    .selectFrom('alerts')
    .select('id')
    .where('monitor', '=', monitor)
    .where('rule', '=', RULE)
    .where('status', '=', 'open')
    .executeTakeFirst();
  const base = { when, message, value: failed?.value ?? null, threshold: failed?.threshold ?? null, window };
  if (open) {
    const id = Number(open.id);
    await trx
      .updateTable('alerts')
      .set({
        last_window: at,
        value: base.value,
        message,
        updated_at: now,
        severity: r.policy.alert.severity,
      })
      .where('id', '=', id)
      .execute();
    return writeEvent(
      trx,
      r,
      { ...base, alertId: id, kind: 'updated', status: 'open' },
      channels,
      actor,
      now,
    );
  }
  // The (monitor, rule, route, opened_window) key is unique: two rollbacks at one event time differ by a ms.
  let opened = at;
  while (
    await trx
      .selectFrom('alerts')
      .select('id')
      .where('monitor', '=', monitor)
      .where('rule', '=', RULE)
      .where('route', '=', ROUTE)
      .where('opened_window', '=', opened)
      .executeTakeFirst()
  )
    opened++;
  const row = await trx
    .insertInto('alerts')
    .values({
      monitor,
      deployment: r.row.deployment,
      rule: RULE,
      route: ROUTE,
      severity: r.policy.alert.severity,
      status: 'open',
      first_window: window.start,
      opened_window: opened,
      last_window: at,
      resolved_window: null,
      value: base.value,
      message,
      opened_at: now,
      updated_at: now,
      resolved_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return writeEvent(
    trx,
    r,
    { ...base, alertId: Number(row.id), kind: 'opened', status: 'open' },
    channels,
    actor,
    now,
  );
}

/** Resolves the deployment's open rollout alerts once a rollout succeeded (inside the transaction). */
export async function resolveRolloutAlerts(
  trx: Db,
  r: RolloutRecord,
  eventTime: number | null,
  actor: string,
  now: number,
): Promise<AlertEventPayload[]> {
  const open = await trx
    .selectFrom('alerts')
    .selectAll()
    .where('monitor', '=', rolloutMonitor(r.row.deployment))
    .where('status', '=', 'open')
    .execute();
  if (open.length === 0) return [];
  const channels = await channelsOf(trx, r);
  const at = eventTime ?? now;
  const out: AlertEventPayload[] = [];
  for (const a of open) {
    await trx
      .updateTable('alerts')
      .set({ status: 'resolved', resolved_window: at, resolved_at: now, updated_at: now })
      .where('id', '=', a.id)
      .execute();
    const message = `rollout ${r.row.id} promoted ${r.row.model}@${r.row.candidate} on ${r.row.deployment}`;
    out.push(
      await writeEvent(
        trx,
        r,
        {
          alertId: Number(a.id),
          kind: 'resolved',
          status: 'resolved',
          message,
          when: `rollout of ${r.row.model}@${r.row.candidate} succeeded`,
          value: null,
          threshold: null,
          window: { start: at, end: at },
        },
        channels,
        actor,
        now,
      ),
    );
  }
  return out;
}

/** Writes committed events to the server log (the built-in `log` channel). */
export function announce(ctx: Context, events: readonly AlertEventPayload[]): void {
  for (const e of events) logEvent(ctx.logger, e);
}
