/**
 * What canary analysis reads of the prediction log: the records and failure counts written since a
 * position (ids only grow, so each row is read once and folded into the step's statistics), and
 * the labelled predictions of a rollout for realised performance.
 */
import { sql } from 'kysely';
import type { Label } from '../serving/feedback.js';
import type { RowPrediction } from '../serving/types.js';
import type { Db } from '../store/db.js';
import { type RouteStats, StatsBuilder } from './stats.js';

/** Where the log stood: the last prediction record and failure row ids seen. */
export interface LogCursor {
  records: number;
  errors: number;
}

/** Rows read per query, and at most per tick and rollout (the rest waits for the next tick). */
const CHUNK = 5000;
const MAX_PER_TICK = 200_000;
const MAX_LABELLED = 200_000;

/** The log's current end: analysis of a step reads what is written after it. */
export async function logEnd(db: Db): Promise<LogCursor> {
  const r = await db
    .selectFrom('prediction_records')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  const e = await db
    .selectFrom('prediction_errors')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return { records: Number(r?.id ?? 0), errors: Number(e?.id ?? 0) };
}

/** The canary and primary of a rollout as the log names them. */
export interface Sides {
  deployment: string;
  candidate: number;
  baseline: number;
}

/** A step's accumulated statistics and the event-time span of its traffic. */
export interface StepStats {
  canary: RouteStats;
  primary: RouteStats;
  eventFrom: number | null;
  eventTo: number | null;
}

const sideOf = (s: Sides, route: string, version: number): 'canary' | 'primary' | null =>
  route === 'canary' && version === s.candidate
    ? 'canary'
    : route === 'primary' && version === s.baseline
      ? 'primary'
      : null;

/**
 * Folds the log written after `cursor` into `step`; returns the new statistics and cursor. Reads at
 * most MAX_PER_TICK records (a backlog is caught up over several ticks).
 */
export async function foldLog(
  db: Db,
  s: Sides,
  cursor: LogCursor,
  step: StepStats,
): Promise<{ step: StepStats; cursor: LogCursor }> {
  const canary = new StatsBuilder(step.canary);
  const primary = new StatsBuilder(step.primary);
  let from = step.eventFrom;
  let to = step.eventTo;
  const seen = (t: number) => {
    from = from === null ? t : Math.min(from, t);
    to = to === null ? t : Math.max(to, t);
  };
  let records = cursor.records;
  for (let read = 0; read < MAX_PER_TICK; ) {
    // `deployment || ''` keeps SQLite on the id range: with a plain equality it picks the
    // (deployment, event_time) index and sorts the deployment's whole log instead.
    const rows = await db
      .selectFrom('prediction_records')
      .select(['id', 'route', 'version', 'row', 'event_time', 'latency_us', 'prediction'])
      .where('id', '>', records)
      .where(sql<string>`deployment || ''`, '=', s.deployment)
      .orderBy('id')
      .limit(CHUNK)
      .execute();
    for (const r of rows) {
      records = Number(r.id);
      const which = sideOf(s, r.route, Number(r.version));
      if (which === null) continue;
      seen(Number(r.event_time));
      (which === 'canary' ? canary : primary).addRow({
        row: Number(r.row),
        latencyUs: Number(r.latency_us),
        prediction: JSON.parse(r.prediction) as LoggedPrediction,
      });
    }
    read += rows.length;
    if (rows.length < CHUNK) break;
  }
  const errors = await db
    .selectFrom('prediction_errors')
    .select(['id', 'route', 'version', 'rows', 'reasons', 'first_event_time', 'last_event_time'])
    .where('deployment', '=', s.deployment)
    .where('id', '>', cursor.errors)
    .orderBy('id')
    .execute();
  let errorsCursor = cursor.errors;
  for (const e of errors) {
    errorsCursor = Number(e.id);
    const which = sideOf(s, e.route, Number(e.version));
    if (which === null) continue;
    seen(Number(e.first_event_time));
    seen(Number(e.last_event_time));
    (which === 'canary' ? canary : primary).addFailures(
      Number(e.rows),
      JSON.parse(e.reasons) as Record<string, number>,
    );
  }
  return {
    step: { canary: canary.toJSON(), primary: primary.toJSON(), eventFrom: from, eventTo: to },
    cursor: { records, errors: errorsCursor },
  };
}

type LoggedPrediction = { label?: unknown; score?: unknown; value?: unknown };

/** A labelled prediction of one side. */
export interface LabelledPrediction {
  side: 'canary' | 'primary';
  prediction: RowPrediction;
  label: Label;
}

/** Predictions of the rollout's canary and primary written after `from`, joined with their labels. */
export async function labelledSince(db: Db, s: Sides, from: number): Promise<LabelledPrediction[]> {
  const rows = await db
    .selectFrom('prediction_records as r')
    .innerJoin('prediction_feedback as f', (j) =>
      j
        .onRef('f.deployment', '=', 'r.deployment')
        .onRef('f.request_id', '=', 'r.request_id')
        .onRef('f.row', '=', 'r.row'),
    )
    .select(['r.route', 'r.version', 'r.prediction', 'f.label'])
    .where('r.id', '>', from)
    .where('f.deployment', '=', s.deployment)
    .where('r.route', 'in', ['canary', 'primary'])
    .limit(MAX_LABELLED)
    .execute();
  const out: LabelledPrediction[] = [];
  for (const r of rows) {
    const which = sideOf(s, r.route, Number(r.version));
    if (which === null) continue;
    out.push({
      side: which,
      prediction: JSON.parse(r.prediction) as RowPrediction,
      label: JSON.parse(r.label) as Label,
    });
  }
  return out;
}
