import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import { requireModelRow, requireVersionRow, validateModelName } from './rows.js';
import type { ModelVersion } from './types.js';
import { getModelVersion } from './versions.js';

export const MAX_ALIAS_LENGTH = 255;

/**
 * MLflow's alias rules: letters, digits, '_' and '-', at most 255 characters, not `latest` and not
 * `v<digits>` (both reserved); Keel also refuses a pure number, which `name@3` reads as a version.
 */
export function validateAlias(alias: string): void {
  if (alias === '') throw invalidParam('Registered model alias name cannot be empty.', 'alias');
  if (!/^[\w-]+$/.test(alias)) {
    throw invalidParam(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_) and dashes (-).`,
      'alias',
    );
  }
  if (alias.length > MAX_ALIAS_LENGTH) {
    throw invalidParam(
      `Registered model alias name had length ${alias.length}, which exceeded length limit of ${MAX_ALIAS_LENGTH}`,
      'alias',
    );
  }
  if (alias.toLowerCase() === 'latest') {
    throw invalidParam("'latest' alias name (case insensitive) is reserved.", 'alias');
  }
  if (/^[vV]?\d+$/.test(alias)) {
    throw invalidParam(
      `Version alias name '${alias}' is reserved: name@${alias} would name a version.`,
      'alias',
    );
  }
}

const aliasNotFound = (name: string, alias: string) =>
  notFound(`Registered model alias ${alias} not found for model ${name}`, 'alias');

/**
 * Points an alias at a version, moving it if it pointed elsewhere (the audit entry records from
 * which version to which). A rejected version may not carry an alias.
 */
export async function setAlias(
  ctx: Context,
  name: string,
  alias: string,
  version: number,
  actor: Actor,
): Promise<void> {
  validateModelName(name);
  validateAlias(alias);
  await audited(
    ctx,
    async (trx) => {
      const row = await requireVersionRow(trx, name, version);
      if (row.approval_status === 'rejected') {
        throw invalidParam(
          `version ${version} of ${name} is rejected; an alias cannot point at it`,
          'version',
        );
      }
      const before = await trx
        .selectFrom('model_aliases')
        .select('version')
        .where('name', '=', name)
        .where('alias', '=', alias)
        .executeTakeFirst();
      if (before?.version === version) return { result: undefined, audit: null };
      await trx
        .insertInto('model_aliases')
        .values({ name, alias, version })
        .onConflict((oc) => oc.columns(['name', 'alias']).doUpdateSet({ version }))
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'model_alias.set',
          objectType: 'model_alias',
          objectId: `${name}@${alias}`,
          before: before ? { version: before.version } : undefined,
          after: { version },
        },
      };
    },
    actor,
  );
}

/** Removes an alias; RESOURCE_DOES_NOT_EXIST if the model has no such alias. */
export async function deleteAlias(ctx: Context, name: string, alias: string, actor: Actor): Promise<void> {
  validateModelName(name);
  await audited(
    ctx,
    async (trx) => {
      await requireModelRow(trx, name);
      const before = await trx
        .selectFrom('model_aliases')
        .select('version')
        .where('name', '=', name)
        .where('alias', '=', alias)
        .executeTakeFirst();
      if (!before) throw aliasNotFound(name, alias);
      await trx.deleteFrom('model_aliases').where('name', '=', name).where('alias', '=', alias).execute();
      return {
        result: undefined,
        audit: {
          action: 'model_alias.delete',
          objectType: 'model_alias',
          objectId: `${name}@${alias}`,
          before: { version: before.version },
        },
      };
    },
    actor,
  );
}

/** The version an alias points at. */
export async function getVersionByAlias(ctx: Context, name: string, alias: string): Promise<ModelVersion> {
  validateModelName(name);
  const row = await ctx.store.db
    .selectFrom('model_aliases')
    .select('version')
    .where('name', '=', name)
    .where('alias', '=', alias)
    .executeTakeFirst();
  if (!row) {
    await requireModelRow(ctx.store.db, name);
    throw aliasNotFound(name, alias);
  }
  return getModelVersion(ctx, name, row.version);
}
