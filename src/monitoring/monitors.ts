/**
 * Monitors: created (CLI, YAML, REST, or by default when a deployment of a version with recorded
 * training data is created), replaced, enabled or disabled, deleted — every change audited.
 */
import { type Actor, audited, uniquely } from '../audit/tx.js';
import type { Context } from '../context.js';
import { alreadyExists, invalidParam, notFound } from '../core/errors.js';
import { requireDeployment } from '../serving/deployments/store.js';
import { trainingData } from '../serving/log/reference.js';
import type { Deployment } from '../serving/types.js';
import type { Db } from '../store/db.js';
import type { MonitorsTable } from '../store/schema.js';
import { buildSpec, defaultInput, type MonitorInput } from './spec.js';
import type { Monitor, MonitorSpec } from './types.js';

const NAME_RE = /^[A-Za-z0-9][\w.-]{0,99}$/;

export interface NewMonitor extends MonitorInput {
  /** Default: the deployment's name. */
  name?: string | undefined;
  deployment: string;
  enabled?: boolean | undefined;
}

const toMonitor = (r: MonitorsTable): Monitor => ({
  name: r.name,
  deployment: r.deployment,
  spec: JSON.parse(r.spec) as MonitorSpec,
  enabled: r.enabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  createdBy: r.created_by,
});

function validateName(name: string): void {
  if (!NAME_RE.test(name))
    throw invalidParam(
      `monitor name '${name}' must be 1-100 letters, digits, '_', '-' or '.', starting with a letter or digit`,
      'name',
    );
}

/** A monitor by name, or RESOURCE_DOES_NOT_EXIST. */
export async function getMonitor(ctx: Context | { store: { db: Db } }, name: string): Promise<Monitor> {
  const row = await ctx.store.db
    .selectFrom('monitors')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw notFound(`Monitor '${name}' does not exist`, 'name');
  return toMonitor(row);
}

export async function listMonitors(ctx: Context, deployment?: string): Promise<Monitor[]> {
  let q = ctx.store.db.selectFrom('monitors').selectAll().orderBy('name');
  if (deployment !== undefined) q = q.where('deployment', '=', deployment);
  return (await q.execute()).map(toMonitor);
}

/** Creates a monitor after validating everything in it against the deployment it watches. */
export async function createMonitor(ctx: Context, input: NewMonitor, actor: Actor): Promise<Monitor> {
  const name = input.name ?? input.deployment;
  validateName(name);
  const d = await requireDeployment(ctx.store.db, input.deployment);
  const spec = await buildSpec(ctx, d, input);
  const now = ctx.clock.now();
  const m: Monitor = {
    name,
    deployment: d.name,
    spec,
    enabled: input.enabled ?? true,
    createdAt: now,
    updatedAt: now,
    createdBy: actor,
  };
  const clash = () => alreadyExists(`Monitor '${name}' already exists`);
  await uniquely(
    ctx,
    () =>
      audited(
        ctx,
        async (trx) => {
          if (await trx.selectFrom('monitors').select('name').where('name', '=', name).executeTakeFirst())
            throw clash();
          await trx
            .insertInto('monitors')
            .values({
              name,
              deployment: d.name,
              spec: JSON.stringify(spec),
              enabled: m.enabled ? 1 : 0,
              created_at: now,
              updated_at: now,
              created_by: actor,
              labels_cursor: 0,
              windows_cursor: 0,
              lease_owner: null,
              lease_until: 0,
            })
            .execute();
          return {
            result: undefined,
            audit: {
              action: 'monitor.create',
              objectType: 'monitor',
              objectId: name,
              after: { deployment: d.name, spec },
            },
          };
        },
        actor,
      ),
    clash,
  );
  return m;
}

/** Replaces a monitor's spec (and enabled flag); its baselines are rebuilt on the next run. */
export async function updateMonitor(
  ctx: Context,
  name: string,
  input: MonitorInput & { enabled?: boolean | undefined },
  actor: Actor,
): Promise<Monitor> {
  const before = await getMonitor(ctx, name);
  const d = await requireDeployment(ctx.store.db, before.deployment);
  const spec = await buildSpec(ctx, d, input);
  const now = ctx.clock.now();
  const enabled = input.enabled ?? before.enabled;
  await audited(
    ctx,
    async (trx) => {
      await trx
        .updateTable('monitors')
        .set({ spec: JSON.stringify(spec), enabled: enabled ? 1 : 0, updated_at: now })
        .where('name', '=', name)
        .execute();
      await trx.deleteFrom('monitor_baselines').where('monitor', '=', name).execute();
      return {
        result: undefined,
        audit: {
          action: 'monitor.update',
          objectType: 'monitor',
          objectId: name,
          before: { spec: before.spec, enabled: before.enabled },
          after: { spec, enabled },
        },
      };
    },
    actor,
  );
  return { ...before, spec, enabled, updatedAt: now };
}

/** Deletes a monitor with its results and baselines; its alerts and events stay as history. */
export async function deleteMonitor(ctx: Context, name: string, actor: Actor): Promise<void> {
  const before = await getMonitor(ctx, name);
  await audited(
    ctx,
    async (trx) => {
      for (const t of ['monitor_results', 'monitor_baselines'] as const)
        await trx.deleteFrom(t).where('monitor', '=', name).execute();
      await trx
        .updateTable('alerts')
        .set({ status: 'resolved', resolved_at: ctx.clock.now() })
        .where('monitor', '=', name)
        .where('status', '=', 'open')
        .execute();
      await trx.deleteFrom('monitors').where('name', '=', name).execute();
      return {
        result: undefined,
        audit: {
          action: 'monitor.delete',
          objectType: 'monitor',
          objectId: name,
          before: { deployment: before.deployment, spec: before.spec },
        },
      };
    },
    actor,
  );
}

/**
 * The default monitor of a new deployment whose primary version records its training data;
 * null when it has none (nothing to compare with) or a monitor of that name exists.
 */
export async function createDefaultMonitor(
  ctx: Context,
  d: Deployment,
  actor: Actor,
): Promise<Monitor | null> {
  if (!(await trainingData(ctx.store.db, d.spec.model, d.spec.primary))) return null;
  const exists = await ctx.store.db
    .selectFrom('monitors')
    .select('name')
    .where('name', '=', d.name)
    .executeTakeFirst();
  if (exists) return null;
  const v = await ctx.store.db
    .selectFrom('model_versions')
    .select('signature')
    .where('name', '=', d.spec.model)
    .where('version', '=', d.spec.primary)
    .executeTakeFirst();
  const task = v?.signature
    ? ((JSON.parse(v.signature) as { metadata?: Record<string, string> }).metadata?.['keel.task'] ?? null)
    : null;
  try {
    return await createMonitor(ctx, { ...defaultInput(task), deployment: d.name }, actor);
  } catch (e) {
    ctx.logger.warn({ deployment: d.name, err: e }, 'default monitor not created');
    return null;
  }
}
