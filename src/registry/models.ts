import { type Actor, audited, uniquely } from '../audit/tx.js';
import type { Context } from '../context.js';
import { alreadyExists, notFound } from '../core/errors.js';
import type { Db } from '../store/db.js';
import { refuseIfModelDeployed } from './deployed.js';
import {
  loadModels,
  requireModelRow,
  validateDescription,
  validateModelName,
  validateRegistryTag,
} from './rows.js';
import type { RegisteredModel } from './types.js';

export const modelExists = (name: string) => alreadyExists(`Registered Model (name=${name}) already exists.`);

export interface NewModel {
  name: string;
  description?: string | undefined;
  tags?: Record<string, string> | undefined;
}

/** Validates a new model's fields (before any transaction starts). */
export function validateNewModel(input: NewModel): void {
  validateModelName(input.name);
  validateDescription(input.description);
  for (const [k, v] of Object.entries(input.tags ?? {})) validateRegistryTag(k, v);
}

/** Inserts a model row and its tags inside the caller's transaction; the caller audits. */
export async function insertModel(trx: Db, input: NewModel, now: number, actor: Actor): Promise<void> {
  const existing = await trx
    .selectFrom('registered_models')
    .select('name')
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (existing) throw modelExists(input.name);
  await trx
    .insertInto('registered_models')
    .values({
      name: input.name,
      description: input.description ?? '',
      created_at: now,
      updated_at: now,
      created_by: actor,
      last_version: 0,
    })
    .execute();
  const tags = Object.entries(input.tags ?? {});
  if (tags.length > 0) {
    await trx
      .insertInto('registered_model_tags')
      .values(tags.map(([key, value]) => ({ name: input.name, key, value })))
      .execute();
  }
}

/** Registers a new model name; RESOURCE_ALREADY_EXISTS if it is taken. */
export async function createModel(ctx: Context, input: NewModel, actor: Actor): Promise<RegisteredModel> {
  validateNewModel(input);
  await uniquely(
    ctx,
    () =>
      audited(
        ctx,
        async (trx) => {
          await insertModel(trx, input, ctx.clock.now(), actor);
          return {
            result: undefined,
            audit: {
              action: 'model.create',
              objectType: 'model',
              objectId: input.name,
              after: { description: input.description ?? '', tags: input.tags ?? {} },
            },
          };
        },
        actor,
      ),
    () => modelExists(input.name),
  );
  return getModel(ctx, input.name);
}

/** A registered model with its tags, aliases and latest version number. */
export async function getModel(ctx: Context, name: string): Promise<RegisteredModel> {
  validateModelName(name);
  const [model] = await loadModels(ctx.store.db, [await requireModelRow(ctx.store.db, name)]);
  return model!;
}

/** Every registered model, by name (MLflow-style filtered search lives in search.ts). */
export async function listModels(ctx: Context): Promise<RegisteredModel[]> {
  const rows = await ctx.store.db.selectFrom('registered_models').selectAll().orderBy('name').execute();
  return loadModels(ctx.store.db, rows);
}

/**
 * Renames a model. Versions, tags, aliases, approvals and evaluations follow through the
 * foreign keys' ON UPDATE CASCADE, in the same statement. INVALID_PARAMETER_VALUE while a
 * deployment serves it: deployments name their model in their spec, which no key follows.
 */
export async function renameModel(
  ctx: Context,
  name: string,
  newName: string,
  actor: Actor,
): Promise<RegisteredModel> {
  validateModelName(name);
  validateModelName(newName, 'new_name');
  if (newName !== name) {
    await uniquely(
      ctx,
      () =>
        audited(
          ctx,
          async (trx) => {
            await requireModelRow(trx, name);
            const taken = await trx
              .selectFrom('registered_models')
              .select('name')
              .where('name', '=', newName)
              .executeTakeFirst();
            if (taken) throw modelExists(newName);
            await trx
              .updateTable('registered_models')
              .set({ name: newName, updated_at: ctx.clock.now() })
              .where('name', '=', name)
              .execute();
            // Checked after the update has locked the row, which deployment writes lock too.
            await refuseIfModelDeployed(trx, name, 'rename');
            return {
              result: undefined,
              audit: {
                action: 'model.rename',
                objectType: 'model',
                objectId: newName,
                before: { name },
                after: { name: newName },
              },
            };
          },
          actor,
        ),
      () => modelExists(newName),
    );
  }
  return getModel(ctx, newName);
}

