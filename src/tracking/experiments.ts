import { type Actor, audited, uniquely } from '../audit/tx.js';
import type { Context } from '../context.js';
import { alreadyExists, invalidParam, notFound } from '../core/errors.js';
import { newExperimentId } from '../core/ids.js';
import type { Db } from '../store/db.js';
import type { ExperimentsTable } from '../store/schema.js';
import { LIMITS, validateKey, validateValueLength } from './limits.js';
import { parseExperimentFilter, parseExperimentOrderBy } from './search/filter.js';
import { compare, decodePageToken, encodePageToken } from './search/sql.js';
import type { Experiment, Page, Tag, ViewType } from './types.js';

const toExperiment = (row: ExperimentsTable, tags: Tag[]): Experiment => ({
  experimentId: row.experiment_id,
  name: row.name,
  artifactLocation: row.artifact_location,
  lifecycleStage: row.lifecycle_stage as Experiment['lifecycleStage'],
  creationTime: row.creation_time,
  lastUpdateTime: row.last_update_time,
  tags,
});

async function tagsOf(db: Db, ids: string[]): Promise<Map<string, Tag[]>> {
  const out = new Map<string, Tag[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', ids).execute();
  for (const r of rows) out.get(r.experiment_id)?.push({ key: r.key, value: r.value });
  return out;
}

function validateName(name: string): void {
  if (!name.trim()) throw invalidParam(`Invalid experiment name: '${name}'`, 'name');
  if (name.length > LIMITS.maxExperimentNameLength) {
    throw invalidParam(
      `Experiment name exceeds the maximum length of ${LIMITS.maxExperimentNameLength} characters`,
      'name',
    );
  }
}

/**
 * Keel keeps artifacts in its own store (KEEL_ARTIFACTS) and serves them through the MLflow
 * artifact proxy, so a location must be inside it: `mlflow-artifacts:/…` or empty.
 */
function validateArtifactLocation(location: string | undefined): void {
  if (location && !location.startsWith('mlflow-artifacts:/')) {
    throw invalidParam(
      `Invalid artifact_location '${location}': Keel stores artifacts in its configured artifact store (KEEL_ARTIFACTS) and serves them through mlflow-artifacts:/; leave artifact_location empty or use an mlflow-artifacts:/ path.`,
      'artifact_location',
    );
  }
}

function validateTag(tag: Tag): void {
  validateKey(tag.key, 'key');
  validateValueLength(tag.value, LIMITS.maxExperimentTagValueLength, 'Experiment tag', tag.key);
}

/** Creates an experiment; the name must be unused (deleted experiments still hold theirs). */
export async function createExperiment(
  ctx: Context,
  input: { name: string; artifactLocation?: string | undefined; tags?: Tag[] | undefined },
  actor: Actor,
): Promise<string> {
  validateName(input.name);
  validateArtifactLocation(input.artifactLocation);
  const tags = input.tags ?? [];
  for (const t of tags) validateTag(t);
  return uniquely(
    ctx,
    () =>
      audited(
        ctx,
        async (trx) => {
          const existing = await trx
            .selectFrom('experiments')
            .select('lifecycle_stage')
            .where('name', '=', input.name)
            .executeTakeFirst();
          if (existing) {
            throw alreadyExists(
              existing.lifecycle_stage === 'deleted'
                ? `Experiment '${input.name}' already exists in deleted state. You can restore the experiment, or permanently delete it before creating a new one with that name.`
                : `Experiment '${input.name}' already exists.`,
            );
          }
          const now = ctx.clock.now();
          const id = newExperimentId(now);
          await trx
            .insertInto('experiments')
            .values({
              experiment_id: id,
              name: input.name,
              artifact_location: input.artifactLocation || `mlflow-artifacts:/${id}`,
              lifecycle_stage: 'active',
              creation_time: now,
              last_update_time: now,
            })
            .execute();
          const unique = new Map(tags.map((t) => [t.key, t.value]));
          if (unique.size > 0) {
            await trx
              .insertInto('experiment_tags')
              .values([...unique].map(([key, value]) => ({ experiment_id: id, key, value })))
              .execute();
          }
          return {
            result: id,
            audit: {
              action: 'experiment.create',
              objectType: 'experiment',
              objectId: id,
              after: { name: input.name },
            },
          };
        },
        actor,
      ),
    () => alreadyExists(`Experiment '${input.name}' already exists.`),
  );
}

async function requireRow(db: Db, id: string): Promise<ExperimentsTable> {
  const row = await db
    .selectFrom('experiments')
    .selectAll()
    .where('experiment_id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(`No Experiment with id=${id} exists`);
  return row;
}

/** Gets an experiment by id (deleted ones too, as MLflow does). */
export async function getExperiment(ctx: Context, id: string): Promise<Experiment> {
  const row = await requireRow(ctx.store.db, id);
  const tags = await tagsOf(ctx.store.db, [id]);
  return toExperiment(row, tags.get(id) ?? []);
}

/** Gets an experiment by its unique name. */
export async function getExperimentByName(ctx: Context, name: string): Promise<Experiment> {
  const row = await ctx.store.db
    .selectFrom('experiments')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw notFound(`Could not find experiment with name '${name}'`);
  const tags = await tagsOf(ctx.store.db, [row.experiment_id]);
  return toExperiment(row, tags.get(row.experiment_id) ?? []);
}

const EXPERIMENT_ORDER_COLUMNS = {
  name: 'name',
  experiment_id: 'experiment_id',
  creation_time: 'creation_time',
  last_update_time: 'last_update_time',
} as const;

/** MLflow's experiments/search: filter, order_by, view type and offset paging. */
export async function searchExperiments(
  ctx: Context,
  q: {
    filter?: string | undefined;
    orderBy?: string[] | undefined;
    viewType?: ViewType | undefined;
    maxResults?: number | undefined;
    pageToken?: string | undefined;
  },
): Promise<Page<Experiment>> {
  const max = q.maxResults ?? 1000;
  if (!Number.isInteger(max) || max < 1 || max > LIMITS.maxSearchResults) {
    throw invalidParam(
      `Invalid value ${max} for parameter 'max_results' supplied. It must be at most ${LIMITS.maxSearchResults}`,
      'max_results',
    );
  }
  const offset = decodePageToken(q.pageToken);
  const clauses = parseExperimentFilter(q.filter);
  const orders = (q.orderBy ?? []).map(parseExperimentOrderBy);
  const db = ctx.store.db;
  let query = db.selectFrom('experiments as e').selectAll('e');
  const view = q.viewType ?? 'ACTIVE_ONLY';
  if (view !== 'ALL')
    query = query.where('e.lifecycle_stage', '=', view === 'ACTIVE_ONLY' ? 'active' : 'deleted');
  clauses.forEach((c, i) => {
    if (c.kind === 'tag') {
      const alias = `t${i}`;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom(`experiment_tags as ${alias}` as 'experiment_tags')
            .select(eb.lit(1).as('one'))
            .whereRef(`${alias}.experiment_id` as 'experiment_id', '=', 'e.experiment_id')
            .where(`${alias}.key` as 'key', '=', c.key)
            .where((eb2) => compare(eb2, `${alias}.value`, c.comparator, c.value)),
        ),
      );
    } else {
      query = query.where((eb) => compare(eb, `e.${c.key}`, c.comparator, c.value));
    }
  });
  for (const o of orders) {
    const col = EXPERIMENT_ORDER_COLUMNS[o.key as keyof typeof EXPERIMENT_ORDER_COLUMNS];
    if (!col || o.kind !== 'attribute') {
      throw invalidParam(`Invalid order_by entity: ${o.key}`, 'order_by');
    }
    query = query.orderBy(`e.${col}`, o.ascending ? 'asc' : 'desc');
  }
  if (orders.length === 0) query = query.orderBy('e.last_update_time', 'desc');
  query = query.orderBy('e.experiment_id', 'desc');
  const rows = await query
    .limit(max + 1)
    .offset(offset)
    .execute();
  const page = rows.slice(0, max);
  const tags = await tagsOf(
    db,
    page.map((r) => r.experiment_id),
  );
  return {
    items: page.map((r) => toExperiment(r, tags.get(r.experiment_id) ?? [])),
    ...(rows.length > max ? { nextPageToken: encodePageToken(offset + max) } : {}),
  };
}

