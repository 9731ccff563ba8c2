/**
 * Feedback: ground-truth labels for logged predictions, often arriving hours later. A label is
 * keyed by (deployment, request id, row) — the same key as the prediction records — so monitoring
 * joins the two; a label may arrive before its prediction is written and joins once it is.
 */
import type { Actor } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import type { Db } from '../store/db.js';
import type { PredictionFeedbackTable } from '../store/schema.js';

export type Label = string | number | boolean;

/** One label as a client sends it. `row` is the row within the request (default 0). */
export interface FeedbackItem {
  requestId: string;
  row?: number | undefined;
  label: Label;
  /** When the outcome was observed: epoch ms or ISO-8601; default now. */
  timestamp?: number | string | undefined;
}

export interface FeedbackResult {
  /** Labels stored (a repeated (request id, row) in one call counts once, the last one wins). */
  accepted: number;
  /** Of those, labels whose prediction is already in the log. */
  matched: number;
  /** Request ids with no logged prediction yet; their labels are stored all the same. */
  unmatched: string[];
}

export const MAX_FEEDBACK_ITEMS = 10_000;
const MAX_REQUEST_ID = 256;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms of a feedback timestamp, or an error naming the field. */
function timeOf(v: unknown, field: string): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) return v;
    throw invalidParam(`${field} must be epoch milliseconds (a non-negative integer) or ISO-8601`, field);
  }
  if (typeof v === 'string' && ISO_DATE.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw invalidParam(`${field} must be an ISO-8601 date-time or epoch milliseconds`, field);
}

/** Every item checked before anything is written; the first bad one names its index. */
function validate(items: unknown, now: number): PredictionFeedbackTable[] {
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_FEEDBACK_ITEMS) {
    throw invalidParam(
      `feedback must be a non-empty array of at most ${MAX_FEEDBACK_ITEMS} items`,
      'feedback',
    );
  }
  const rows: PredictionFeedbackTable[] = [];
  items.forEach((raw: unknown, i) => {
    const at = `feedback[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw invalidParam(`${at} must be an object {request_id, label, timestamp?, row?}`, at);
    const item = raw as Record<string, unknown>;
    const requestId = item.requestId ?? item.request_id;
    if (typeof requestId !== 'string' || requestId === '' || requestId.length > MAX_REQUEST_ID)
      throw invalidParam(
        `${at}.request_id must be a non-empty string of at most ${MAX_REQUEST_ID} characters`,
        `${at}.request_id`,
      );
    const row = item.row ?? 0;
    if (typeof row !== 'number' || !Number.isInteger(row) || row < 0 || row > 2 ** 31 - 1)
      throw invalidParam(`${at}.row must be a non-negative integer`, `${at}.row`);
    const label = item.label;
    const okLabel =
      typeof label === 'string' ||
      typeof label === 'boolean' ||
      (typeof label === 'number' && Number.isFinite(label));
    if (!okLabel)
      throw invalidParam(`${at}.label must be a finite number, a string or a boolean`, `${at}.label`);
    const time =
      item.timestamp === undefined || item.timestamp === null
        ? now
        : timeOf(item.timestamp, `${at}.timestamp`);
    rows.push({
      deployment: '',
      request_id: requestId,
      row,
      label: JSON.stringify(label),
      event_time: time,
      received_at: now,
      received_by: '',
    });
  });
  return rows;
}

/** Throws RESOURCE_DOES_NOT_EXIST unless the deployment exists. */
export async function requireDeployment(db: Db, name: string): Promise<void> {
  const row = await db.selectFrom('deployments').select('name').where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`Deployment '${name}' does not exist`, 'name');
}

/**
 * Stores labels for a deployment's predictions: everything is validated first, then written in
 * one transaction; a later label for the same (request id, row) replaces the earlier one. Labels
 * are high-volume, so they are logged as counts, not audited one by one.
 */
export async function recordFeedback(
  ctx: Context,
  deployment: string,
  items: readonly FeedbackItem[],
  actor: Actor,
): Promise<FeedbackResult> {
  const now = ctx.clock.now();
  const parsed = validate(items, now);
  const { db, adapter } = ctx.store;
  await requireDeployment(db, deployment);
  // Last one wins within a call too (one statement may not update a row twice on PostgreSQL).
  const byKey = new Map<string, PredictionFeedbackTable>();
  for (const r of parsed) {
    r.deployment = deployment;
    r.received_by = actor;
    byKey.set(`${r.row}\0${r.request_id}`, r);
  }
  const rows = [...byKey.values()];
  const chunk = Math.floor(adapter.maxParams / 7);
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += chunk) {
      await trx
        .insertInto('prediction_feedback')
        .values(rows.slice(i, i + chunk))
        .onConflict((oc) =>
          oc.columns(['deployment', 'request_id', 'row']).doUpdateSet((eb) => ({
            label: eb.ref('excluded.label'),
            event_time: eb.ref('excluded.event_time'),
            received_at: eb.ref('excluded.received_at'),
            received_by: eb.ref('excluded.received_by'),
          })),
        )
        .execute();
    }
  });
  const logged = await loggedKeys(
    db,
    deployment,
    [...new Set(rows.map((r) => r.request_id))],
    adapter.maxParams,
  );
  let matched = 0;
  const unmatched = new Set<string>();
  for (const r of rows) {
    if (logged.has(`${r.row}\0${r.request_id}`)) matched++;
    else unmatched.add(r.request_id);
  }
  ctx.logger.info({ deployment, accepted: rows.length, matched, actor }, 'prediction feedback recorded');
  return { accepted: rows.length, matched, unmatched: [...unmatched] };
}

/** `row\0request_id` of every logged prediction among these request ids. */
async function loggedKeys(
  db: Db,
  deployment: string,
  ids: string[],
  maxParams: number,
): Promise<Set<string>> {
  const out = new Set<string>();
  const chunk = Math.max(1, maxParams - 10);
  for (let i = 0; i < ids.length; i += chunk) {
    const found = await db
      .selectFrom('prediction_records')
      .select(['request_id', 'row'])
      .distinct()
      .where('deployment', '=', deployment)
      .where('request_id', 'in', ids.slice(i, i + chunk))
      .execute();
    for (const f of found) out.add(`${f.row}\0${f.request_id}`);
  }
  return out;
}