/** Changes a model's description. */
export async function updateModel(
  ctx: Context,
  name: string,
  patch: { description?: string | undefined },
  actor: Actor,
): Promise<RegisteredModel> {
  validateModelName(name);
  validateDescription(patch.description);
  await audited(
    ctx,
    async (trx) => {
      const row = await requireModelRow(trx, name);
      if (patch.description === undefined) return { result: undefined, audit: null };
      await trx
        .updateTable('registered_models')
        .set({ description: patch.description, updated_at: ctx.clock.now() })
        .where('name', '=', name)
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'model.update',
          objectType: 'model',
          objectId: name,
          before: { description: row.description },
          after: { description: patch.description },
        },
      };
    },
    actor,
  );
  return getModel(ctx, name);
}

/**
 * Deletes a model with all its versions, tags, aliases, approvals and evaluations;
 * INVALID_PARAMETER_VALUE while a deployment serves it.
 */
export async function deleteModel(ctx: Context, name: string, actor: Actor): Promise<void> {
  validateModelName(name);
  await audited(
    ctx,
    async (trx) => {
      const row = await requireModelRow(trx, name);
      const versions = await trx
        .selectFrom('model_versions')
        .select('version')
        .where('name', '=', name)
        .orderBy('version')
        .execute();
      await trx.deleteFrom('registered_models').where('name', '=', name).execute();
      // Checked after the delete has locked the row (a refusal rolls it back).
      await refuseIfModelDeployed(trx, name, 'delete');
      return {
        result: undefined,
        audit: {
          action: 'model.delete',
          objectType: 'model',
          objectId: name,
          before: { versions: versions.map((v) => v.version), lastVersion: row.last_version },
        },
      };
    },
    actor,
  );
}

/** Sets (or overwrites) a tag on a model. */
export async function setModelTag(
  ctx: Context,
  name: string,
  key: string,
  value: string,
  actor: Actor,
): Promise<void> {
  validateModelName(name);
  validateRegistryTag(key, value);
  await audited(
    ctx,
    async (trx) => {
      await requireModelRow(trx, name);
      const before = await trx
        .selectFrom('registered_model_tags')
        .select('value')
        .where('name', '=', name)
        .where('key', '=', key)
        .executeTakeFirst();
      await trx
        .insertInto('registered_model_tags')
        .values({ name, key, value })
        .onConflict((oc) => oc.columns(['name', 'key']).doUpdateSet({ value }))
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'model.tag.set',
          objectType: 'model',
          objectId: name,
          before: before ? { [key]: before.value } : undefined,
          after: { [key]: value },
        },
      };
    },
    actor,
  );
}

/** Removes a tag from a model; RESOURCE_DOES_NOT_EXIST if it has no such tag. */
export async function deleteModelTag(ctx: Context, name: string, key: string, actor: Actor): Promise<void> {
  validateModelName(name);
  await audited(
    ctx,
    async (trx) => {
      await requireModelRow(trx, name);
      const before = await trx
        .selectFrom('registered_model_tags')
        .select('value')
        .where('name', '=', name)
        .where('key', '=', key)
        .executeTakeFirst();
      if (!before) throw notFound(`No tag with key=${key} on registered model ${name}`, 'key');
      await trx.deleteFrom('registered_model_tags').where('name', '=', name).where('key', '=', key).execute();
      return {
        result: undefined,
        audit: {
          action: 'model.tag.delete',
          objectType: 'model',
          objectId: name,
          before: { [key]: before.value },
        },
      };
    },
    actor,
  );
}
