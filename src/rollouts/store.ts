/** Rollout rows ↔ the domain types, and the reads the API and the controller share. */
import type { Selectable } from 'kysely';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import { requireDeployment } from '../serving/deployments/store.js';
import type { Db } from '../store/db.js';
import type { RolloutDecisionsTable, RolloutsTable } from '../store/tables/rollouts.js';
import type { LogCursor, StepStats } from './log.js';
import { describeHold, formatMs } from './policy.js';
import { emptyStats, type RouteStats, totalRows } from './stats.js';
import type {
  DecisionKind,
  Evidence,
  Rollout,
  RolloutDecision,
  RolloutDetail,
  RolloutPolicy,
  RolloutStatus,
  StepProgress,
} from './types.js';

/** What the controller keeps between ticks. */
export interface RolloutState {
  /** Log position read up to. */
  cursor: LogCursor;
  /** Log position when the rollout began (labelled rows are read from there). */
  rolloutFrom: LogCursor;
  /** The current step's statistics. */
  step: StepStats;
  /** The primary during the earlier steps. */
  earlierPrimary: RouteStats;
  /** What the last evaluation found the step waiting for (null once it decided; absent before). */
  waiting?: string | null;
}

/** A decided change whose effect on the deployment is applied, then recorded (see controller.ts). */
export type PendingAction =
  | { action: 'start'; actor: string }
  | { action: 'advance'; evidence: Evidence }
  | { action: 'promote'; evidence: Evidence }
  | { action: 'rollback'; reason: string; evidence: Evidence }
  /** `clearCanary`: remove the candidate's canary route (an abort by a person, not a takeover). */
  | { action: 'abort'; actor: string; reason: string; clearCanary: boolean };

export const emptyStep = (): StepStats => ({
  canary: emptyStats(),
  primary: emptyStats(),
  eventFrom: null,
  eventTo: null,
});

export function initialState(at: LogCursor): RolloutState {
  return { cursor: at, rolloutFrom: at, step: emptyStep(), earlierPrimary: emptyStats() };
}

/** A rollout row with its JSON parsed: what the controller works on. */
export type RolloutRow = Selectable<RolloutsTable>;

export interface RolloutRecord {
  row: RolloutRow;
  policy: RolloutPolicy;
  state: RolloutState;
  pending: PendingAction | null;
}

export function toRecord(row: RolloutRow): RolloutRecord {
  return {
    row: { ...row, id: Number(row.id) },
    policy: JSON.parse(row.policy) as RolloutPolicy,
    state: JSON.parse(row.state) as RolloutState,
    pending: row.pending === null ? null : (JSON.parse(row.pending) as PendingAction),
  };
}

/** What the current step still waits for, or null once its hold is reached. */
export function waitingFor(policy: RolloutPolicy, stepIndex: number, s: StepStats): string | null {
  const step = policy.steps[stepIndex];
  if (!step) return null;
  const canaryRows = totalRows(s.canary);
  const held = s.eventFrom === null || s.eventTo === null ? 0 : s.eventTo - s.eventFrom;
  const wants: string[] = [];
  const rows = Math.max(step.hold.predictions ?? 0, policy.min_predictions);
  if (canaryRows < rows) wants.push(`${rows - canaryRows} more canary predictions`);
  if (step.hold.duration_ms !== null && held < step.hold.duration_ms)
    wants.push(`${formatMs(step.hold.duration_ms - held)} more event time`);
  return wants.length === 0 ? null : `${wants.join(' and ')} (hold: ${describeHold(step.hold)})`;
}

function progressOf(r: RolloutRecord): StepProgress | null {
  if (r.row.status !== 'running') return null;
  const s = r.state.step;
  return {
    step: r.row.step,
    weight: r.policy.steps[r.row.step]?.weight ?? 0,
    canaryRows: totalRows(s.canary),
    primaryRows: totalRows(s.primary),
    eventTime: { from: s.eventFrom, to: s.eventTo },
    waitingFor: r.state.waiting !== undefined ? r.state.waiting : waitingFor(r.policy, r.row.step, s),
  };
}

