/** Starting a rollout (the candidate takes the first canary weight) and aborting one. */
import type { Actor } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, KeelError } from '../core/errors.js';
import { requireChannels } from '../monitoring/alerts/channels.js';
import { DeploymentStateError } from '../serving/deployments/errors.js';
import { resolveRouteRef, type VersionRef } from '../serving/deployments/refs.js';
import { validateDeploymentName } from '../serving/deployments/spec.js';
import { requireDeployment } from '../serving/deployments/store.js';
import type { DeploymentHooks } from '../serving/types.js';
import { parsePolicy } from './policy.js';
import {
  emptyStep,
  findRollout,
  getRollout,
  type PendingAction,
  requireRollout,
  updateIfRevision,
} from './store.js';
import { completePending } from './transitions.js';
import type { RolloutDetail } from './types.js';

export interface NewRollout {
  /** The candidate: a version of the deployment's model (`3`, `@challenger`, `credit@3`). */
  model: VersionRef;
  /** The policy as written (see policy.ts); absent = every default. */
  policy?: unknown;
  /**
   * Starting again with the same key returns the rollout it started (a pipeline step retried after
   * a crash must not start a second one).
   */
  key?: string | undefined;
}

const MAX_KEY = 256;

const conflict = (deployment: string, id: number) =>
  new KeelError(
    'RESOURCE_CONFLICT',
    `Deployment '${deployment}' already has a running rollout (${id}); wait for it or abort it first`,
  );

/**
 * Starts rolling `input.model` out on a deployment under a policy: everything is validated first
 * (policy, candidate, the deployment's routes and log), then the candidate is loaded and takes the
 * first step's canary weight; the rollout, its `started` decision and audit entry are recorded once
 * the canary serves. A candidate that cannot load leaves nothing behind.
 */