/** Renames an experiment. */
export async function renameExperiment(
  ctx: Context,
  id: string,
  newName: string,
  actor: Actor,
): Promise<void> {
  validateName(newName);
  await uniquely(
    ctx,
    () =>
      audited(
        ctx,
        async (trx) => {
          const row = await requireRow(trx, id);
          if (row.lifecycle_stage !== 'active') {
            throw invalidParam(`Cannot rename a non-active experiment ${id}`, 'experiment_id');
          }
          if (row.name === newName) return { result: undefined, audit: null };
          const clash = await trx
            .selectFrom('experiments')
            .select('experiment_id')
            .where('name', '=', newName)
            .executeTakeFirst();
          if (clash) throw alreadyExists(`Experiment '${newName}' already exists.`);
          await trx
            .updateTable('experiments')
            .set({ name: newName, last_update_time: ctx.clock.now() })
            .where('experiment_id', '=', id)
            .execute();
          return {
            result: undefined,
            audit: {
              action: 'experiment.rename',
              objectType: 'experiment',
              objectId: id,
              before: { name: row.name },
              after: { name: newName },
            },
          };
        },
        actor,
      ),
    () => alreadyExists(`Experiment '${newName}' already exists.`),
  );
}

async function setLifecycle(
  ctx: Context,
  id: string,
  stage: 'active' | 'deleted',
  actor: Actor,
): Promise<void> {
  await audited(
    ctx,
    async (trx) => {
      const row = await requireRow(trx, id);
      if (id === '0' && stage === 'deleted') {
        throw invalidParam(
          "Cannot delete the default experiment '0'. This is an internally reserved experiment.",
          'experiment_id',
        );
      }
      if (row.lifecycle_stage === stage) {
        // MLflow looks the experiment up among active (delete) or deleted (restore) ones: 404.
        throw notFound(
          stage === 'deleted'
            ? `No Experiment with id=${id} exists (it is already deleted)`
            : `No deleted Experiment with id=${id} exists (it is active)`,
        );
      }
      const now = ctx.clock.now();
      await trx
        .updateTable('experiments')
        .set({ lifecycle_stage: stage, last_update_time: now })
        .where('experiment_id', '=', id)
        .execute();
      // MLflow deletes and restores the experiment's runs with it.
      await trx
        .updateTable('runs')
        .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? now : null })
        .where('experiment_id', '=', id)
        .execute();
      return {
        result: undefined,
        audit: {
          action: stage === 'deleted' ? 'experiment.delete' : 'experiment.restore',
          objectType: 'experiment',
          objectId: id,
          before: { lifecycle_stage: row.lifecycle_stage },
          after: { lifecycle_stage: stage },
        },
      };
    },
    actor,
  );
}