export function toRollout(r: RolloutRecord): Rollout {
  const row = r.row;
  return {
    id: row.id,
    deployment: row.deployment,
    model: row.model,
    candidate: Number(row.candidate),
    baseline: Number(row.baseline),
    policy: r.policy,
    status: row.status as RolloutStatus,
    step: Number(row.step),
    stepStartedAt: Number(row.step_started_at),
    reason: row.reason,
    key: row.idempotency_key,
    progress: progressOf(r),
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    updatedAt: Number(row.updated_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

function toDecision(d: Selectable<RolloutDecisionsTable>): RolloutDecision {
  return {
    id: Number(d.id),
    rolloutId: Number(d.rollout_id),
    step: Number(d.step),
    weight: Number(d.weight),
    kind: d.kind as DecisionKind,
    reason: d.reason,
    evidence: JSON.parse(d.evidence) as Evidence,
    eventTime: d.event_time === null ? null : Number(d.event_time),
    actor: d.actor,
    at: Number(d.at),
  };
}

export async function findRollout(db: Db, id: number): Promise<RolloutRecord | null> {
  const row = await db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : null;
}

const rolloutNotFound = (deployment: string, id: number) =>
  notFound(`Rollout ${id} of deployment '${deployment}' does not exist`, 'id');

/** A rollout of a deployment; RESOURCE_DOES_NOT_EXIST when there is none by that id for it. */
export async function requireRollout(db: Db, deployment: string, id: number): Promise<RolloutRecord> {
  const r = await findRollout(db, id);
  if (!r || r.row.deployment !== deployment) throw rolloutNotFound(deployment, id);
  return r;
}

/** A rollout with its decisions, oldest first. */
export async function getRollout(ctx: Context, deployment: string, id: number): Promise<RolloutDetail> {
  const r = await requireRollout(ctx.store.db, deployment, id);
  const decisions = await ctx.store.db
    .selectFrom('rollout_decisions')
    .selectAll()
    .where('rollout_id', '=', id)
    .orderBy('id')
    .execute();
  return { ...toRollout(r), decisions: decisions.map(toDecision) };
}

export const ROLLOUT_STATUSES: readonly RolloutStatus[] = ['running', 'succeeded', 'rolled_back', 'aborted'];

/** A deployment's rollouts, newest first. */
export async function listRollouts(
  ctx: Context,
  deployment: string,
  opts: { status?: RolloutStatus | undefined; limit?: number | undefined } = {},
): Promise<Rollout[]> {
  const limit = opts.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalidParam(`limit must be an integer from 1 to 1000, got ${limit}`, 'limit');
  let q = ctx.store.db.selectFrom('rollouts').selectAll().where('deployment', '=', deployment);
  if (opts.status !== undefined) q = q.where('status', '=', opts.status);
  const rows = await q.orderBy('id', 'desc').limit(limit).execute();
  // Rollouts outlive a deleted deployment as history; a name that never had either is unknown.
  if (rows.length === 0) await requireDeployment(ctx.store.db, deployment);
  return rows.map((r) => toRollout(toRecord(r)));
}

/** Running rollouts of every deployment: what the controller works through. */
export async function runningRolloutIds(db: Db): Promise<number[]> {
  const rows = await db
    .selectFrom('rollouts')
    .select('id')
    .where('status', '=', 'running')
    .orderBy('id')
    .execute();
  return rows.map((r) => Number(r.id));
}

/**
 * Writes `set` over the rollout only if it is still at `revision` (and bumps it); false when
 * someone else (an abort, another replica) wrote meanwhile.
 */
export async function updateIfRevision(
  db: Db,
  id: number,
  revision: number,
  set: Partial<Omit<RolloutsTable, 'id' | 'revision'>>,
): Promise<boolean> {
  const r = await db
    .updateTable('rollouts')
    .set({ ...set, revision: revision + 1 })
    .where('id', '=', id)
    .where('revision', '=', revision)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Inserts a decision row (inside the caller's transaction). */
export async function insertDecision(
  trx: Db,
  r: RolloutRecord,
  d: {
    kind: DecisionKind;
    reason: string;
    evidence: unknown;
    eventTime: number | null;
    actor: string;
    at: number;
  },
): Promise<void> {
  const step = Math.min(Number(r.row.step), r.policy.steps.length - 1);
  await trx
    .insertInto('rollout_decisions')
    .values({
      rollout_id: r.row.id,
      deployment: r.row.deployment,
      step,
      weight: r.policy.steps[step]?.weight ?? 0,
      kind: d.kind,
      reason: d.reason,
      evidence: JSON.stringify(d.evidence),
      event_time: d.eventTime,
      actor: d.actor,
      at: d.at,
    })
    .execute();
}
