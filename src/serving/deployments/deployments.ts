/**
 * Deployments: one registered model served under a name, with its routes (primary, canary, A/B
 * variants, shadows) and settings. Every change builds the whole next spec, lets the serving
 * runtime load it (`hooks.prepare`), then commits it with its audit entry and a new revision, and
 * finally tells the runtime (`hooks.applied`).
 */
import { blobReferenced } from '../../artifacts/references.js';
import { type Actor, audited, uniquely } from '../../audit/tx.js';
import type { Context } from '../../context.js';
import { lockDeployableVersions } from '../../registry/deployed.js';
import { validateDescription } from '../../registry/rows.js';
import type { BatchingSpec, Deployment, DeploymentHooks, DeploymentSpec, LogSpec } from '../types.js';
import { deploymentConflict, deploymentExists } from './errors.js';
import { resolveRouteRef, resolveSourceRef, type VersionRef } from './refs.js';
import {
  defaultSettings,
  mergeBatching,
  mergeLog,
  normalizeSpec,
  validateDeploymentName,
  validateRoutes,
  versionsOf,
} from './spec.js';
import { findDeployment, replaceIfRevision, requireDeployment, toDeployment, toRow } from './store.js';
import { applyTraffic, promoted, rolledBack, type TrafficChange, withPrimary } from './traffic.js';

export interface NewDeployment {
  name: string;
  /** Any model ref: `credit@3`, `credit@champion`, `credit` (latest approved), `models:/credit/3`. */
  model: string;
  description?: string | undefined;
  batching?: Partial<BatchingSpec> | undefined;
  log?: Partial<LogSpec> | undefined;
}

export interface DeploymentPatch {
  description?: string | undefined;
  batching?: Partial<BatchingSpec> | undefined;
  log?: Partial<LogSpec> | undefined;
}

/** The prediction log's tables, each keyed by deployment name. */
const PREDICTION_LOG_TABLES = [
  'prediction_records',
  'prediction_feedback',
  'prediction_windows',
  'prediction_segments',
  'prediction_errors',
] as const;

/** What an audit entry records of a deployment, before and after a change. */
const snapshot = (d: Deployment) => ({ revision: d.revision, description: d.description, spec: d.spec });

/**
 * The change has committed; a runtime that fails to apply it must not turn the response into an
 * error (a retry would repeat a change that is already stored). Replicas reconcile from the revision.
 */
async function notifyApplied(
  ctx: Context,
  hooks: DeploymentHooks,
  name: string,
  d: Deployment | null,
): Promise<void> {
  try {
    await hooks.applied(name, d);
  } catch (err) {
    ctx.logger.error(
      { err, deployment: name },
      'deployment change is stored but the serving runtime failed to apply it',
    );
  }
}

/**
 * Read-modify-write of one deployment. `next` computes the new description and spec from the
 * current state (resolving refs, checking rules); an unchanged result writes nothing. The write
 * happens only if the revision read is still current; if another writer got in between (while the
 * runtime was loading models, say), the change is recomputed once from the new state, then it is
 * a RESOURCE_CONFLICT.
 */
async function change(
  ctx: Context,
  name: string,
  actor: Actor,
  hooks: DeploymentHooks,
  action: string,
  next: (current: Deployment) => Promise<{ description: string; spec: DeploymentSpec }>,
): Promise<Deployment> {
  validateDeploymentName(name);
  for (let attempt = 1; ; attempt++) {
    const current = await requireDeployment(ctx.store.db, name);
    const n = await next(current);
    const spec = normalizeSpec(n.spec);
    validateRoutes(spec);
    if (n.description === current.description && JSON.stringify(spec) === JSON.stringify(current.spec)) {
      return current;
    }
    await hooks.prepare(name, spec);
    const updated: Deployment = {
      ...current,
      description: n.description,
      spec,
      revision: current.revision + 1,
      updatedAt: ctx.clock.now(),
    };
    const written = await audited(
      ctx,
      async (trx) => {
        const held = new Set(versionsOf(current.spec));
        await lockDeployableVersions(
          trx,
          spec.model,
          versionsOf(spec).filter((v) => !held.has(v)),
        );
        if (!(await replaceIfRevision(trx, updated, current.revision))) return { result: false, audit: null };
        return {
          result: true,
          audit: {
            action,
            objectType: 'deployment',
            objectId: name,
            before: snapshot(current),
            after: snapshot(updated),
          },
        };
      },
      actor,
    );
    if (written) {
      await notifyApplied(ctx, hooks, name, updated);
      return updated;
    }
    if (attempt >= 2) throw deploymentConflict(name);
  }
}

