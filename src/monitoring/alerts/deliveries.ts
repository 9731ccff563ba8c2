/**
 * The delivery queue of alert events. An event's deliveries are queued in the transaction that
 * records the event (so an event is never lost between commit and send); the `AlertDeliverer`
 * sends them later, outside any transaction, and records every attempt. `logEvent` covers the
 * built-in `log` channel, which needs no queue.
 */
import { type Actor, audited } from '../../audit/tx.js';
import type { Context } from '../../context.js';
import { invalidParam, notFound } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../store/db.js';
import type { AlertEventKind, AlertEventPayload } from '../types.js';
import { LOG_CHANNEL } from './channels.js';

export { AlertDeliverer, type DelivererOptions, nextDelay } from './deliverer.js';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One POST of a delivery: its HTTP status, or the error when there was no response. */
export interface DeliveryAttempt {
  attempt: number;
  at: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** A queued webhook delivery of one alert event to one channel, with the event it carries. */
export interface AlertDelivery {
  id: number;
  eventId: number;
  eventKind: AlertEventKind;
  alertId: number;
  monitor: string;
  deployment: string;
  rule: string;
  route: string;
  channel: string;
  status: DeliveryStatus;
  /** Attempts made in the current round (a retry starts a new round). */
  attempts: number;
  /** When it is tried next; null unless pending. */
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  /** Every attempt ever made, oldest first. */
  history: DeliveryAttempt[];
}

export interface ListDeliveriesOptions {
  monitor?: string | undefined;
  status?: DeliveryStatus | undefined;
  eventId?: number | undefined;
  /** 1–1000, default 50. */
  limit?: number | undefined;
}

/**
 * Queues one delivery per webhook channel among `channels`, inside the caller's transaction (the
 * one inserting event `eventId`). `log` and log-kind channels are not queued: call `logEvent`
 * after the commit. Returns the new delivery ids.
 */
export async function enqueueDeliveries(
  trx: Db,
  eventId: number,
  channels: readonly string[],
  now: number,
): Promise<number[]> {
  const names = [...new Set(channels)].filter((c) => c !== LOG_CHANNEL);
  if (names.length === 0) return [];
  const webhooks = await trx
    .selectFrom('alert_channels')
    .select('name')
    .where('name', 'in', names)
    .where('kind', '=', 'webhook')
    .orderBy('name')
    .execute();
  const ids: number[] = [];
  for (const { name } of webhooks) {
    const row = await trx
      .insertInto('alert_deliveries')
      .values({
        event_id: eventId,
        channel: name,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        last_status_code: null,
        last_error: null,
        claimed_until: 0,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(Number(row.id));
  }
  return ids;
}

/** Writes an alert event to the server log (the built-in `log` channel); call it after the commit. */
export function logEvent(logger: Logger, payload: AlertEventPayload): void {
  const a = payload.alert;
  const level =
    payload.type === 'alert.resolved' || a.severity === 'info'
      ? 'info'
      : a.severity === 'critical'
        ? 'error'
        : 'warn';
  const text = `${payload.type} ${payload.monitor}/${a.rule} on ${a.route} (${a.severity}): ${a.message}`;
  logger[level]({ alertEvent: payload }, text);
}

/** Deliveries newest first, each with its event's identity and its attempts. */
export async function listDeliveries(
  ctx: Context,
  opts: ListDeliveriesOptions = {},
): Promise<AlertDelivery[]> {
  const limit = opts.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalidParam(`limit must be an integer from 1 to 1000, got ${limit}`, 'limit');
  if (opts.status !== undefined && !DELIVERY_STATUSES.includes(opts.status))
    throw invalidParam(
      `status must be one of ${DELIVERY_STATUSES.join(', ')}, got '${opts.status}'`,
      'status',
    );
  return queryDeliveries(ctx.store.db, { ...opts, limit });
}

async function queryDeliveries(
  db: Db,
  f: ListDeliveriesOptions & { id?: number; limit: number },
): Promise<AlertDelivery[]> {
  let q = db
    .selectFrom('alert_deliveries as d')
    .innerJoin('alert_events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select(['e.kind', 'e.alert_id', 'e.monitor', 'e.deployment', 'e.rule', 'e.route']);
  if (f.id !== undefined) q = q.where('d.id', '=', f.id);
  if (f.monitor !== undefined) q = q.where('e.monitor', '=', f.monitor);
  if (f.status !== undefined) q = q.where('d.status', '=', f.status);
  if (f.eventId !== undefined) q = q.where('d.event_id', '=', f.eventId);
  const rows = await q.orderBy('d.id', 'desc').limit(f.limit).execute();
  if (rows.length === 0) return [];
  const attempts = await db
    .selectFrom('alert_delivery_attempts')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('id')
    .execute();
  const byDelivery = new Map<number, DeliveryAttempt[]>();
  for (const a of attempts) {
    const list = byDelivery.get(Number(a.delivery_id)) ?? [];
    list.push({
      attempt: a.attempt,
      at: a.at,
      statusCode: a.status_code,
      error: a.error,
      durationMs: a.duration_ms,
    });
    byDelivery.set(Number(a.delivery_id), list);
  }
  return rows.map((r) => ({
    id: Number(r.id),
    eventId: Number(r.event_id),
    eventKind: r.kind as AlertEventKind,
    alertId: Number(r.alert_id),
    monitor: r.monitor,
    deployment: r.deployment,
    rule: r.rule,
    route: r.route,
    channel: r.channel,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    history: byDelivery.get(Number(r.id)) ?? [],
  }));
}

/** One delivery by id. */
export async function getDelivery(ctx: Context, id: number): Promise<AlertDelivery> {
  const [d] = await queryDeliveries(ctx.store.db, { id, limit: 1 });
  if (!d) throw notFound(`Alert delivery ${id} does not exist`, 'id');
  return d;
}

/**
 * Queues a failed delivery again for a new round of attempts, due now (e.g. after the receiver
 * was fixed). Its attempt history is kept; the payload sent is the event's, unchanged.
 */
export async function retryDelivery(ctx: Context, id: number, actor: Actor): Promise<AlertDelivery> {
  const now = ctx.clock.now();
  await audited(
    ctx,
    async (trx) => {
      const row = await trx
        .selectFrom('alert_deliveries')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw notFound(`Alert delivery ${id} does not exist`, 'id');
      if (row.status !== 'failed')
        throw invalidParam(
          `Alert delivery ${id} is ${row.status}; only failed deliveries can be retried`,
          'id',
        );
      const channel = await trx
        .selectFrom('alert_channels')
        .select('name')
        .where('name', '=', row.channel)
        .executeTakeFirst();
      if (!channel)
        throw invalidParam(`Alert channel '${row.channel}' of delivery ${id} no longer exists`, 'id');
      await trx
        .updateTable('alert_deliveries')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now, claimed_until: 0, updated_at: now })
        .where('id', '=', id)
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'alert_delivery.retry',
          objectType: 'alert_delivery',
          objectId: String(id),
          before: { status: row.status, attempts: row.attempts, lastStatusCode: row.last_status_code },
          after: { status: 'pending' },
        },
      };
    },
    actor,
  );
  return getDelivery(ctx, id);
}
