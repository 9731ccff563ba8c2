/**
 * Reading the prediction log back: records joined with their labels (for performance
 * monitoring), window profiles (for drift), and the sampled raw-row segments.
 */
import type { Context } from '../../context.js';
import { invalidParam } from '../../core/errors.js';
import type { DatasetProfile } from '../../stats/types.js';
import { type Label, requireDeployment } from '../feedback.js';
import type { RowPrediction } from '../types.js';

/** A logged prediction row with its label, if one arrived. */
export interface LoggedPrediction {
  requestId: string;
  row: number;
  model: string;
  version: number;
  route: string;
  eventTime: number;
  latencyUs: number;
  /** The prediction; models whose outputs say nothing about one log `{outputs: {...}}`. */
  prediction: RowPrediction & { outputs?: Record<string, unknown> };
  label: Label | null;
  /** When the label's outcome was observed (epoch ms). */
  labelTime: number | null;
}

export interface PredictionQuery {
  /** Event time range [from, to) in epoch ms. */
  from?: number | undefined;
  to?: number | undefined;
  route?: string | undefined;
  version?: number | undefined;
  /** Only labelled (true) or only unlabelled (false) rows. */
  labelled?: boolean | undefined;
  /** Default 1000, at most 10,000. */
  limit?: number | undefined;
  /** From a previous page's `nextPageToken`. */
  pageToken?: string | undefined;
}

export interface PredictionPage {
  predictions: LoggedPrediction[];
  /** Present when more rows match. */
  nextPageToken?: string;
}

export interface WindowQuery {
  /** Window starts in [from, to), epoch ms. */
  from?: number | undefined;
  to?: number | undefined;
  version?: number | undefined;
  route?: string | undefined;
  /** Default 100, at most 1000 (profiles are large). */
  limit?: number | undefined;
}

/** A window's merged profile of inputs and outputs, per version and route. */
export interface PredictionWindow {
  deployment: string;
  model: string;
  version: number;
  route: string;
  windowStart: number;
  windowMs: number;
  rows: number;
  profile: DatasetProfile;
  updatedAt: number;
}

/** A window's sampled raw rows: a JSON-lines blob of `rows` of the `seen` rows. */
export interface PredictionSegment {
  deployment: string;
  windowStart: number;
  windowMs: number;
  rows: number;
  seen: number;
  sha256: string;
  size: number;
  updatedAt: number;
}

const limitOf = (v: number | undefined, def: number, max: number): number => {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw invalidParam(`limit must be an integer in 1..${max}`, 'limit');
  return n;
};

function cursorOf(token: string): { time: number; id: number } {
  const m = /^(-?\d+):(\d+)$/.exec(token);
  if (!m) throw invalidParam(`Invalid page token '${token}'`, 'pageToken');
  return { time: Number(m[1]), id: Number(m[2]) };
}

/** Logged predictions of a deployment in event-time order, each with its label (left join). */
export async function listPredictions(
  ctx: Context,
  deployment: string,
  q: PredictionQuery = {},
): Promise<PredictionPage> {
  const db = ctx.store.db;
  await requireDeployment(db, deployment);
  const limit = limitOf(q.limit, 1000, 10_000);
  let s = db
    .selectFrom('prediction_records as r')
    .leftJoin('prediction_feedback as f', (j) =>
      j
        .onRef('f.deployment', '=', 'r.deployment')
        .onRef('f.request_id', '=', 'r.request_id')
        .onRef('f.row', '=', 'r.row'),
    )
    .select([
      'r.id',
      'r.request_id',
      'r.row',
      'r.model',
      'r.version',
      'r.route',
      'r.event_time',
      'r.latency_us',
      'r.prediction',
      'f.label',
      'f.event_time as label_time',
    ])
    .where('r.deployment', '=', deployment);
  if (q.from !== undefined) s = s.where('r.event_time', '>=', q.from);
  if (q.to !== undefined) s = s.where('r.event_time', '<', q.to);
  if (q.route !== undefined) s = s.where('r.route', '=', q.route);
  if (q.version !== undefined) s = s.where('r.version', '=', q.version);
  if (q.labelled === true) s = s.where('f.label', 'is not', null);
  if (q.labelled === false) s = s.where('f.label', 'is', null);
  if (q.pageToken !== undefined) {
    const c = cursorOf(q.pageToken);
    s = s.where((eb) =>
      eb.or([
        eb('r.event_time', '>', c.time),
        eb.and([eb('r.event_time', '=', c.time), eb('r.id', '>', c.id)]),
      ]),
    );
  }
  const rows = await s
    .orderBy('r.event_time')
    .orderBy('r.id')
    .limit(limit + 1)
    .execute();
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return {
    predictions: page.map((r) => ({
      requestId: r.request_id,
      row: r.row,
      model: r.model,
      version: r.version,
      route: r.route,
      eventTime: r.event_time,
      latencyUs: r.latency_us,
      prediction: JSON.parse(r.prediction) as LoggedPrediction['prediction'],
      label: r.label === null ? null : (JSON.parse(r.label) as Label),
      labelTime: r.label_time,
    })),
    ...(more && last ? { nextPageToken: `${last.event_time}:${last.id}` } : {}),
  };
}

/** A deployment's window profiles, oldest first. */
export async function listWindows(
  ctx: Context,
  deployment: string,
  q: WindowQuery = {},
): Promise<PredictionWindow[]> {
  const db = ctx.store.db;
  await requireDeployment(db, deployment);
  let s = db.selectFrom('prediction_windows').selectAll().where('deployment', '=', deployment);
  if (q.from !== undefined) s = s.where('window_start', '>=', q.from);
  if (q.to !== undefined) s = s.where('window_start', '<', q.to);
  if (q.version !== undefined) s = s.where('version', '=', q.version);
  if (q.route !== undefined) s = s.where('route', '=', q.route);
  const rows = await s
    .orderBy('window_start')
    .orderBy('version')
    .orderBy('route')
    .limit(limitOf(q.limit, 100, 1000))
    .execute();
  return rows.map((r) => ({
    deployment: r.deployment,
    model: r.model,
    version: r.version,
    route: r.route,
    windowStart: r.window_start,
    windowMs: r.window_ms,
    rows: r.rows,
    profile: JSON.parse(r.profile) as DatasetProfile,
    updatedAt: r.updated_at,
  }));
}

/** A deployment's sample segments, oldest window first. */
export async function listSegments(
  ctx: Context,
  deployment: string,
  q: { from?: number | undefined; to?: number | undefined } = {},
): Promise<PredictionSegment[]> {
  const db = ctx.store.db;
  await requireDeployment(db, deployment);
  let s = db.selectFrom('prediction_segments').selectAll().where('deployment', '=', deployment);
  if (q.from !== undefined) s = s.where('window_start', '>=', q.from);
  if (q.to !== undefined) s = s.where('window_start', '<', q.to);
  const rows = await s.orderBy('window_start').execute();
  return rows.map((r) => ({
    deployment: r.deployment,
    windowStart: r.window_start,
    windowMs: r.window_ms,
    rows: r.rows,
    seen: r.seen,
    sha256: r.sha256,
    size: r.size,
    updatedAt: r.updated_at,
  }));
}