/**
 * Creates a deployment serving the version `input.model` resolves to (e.g. `credit@champion` → 2)
 * as its primary; the ref itself is kept as `sourceRef`. RESOURCE_ALREADY_EXISTS if the name is taken.
 */
export async function createDeployment(
  ctx: Context,
  input: NewDeployment,
  actor: Actor,
  hooks: DeploymentHooks,
): Promise<Deployment> {
  const { name } = input;
  validateDeploymentName(name);
  validateDescription(input.description);
  const defaults = defaultSettings();
  const batching = mergeBatching(defaults.batching, input.batching);
  const log = mergeLog(defaults.log, input.log);
  if (await findDeployment(ctx.store.db, name)) throw deploymentExists(name);
  const v = await resolveSourceRef(ctx, input.model);
  const spec = normalizeSpec({
    model: v.name,
    primary: v.version,
    previous: null,
    canary: null,
    variants: [],
    shadows: [],
    sticky: null,
    batching,
    log,
  });
  await hooks.prepare(name, spec);
  const now = ctx.clock.now();
  const d: Deployment = {
    name,
    description: input.description ?? '',
    sourceRef: input.model,
    spec,
    revision: 1,
    createdAt: now,
    updatedAt: now,
    createdBy: actor,
  };
  await uniquely(
    ctx,
    () =>
      audited(
        ctx,
        async (trx) => {
          if (await findDeployment(trx, name)) throw deploymentExists(name);
          await lockDeployableVersions(trx, spec.model, versionsOf(spec));
          await trx.insertInto('deployments').values(toRow(d)).execute();
          return {
            result: undefined,
            audit: {
              action: 'deployment.create',
              objectType: 'deployment',
              objectId: name,
              after: { ...snapshot(d), sourceRef: d.sourceRef },
            },
          };
        },
        actor,
      ),
    () => deploymentExists(name),
  );
  await notifyApplied(ctx, hooks, name, d);
  return d;
}

/** A deployment; RESOURCE_DOES_NOT_EXIST naming it when there is none. */
export async function getDeployment(ctx: Context, name: string): Promise<Deployment> {
  validateDeploymentName(name);
  return requireDeployment(ctx.store.db, name);
}

/** Every deployment, by name. */
export async function listDeployments(ctx: Context): Promise<Deployment[]> {
  const rows = await ctx.store.db.selectFrom('deployments').selectAll().orderBy('name').execute();
  return rows.map(toDeployment);
}

/** Changes the description, batching or log settings; each setting not given keeps its value. */
export function updateSettings(
  ctx: Context,
  name: string,
  patch: DeploymentPatch,
  actor: Actor,
  hooks: DeploymentHooks,
): Promise<Deployment> {
  validateDescription(patch.description);
  return change(ctx, name, actor, hooks, 'deployment.update', async (d) => ({
    description: patch.description ?? d.description,
    spec: {
      ...d.spec,
      batching: mergeBatching(d.spec.batching, patch.batching),
      log: mergeLog(d.spec.log, patch.log),
    },
  }));
}

