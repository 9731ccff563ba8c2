/**
 * "Retrain on recent labelled data": a deployment's sampled prediction inputs joined with the
 * labels received as feedback. The prediction log keeps a reservoir sample of raw input rows per
 * window (prediction_segments), each row with its request id and row number — the key feedback
 * labels carry — so the join is exact; rows the sample left out are not recoverable (only their
 * predictions are logged), so a snapshot holds at most the deployment's `log.sampleRows` per window.
 */
import type { Context } from '../../../context.js';
import { invalidParam, isKeelError } from '../../../core/errors.js';
import { readSegment, type SampleRow } from '../../../serving/log/persist.js';

export interface SnapshotQuery {
  deployment: string;
  /** Event time back from the newest labelled (with labelsOnly false: logged) prediction; default all. */
  windowMs?: number | undefined;
  /** Keep only rows a label arrived for. */
  labelsOnly: boolean;
  /** The column the labels go in. */
  labelColumn: string;
}

export interface DeploymentSnapshot {
  /** Input columns in first-seen order, then the label column. */
  columns: string[];
  /** Ordered by event time, request id and row: the same log gives the same rows. */
  rows: Record<string, unknown>[];
  /** Event-time range of the rows (epoch ms, inclusive); null when there are none. */
  from: number | null;
  to: number | null;
  /** Sampled rows in the range, labelled or not. */
  sampled: number;
  labelled: number;
}

const ATTEMPTS = 5;

/** The newest event time among the deployment's labelled (or all) logged predictions. */
async function newestEventTime(ctx: Context, deployment: string, labelled: boolean): Promise<number | null> {
  const db = ctx.store.db;
  const row = labelled
    ? await db
        .selectFrom('prediction_records as r')
        .innerJoin('prediction_feedback as f', (j) =>
          j
            .onRef('f.deployment', '=', 'r.deployment')
            .onRef('f.request_id', '=', 'r.request_id')
            .onRef('f.row', '=', 'r.row'),
        )
        .select((eb) => eb.fn.max('r.event_time').as('t'))
        .where('r.deployment', '=', deployment)
        .executeTakeFirst()
    : await db
        .selectFrom('prediction_records')
        .select((eb) => eb.fn.max('event_time').as('t'))
        .where('deployment', '=', deployment)
        .executeTakeFirst();
  return row?.t === null || row?.t === undefined ? null : Number(row.t);
}

/** A segment's rows; a writer may replace its blob between our read of the row and of the blob. */
async function segmentRows(
  ctx: Context,
  deployment: string,
  windowStart: number,
  sha256: string,
): Promise<SampleRow[]> {
  let sha = sha256;
  for (let attempt = 1; ; attempt++) {
    try {
      return await readSegment(ctx.blobs, sha);
    } catch (e) {
      if (!(isKeelError(e) && e.code === 'RESOURCE_DOES_NOT_EXIST') || attempt >= ATTEMPTS) throw e;
      const row = await ctx.store.db
        .selectFrom('prediction_segments')
        .select('sha256')
        .where('deployment', '=', deployment)
        .where('window_start', '=', windowStart)
        .executeTakeFirst();
      if (!row) return [];
      sha = row.sha256;
    }
  }
}

/** Labels (JSON) of these sampled rows, by `row\0request_id`. */
async function labelsOf(ctx: Context, deployment: string, rows: SampleRow[]): Promise<Map<string, unknown>> {
  const ids = [...new Set(rows.map((r) => r.request_id))];
  const out = new Map<string, unknown>();
  const chunk = Math.max(1, ctx.store.adapter.maxParams - 10);
  for (let i = 0; i < ids.length; i += chunk) {
    const found = await ctx.store.db
      .selectFrom('prediction_feedback')
      .select(['request_id', 'row', 'label'])
      .where('deployment', '=', deployment)
      .where('request_id', 'in', ids.slice(i, i + chunk))
      .execute();
    for (const f of found) out.set(`${f.row}\0${f.request_id}`, JSON.parse(f.label));
  }
  return out;
}

const byTime = (a: SampleRow, b: SampleRow): number =>
  a.event_time - b.event_time ||
  (a.request_id < b.request_id ? -1 : a.request_id > b.request_id ? 1 : 0) ||
  a.row - b.row;

/** The deployment's sampled inputs in the range, each with its label (null when none arrived). */
export async function deploymentSnapshot(ctx: Context, q: SnapshotQuery): Promise<DeploymentSnapshot> {
  const to = await newestEventTime(ctx, q.deployment, q.labelsOnly);
  const empty: DeploymentSnapshot = { columns: [], rows: [], from: null, to: null, sampled: 0, labelled: 0 };
  if (to === null) return empty;
  const from = q.windowMs === undefined ? Number.NEGATIVE_INFINITY : to - q.windowMs;
  const segments = await ctx.store.db
    .selectFrom('prediction_segments')
    .select(['window_start', 'window_ms', 'sha256'])
    .where('deployment', '=', q.deployment)
    .where('window_start', '<=', to)
    .orderBy('window_start')
    .execute();
  const seen = new Set<string>();
  const sampled: SampleRow[] = [];
  for (const s of segments) {
    if (s.window_start + s.window_ms <= from) continue;
    for (const r of await segmentRows(ctx, q.deployment, s.window_start, s.sha256)) {
      if (r.event_time <= from || r.event_time > to) continue;
      // A shadow sees the same request (same id and row, same inputs) as the route that answered it.
      const key = `${r.row}\0${r.request_id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      sampled.push(r);
    }
  }
  sampled.sort(byTime);
  const labels = await labelsOf(ctx, q.deployment, sampled);
  const columns: string[] = [];
  const known = new Set<string>();
  const rows: Record<string, unknown>[] = [];
  let labelled = 0;
  let first: number | null = null;
  let last: number | null = null;
  for (const r of sampled) {
    const key = `${r.row}\0${r.request_id}`;
    const has = labels.has(key);
    if (has) labelled++;
    if (q.labelsOnly && !has) continue;
    for (const c of Object.keys(r.inputs)) {
      if (known.has(c)) continue;
      if (c === q.labelColumn)
        throw invalidParam(
          `label column '${c}' is also an input of deployment ${q.deployment}: choose another with.label_column`,
          'with.label_column',
        );
      known.add(c);
      columns.push(c);
    }
    rows.push({ ...r.inputs, [q.labelColumn]: has ? labels.get(key) : null });
    first ??= r.event_time;
    last = r.event_time;
  }
  columns.push(q.labelColumn);
  return { columns, rows, from: first, to: last, sampled: sampled.length, labelled };
}

/** Changes whenever a label arrives or the sample takes in new predictions. */
export async function snapshotFingerprint(ctx: Context, deployment: string): Promise<string> {
  const db = ctx.store.db;
  const [f, s] = await Promise.all([
    db
      .selectFrom('prediction_feedback')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('received_at').as('last')])
      .where('deployment', '=', deployment)
      .executeTakeFirst(),
    db
      .selectFrom('prediction_segments')
      .select((eb) => [eb.fn.sum('seen').as('seen'), eb.fn.max('updated_at').as('last')])
      .where('deployment', '=', deployment)
      .executeTakeFirst(),
  ]);
  return `labels:${Number(f?.n ?? 0)}:${Number(f?.last ?? 0)};sample:${Number(s?.seen ?? 0)}:${Number(s?.last ?? 0)}`;
}
