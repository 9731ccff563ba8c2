/**
 * Applying a decided change. A decision is first stored on the rollout as its pending action;
 * then its effect on the deployment is applied (set the canary weight, promote and move the alias,
 * remove the canary) — each effect is idempotent, audited by the deployments domain and loads the
 * new routes before they switch; finally the decision row, the rollout's new status, the alert and
 * the audit entry commit together. A process that dies in between leaves the pending action, and
 * whoever looks next (the controller on any replica) applies it again and records it once.
 */
import { audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { isKeelError } from '../core/errors.js';
import type { AlertEventPayload } from '../monitoring/types.js';
import { setAlias } from '../registry/aliases.js';
import { promote, setTraffic } from '../serving/deployments/index.js';
import { findDeployment } from '../serving/deployments/store.js';
import type { DeploymentHooks } from '../serving/types.js';
import type { RolloutsTable } from '../store/tables/rollouts.js';
import { announce, raiseRollbackAlert, resolveRolloutAlerts } from './alert.js';
import { type LogCursor, logEnd } from './log.js';
import { StatsBuilder } from './stats.js';
import {
  emptyStep,
  findRollout,
  initialState,
  insertDecision,
  type PendingAction,
  type RolloutRecord,
  type RolloutState,
  updateIfRevision,
} from './store.js';
import type { DecisionKind, Evidence } from './types.js';

/** The actor of the controller's own decisions and changes. */
export const controllerActor = (deployment: string): string => `rollout:${deployment}`;

/** The effect could not be applied because the deployment is not what the rollout expects. */
class Interfered extends Error {}

/** Applies the effect of `p` to the deployment; returns the log position the next step reads after. */
async function applyEffect(
  ctx: Context,
  r: RolloutRecord,
  p: PendingAction,
  hooks: DeploymentHooks,
): Promise<LogCursor | null> {
  const name = r.row.deployment;
  const candidate = Number(r.row.candidate);
  const d = await findDeployment(ctx.store.db, name);
  const actor = 'actor' in p ? p.actor : controllerActor(name);
  switch (p.action) {
    case 'start':
    case 'advance': {
      if (!d) throw new Interfered(`deployment '${name}' no longer exists`);
      const step = p.action === 'start' ? 0 : Number(r.row.step) + 1;
      const weight = r.policy.steps[step]!.weight;
      if (d.spec.primary !== Number(r.row.baseline))
        throw new Interfered(`the primary is now version ${d.spec.primary}, not ${r.row.baseline}`);
      if (d.spec.canary && d.spec.canary.version !== candidate)
        throw new Interfered(`the canary is now version ${d.spec.canary.version}, not ${candidate}`);
      if (p.action === 'advance' && !d.spec.canary) throw new Interfered('the canary was removed');
      // The next step reads what is logged after this point: nothing served at the new weight is missed.
      const at = await logEnd(ctx.store.db);
      await setTraffic(ctx, name, { canary: { version: candidate, weight } }, actor, hooks);
      return at;
    }
    case 'promote': {
      if (!d) throw new Interfered(`deployment '${name}' no longer exists`);
      if (d.spec.primary !== candidate) {
        if (d.spec.canary?.version !== candidate)
          throw new Interfered(`the canary is no longer version ${candidate}; nothing to promote`);
        await promote(ctx, name, actor, hooks);
      }
      if (r.policy.alias !== null) await setAlias(ctx, r.row.model, r.policy.alias, candidate, actor);
      return null;
    }
    case 'rollback':
    case 'abort': {
      if (d?.spec.canary?.version === candidate && (p.action === 'rollback' || p.clearCanary))
        await setTraffic(ctx, name, { canary: null }, actor, hooks);
      return null;
    }
  }
}

interface Outcome {
  kind: DecisionKind;
  reason: string;
  evidence: unknown;
  actor: string;
  set: Partial<Omit<RolloutsTable, 'id' | 'revision'>>;
  alert?: 'raise' | 'resolve';
}

function nextStepState(s: RolloutState, at: LogCursor): RolloutState {
  const earlier = new StatsBuilder(s.earlierPrimary);
  earlier.merge(s.step.primary);
  return { cursor: at, rolloutFrom: s.rolloutFrom, step: emptyStep(), earlierPrimary: earlier.toJSON() };
}

function outcomeOf(r: RolloutRecord, p: PendingAction, at: LogCursor | null, now: number): Outcome {
  const actor = 'actor' in p ? p.actor : controllerActor(r.row.deployment);
  const done = { status: 'succeeded', finished_at: now, pending: null, updated_at: now };
  switch (p.action) {
    case 'start':
      return {
        kind: 'started',
        reason: `canary ${r.row.model}@${r.row.candidate} at ${r.policy.steps[0]!.weight}% beside primary @${r.row.baseline}`,
        evidence: { policy: r.policy },
        actor,
        set: {
          pending: null,
          step: 0,
          step_started_at: now,
          state: JSON.stringify(initialState(at!)),
          updated_at: now,
        },
      };
    case 'advance': {
      const next = Number(r.row.step) + 1;
      return {
        kind: 'step_passed',
        reason: `step ${Number(r.row.step) + 1} at ${p.evidence.weight}% passed; canary now at ${r.policy.steps[next]!.weight}%`,
        evidence: p.evidence,
        actor,
        set: {
          pending: null,
          step: next,
          step_started_at: now,
          state: JSON.stringify(nextStepState(r.state, at!)),
          updated_at: now,
        },
      };
    }
    case 'promote':
      return {
        kind: 'promoted',
        reason: `every step passed; ${r.row.model}@${r.row.candidate} promoted to primary${r.policy.alias ? `, alias ${r.policy.alias} moved to it` : ''}`,
        evidence: p.evidence,
        actor,
        set: done,
        alert: 'resolve',
      };
    case 'rollback':
      return {
        kind: 'rolled_back',
        reason: p.reason,
        evidence: p.evidence,
        actor,
        set: { ...done, status: 'rolled_back', reason: p.reason },
        alert: 'raise',
      };
    case 'abort':
      return {
        kind: 'aborted',
        reason: p.reason,
        evidence: { by: p.actor, canaryRemoved: p.clearCanary },
        actor,
        set: { ...done, status: 'aborted', reason: p.reason },
      };
  }
}

/** Records the outcome: decision row, rollout update, alert and audit entry in one transaction. */
async function record(ctx: Context, r: RolloutRecord, o: Outcome, now: number): Promise<boolean> {
  const evidence = o.evidence as Partial<Evidence>;
  const eventTime = evidence.eventTime?.to ?? null;
  const events = await audited(
    ctx,
    async (trx) => {
      if (!(await updateIfRevision(trx, r.row.id, Number(r.row.revision), o.set)))
        return { result: null, audit: null };
      await insertDecision(trx, r, { ...o, eventTime, at: now });
      let alerts: AlertEventPayload[] = [];
      if (o.alert === 'raise')
        alerts = [await raiseRollbackAlert(trx, r, o.reason, (o.evidence as Evidence) ?? null, o.actor, now)];
      else if (o.alert === 'resolve') alerts = await resolveRolloutAlerts(trx, r, eventTime, o.actor, now);
      return {
        result: alerts,
        audit: {
          action: `rollout.${o.kind}`,
          objectType: 'rollout',
          objectId: String(r.row.id),
          ...(o.kind === 'started' ? {} : { before: { status: r.row.status, step: Number(r.row.step) } }),
          after: {
            deployment: r.row.deployment,
            model: r.row.model,
            candidate: Number(r.row.candidate),
            baseline: Number(r.row.baseline),
            status: o.set.status ?? r.row.status,
            step: o.set.step ?? Number(r.row.step),
            reason: o.reason,
            evidence: o.evidence,
          },
        },
      };
    },
    o.actor,
  );
  if (events === null) return false;
  announce(ctx, events);
  return true;
}

/**
 * Applies and records the rollout's pending action. Returns false when someone else recorded it
 * first. A deployment that no longer matches the rollout, or refuses the change (a version that
 * no longer loads), turns the action into an abort that leaves its routes alone — unless
 * `rethrow`, for a caller that undoes the action itself; other failures (the database) propagate
 * and the action stays pending for the next attempt.
 */
export async function completePending(
  ctx: Context,
  r: RolloutRecord,
  hooks: DeploymentHooks,
  now: number = ctx.clock.now(),
  opts: { rethrow?: boolean } = {},
): Promise<boolean> {
  const p = r.pending;
  if (p === null) return false;
  let at: LogCursor | null;
  try {
    at = await applyEffect(ctx, r, p, hooks);
  } catch (e) {
    const why = e instanceof Interfered ? e.message : isKeelError(e) && e.status < 500 ? e.message : null;
    if (why === null || p.action === 'abort' || opts.rethrow) throw e;
    return abortFor(ctx, r, `the deployment changed outside the rollout: ${why}`, now);
  }
  return record(ctx, r, outcomeOf(r, p, at, now), now);
}

/** Ends a rollout as aborted without touching the deployment (it is no longer the rollout's to steer). */
async function abortFor(ctx: Context, r: RolloutRecord, reason: string, now: number): Promise<boolean> {
  const actor = controllerActor(r.row.deployment);
  return record(ctx, r, outcomeOf(r, { action: 'abort', actor, reason, clearCanary: false }, null, now), now);
}

/** Stores `p` as the rollout's pending action (revision-checked), then completes it. */
export async function decide(
  ctx: Context,
  r: RolloutRecord,
  p: PendingAction,
  hooks: DeploymentHooks,
  extra: Partial<Omit<RolloutsTable, 'id' | 'revision'>> = {},
): Promise<boolean> {
  const now = ctx.clock.now();
  const revision = Number(r.row.revision);
  if (
    !(await updateIfRevision(ctx.store.db, r.row.id, revision, {
      ...extra,
      pending: JSON.stringify(p),
      updated_at: now,
    }))
  )
    return false;
  const fresh = await findRollout(ctx.store.db, r.row.id);
  return fresh ? completePending(ctx, fresh, hooks, now) : false;
}

/** Ends a rollout whose deployment was changed by someone else (no route is touched). */
export function abandon(ctx: Context, r: RolloutRecord, reason: string): Promise<boolean> {
  return abortFor(ctx, r, `the deployment changed outside the rollout: ${reason}`, ctx.clock.now());
}