/** Sets or clears the canary, the A/B variants, the shadows and sticky assignment (see TrafficChange). */
export function setTraffic(
  ctx: Context,
  name: string,
  traffic: TrafficChange,
  actor: Actor,
  hooks: DeploymentHooks,
): Promise<Deployment> {
  return change(ctx, name, actor, hooks, 'deployment.traffic', async (d) => ({
    description: d.description,
    spec: await applyTraffic(ctx, name, d.spec, traffic),
  }));
}

/** The canary becomes the primary; the old primary is kept as `previous` for rollback. */
export function promote(
  ctx: Context,
  name: string,
  actor: Actor,
  hooks: DeploymentHooks,
): Promise<Deployment> {
  return change(ctx, name, actor, hooks, 'deployment.promote', async (d) => {
    const spec = promoted(name, d.spec);
    await resolveRouteRef(ctx, spec.model, spec.primary, 'canary');
    return { description: d.description, spec };
  });
}

/** The previous primary comes back; the rolled-back version becomes `previous`, the canary is cleared. */
export function rollback(
  ctx: Context,
  name: string,
  actor: Actor,
  hooks: DeploymentHooks,
): Promise<Deployment> {
  return change(ctx, name, actor, hooks, 'deployment.rollback', async (d) => {
    const spec = rolledBack(name, d.spec);
    await resolveRouteRef(ctx, spec.model, spec.primary, 'previous');
    return { description: d.description, spec };
  });
}

/** Switches the primary directly to the version `ref` names; the old primary becomes `previous`. */
export function setPrimary(
  ctx: Context,
  name: string,
  ref: VersionRef,
  actor: Actor,
  hooks: DeploymentHooks,
): Promise<Deployment> {
  return change(ctx, name, actor, hooks, 'deployment.primary', async (d) => {
    const version = await resolveRouteRef(ctx, d.spec.model, ref, 'model');
    return {
      description: d.description,
      spec: version === d.spec.primary ? d.spec : withPrimary(d.spec, version),
    };
  });
}

/**
 * Deletes a deployment with its prediction log (records, feedback, window profiles, segments), so
 * a new deployment of the same name starts with a clean log. The runtime is told with
 * `applied(name, null)` to unload it; then the segments' blobs that nothing else refers to are
 * deleted, as a run's artifacts are.
 */
export async function deleteDeployment(
  ctx: Context,
  name: string,
  actor: Actor,
  hooks: DeploymentHooks,
): Promise<void> {
  validateDeploymentName(name);
  const segments = await audited(
    ctx,
    async (trx) => {
      const d = await requireDeployment(trx, name);
      const rows = await trx
        .selectFrom('prediction_segments')
        .select('sha256')
        .where('deployment', '=', name)
        .execute();
      await trx.deleteFrom('deployments').where('name', '=', name).execute();
      for (const table of PREDICTION_LOG_TABLES) {
        await trx.deleteFrom(table).where('deployment', '=', name).execute();
      }
      // A rollout in progress ends with its deployment; its decisions stay as history.
      await trx
        .updateTable('rollouts')
        .set({
          status: 'aborted',
          reason: `deployment ${name} was deleted by ${actor}`,
          updated_at: ctx.clock.now(),
          finished_at: ctx.clock.now(),
        })
        .where('deployment', '=', name)
        .where('status', '=', 'running')
        .execute();
      return {
        result: [...new Set(rows.map((r) => r.sha256))],
        audit: { action: 'deployment.delete', objectType: 'deployment', objectId: name, before: snapshot(d) },
      };
    },
    actor,
  );
  await notifyApplied(ctx, hooks, name, null);
  await dropUnreferenced(ctx, name, segments);
}

/** Deletes the blobs nothing refers to any more; a failure only leaves garbage, so it is logged. */
async function dropUnreferenced(ctx: Context, name: string, shas: string[]): Promise<void> {
  for (const sha of shas) {
    try {
      if (!(await blobReferenced(ctx.store.db, sha))) await ctx.blobs.delete(sha);
    } catch (err) {
      ctx.logger.warn(
        { err, deployment: name, sha256: sha },
        'could not delete a prediction log segment blob',
      );
    }
  }
}