/** Soft-deletes an experiment and its runs. */
export const deleteExperiment = (ctx: Context, id: string, actor: Actor): Promise<void> =>
  setLifecycle(ctx, id, 'deleted', actor);

/** Restores a soft-deleted experiment and its runs. */
export const restoreExperiment = (ctx: Context, id: string, actor: Actor): Promise<void> =>
  setLifecycle(ctx, id, 'active', actor);

/** Sets (or overwrites) an experiment tag. */
export async function setExperimentTag(ctx: Context, id: string, tag: Tag, actor: Actor): Promise<void> {
  validateTag(tag);
  await audited(
    ctx,
    async (trx) => {
      const row = await requireRow(trx, id);
      if (row.lifecycle_stage !== 'active') {
        throw invalidParam(
          `The experiment ${id} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
          'experiment_id',
        );
      }
      const before = await trx
        .selectFrom('experiment_tags')
        .select('value')
        .where('experiment_id', '=', id)
        .where('key', '=', tag.key)
        .executeTakeFirst();
      await trx
        .insertInto('experiment_tags')
        .values({ experiment_id: id, key: tag.key, value: tag.value })
        .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value: tag.value }))
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'experiment.set_tag',
          objectType: 'experiment',
          objectId: id,
          before: before ? { [tag.key]: before.value } : undefined,
          after: { [tag.key]: tag.value },
        },
      };
    },
    actor,
  );
}

/** Deletes an experiment tag; a missing tag is an error, as in MLflow. */
export async function deleteExperimentTag(
  ctx: Context,
  id: string,
  key: string,
  actor: Actor,
): Promise<void> {
  await audited(
    ctx,
    async (trx) => {
      await requireRow(trx, id);
      const res = await trx
        .deleteFrom('experiment_tags')
        .where('experiment_id', '=', id)
        .where('key', '=', key)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0)
        throw notFound(`No tag with name: ${key} in experiment with id ${id}`);
      return {
        result: undefined,
        audit: { action: 'experiment.delete_tag', objectType: 'experiment', objectId: id, before: { key } },
      };
    },
    actor,
  );
}