export async function startRollout(
  ctx: Context,
  deployment: string,
  input: NewRollout,
  actor: Actor,
  hooks: DeploymentHooks,
): Promise<RolloutDetail> {
  validateDeploymentName(deployment);
  if (input.key !== undefined && (input.key === '' || input.key.length > MAX_KEY))
    throw invalidParam(`key must be 1–${MAX_KEY} characters`, 'key');
  const db = ctx.store.db;
  if (input.key !== undefined) {
    const same = await db
      .selectFrom('rollouts')
      .select(['id', 'deployment'])
      .where('idempotency_key', '=', input.key)
      .executeTakeFirst();
    if (same) {
      if (same.deployment !== deployment)
        throw invalidParam(
          `key '${input.key}' already started a rollout of deployment '${same.deployment}'`,
          'key',
        );
      return getRollout(ctx, deployment, Number(same.id));
    }
  }
  const policy = parsePolicy(input.policy, 'policy');
  const d = await requireDeployment(db, deployment);
  const candidate = await resolveRouteRef(ctx, d.spec.model, input.model, 'model');
  if (candidate === d.spec.primary)
    throw invalidParam(`${d.spec.model}@${candidate} is already the primary of '${deployment}'`, 'model');
  if (!d.spec.log.enabled)
    throw new DeploymentStateError(
      `Deployment '${deployment}' does not log predictions; canary analysis reads the prediction log: turn it on first`,
      'log.enabled',
    );
  if (d.spec.variants.length > 0)
    throw new DeploymentStateError(
      `Deployment '${deployment}' runs an A/B test; end it before a rollout`,
      'variants',
    );
  if (d.spec.canary)
    throw new DeploymentStateError(
      `Deployment '${deployment}' already routes a canary (version ${d.spec.canary.version} at ${d.spec.canary.weight}%); promote or clear it first`,
      'canary',
    );
  if (policy.alert.channels) await requireChannels(db, policy.alert.channels, 'policy.alert.channels');
  const running = await db
    .selectFrom('rollouts')
    .select('id')
    .where('deployment', '=', deployment)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (running) throw conflict(deployment, Number(running.id));

  const now = ctx.clock.now();
  const pending: PendingAction = { action: 'start', actor };
  let id: number;
  try {
    const row = await db
      .insertInto('rollouts')
      .values({
        deployment,
        model: d.spec.model,
        candidate,
        baseline: d.spec.primary,
        policy: JSON.stringify(policy),
        status: 'running',
        step: 0,
        step_started_at: now,
        state: JSON.stringify({
          cursor: { records: 0, errors: 0 },
          rolloutFrom: { records: 0, errors: 0 },
          step: emptyStep(),
          earlierPrimary: emptyStep().canary,
        }),
        pending: JSON.stringify(pending),
        reason: null,
        idempotency_key: input.key ?? null,
        revision: 1,
        lease_owner: null,
        lease_until: 0,
        created_at: now,
        created_by: actor,
        updated_at: now,
        finished_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    id = Number(row.id);
  } catch (e) {
    if (!ctx.store.adapter.isUniqueViolation(e)) throw e;
    // Another start won the race: for the same key return its rollout, else refuse.
    if (input.key !== undefined) {
      const same = await db
        .selectFrom('rollouts')
        .select('id')
        .where('idempotency_key', '=', input.key)
        .executeTakeFirst();
      if (same) return getRollout(ctx, deployment, Number(same.id));
    }
    const other = await db
      .selectFrom('rollouts')
      .select('id')
      .where('deployment', '=', deployment)
      .where('status', '=', 'running')
      .executeTakeFirst();
    throw conflict(deployment, Number(other?.id ?? 0));
  }
  const r = (await findRollout(db, id))!;
  try {
    await completePending(ctx, r, hooks, now, { rethrow: true });
  } catch (e) {
    // The canary could not be set (a model that does not load, a concurrent change): nothing stays.
    await db.deleteFrom('rollouts').where('id', '=', id).where('pending', 'is not', null).execute();
    throw e;
  }
  const started = await getRollout(ctx, deployment, id);
  if (started.status === 'aborted')
    throw new KeelError(
      'RESOURCE_CONFLICT',
      `Rollout not started: ${started.reason ?? 'the deployment changed meanwhile'}`,
    );
  return started;
}

/**
 * Aborts a running rollout on a person's request: the candidate's canary is removed, the primary
 * keeps all traffic, and the abort is recorded with `actor`.
 */
export async function abortRollout(
  ctx: Context,
  deployment: string,
  id: number,
  actor: Actor,
  hooks: DeploymentHooks,
  reason?: string,
): Promise<RolloutDetail> {
  for (let attempt = 1; ; attempt++) {
    const r = await requireRollout(ctx.store.db, deployment, id);
    if (r.row.status !== 'running')
      throw new DeploymentStateError(
        `Rollout ${id} of '${deployment}' has already ${r.row.status.replace('_', ' ')}`,
        'id',
      );
    if (r.pending !== null && r.pending.action !== 'abort') {
      if (attempt >= 3)
        throw new KeelError(
          'RESOURCE_CONFLICT',
          `Rollout ${id} is applying a decision (${r.pending.action}); retry in a moment`,
        );
      await completePending(ctx, r, hooks);
      continue;
    }
    const pending: PendingAction = {
      action: 'abort',
      actor,
      reason: reason?.trim() ? `aborted by ${actor}: ${reason.trim()}` : `aborted by ${actor}`,
      clearCanary: true,
    };
    const now = ctx.clock.now();
    if (
      !(await updateIfRevision(ctx.store.db, id, Number(r.row.revision), {
        pending: JSON.stringify(pending),
        updated_at: now,
      }))
    ) {
      if (attempt >= 3) throw new KeelError('RESOURCE_CONFLICT', `Rollout ${id} changed meanwhile; retry`);
      continue;
    }
    const fresh = (await findRollout(ctx.store.db, id))!;
    await completePending(ctx, fresh, hooks, now);
    return getRollout(ctx, deployment, id);
  }
}
