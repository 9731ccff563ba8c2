import { sql } from 'kysely';
import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { DialectAdapter } from '../store/adapter.js';
import type { Db } from '../store/db.js';
import { LIMITS, validateKey, validateValueLength } from './limits.js';
import { RUN_NAME_TAG, requireActiveRun } from './runs.js';
import type { DatasetInput, Metric, Param, Tag } from './types.js';

export interface Batch {
  metrics?: Metric[] | undefined;
  params?: Param[] | undefined;
  tags?: Tag[] | undefined;
}

/** Checks MLflow's batch limits and every key/value before anything is written. */
function validateBatch(b: Required<Batch>): void {
  const { metrics, params, tags } = b;
  if (metrics.length > LIMITS.maxMetricsPerBatch) {
    throw invalidParam(
      `A batch logging request can contain at most ${LIMITS.maxMetricsPerBatch} metrics. Got ${metrics.length} metrics.`,
      'metrics',
    );
  }
  if (params.length > LIMITS.maxParamsTagsPerBatch) {
    throw invalidParam(
      `A batch logging request can contain at most ${LIMITS.maxParamsTagsPerBatch} params. Got ${params.length} params.`,
      'params',
    );
  }
  if (tags.length > LIMITS.maxParamsTagsPerBatch) {
    throw invalidParam(
      `A batch logging request can contain at most ${LIMITS.maxParamsTagsPerBatch} tags. Got ${tags.length} tags.`,
      'tags',
    );
  }
  const total = metrics.length + params.length + tags.length;
  if (total > LIMITS.maxEntitiesPerBatch) {
    throw invalidParam(
      `A batch logging request can contain at most ${LIMITS.maxEntitiesPerBatch} metrics, params, and tags in total. Got ${total}.`,
      'metrics',
    );
  }
  let lastKey: string | undefined;
  for (const m of metrics) {
    // Batches usually repeat a few keys many times; validate each distinct key once.
    if (m.key !== lastKey) validateKey(m.key, 'metric');
    lastKey = m.key;
    if (!Number.isInteger(m.step))
      throw invalidParam(`Invalid value "${m.step}" for parameter 'step' supplied`, 'step');
    if (!Number.isInteger(m.timestamp) || m.timestamp < 0) {
      throw invalidParam(`Invalid value "${m.timestamp}" for parameter 'timestamp' supplied`, 'timestamp');
    }
  }
  const seen = new Map<string, string>();
  for (const p of params) {
    validateKey(p.key, 'param');
    validateValueLength(p.value, LIMITS.maxParamValueLength, 'Param', p.key);
    const prev = seen.get(p.key);
    if (prev !== undefined && prev !== p.value) {
      throw invalidParam(
        `Duplicate parameter keys have been submitted: [${p.key}]. Please ensure the request contains only one param value per param key.`,
        'params',
      );
    }
    seen.set(p.key, p.value);
  }
  for (const t of tags) {
    validateKey(t.key, 'tag');
    validateValueLength(t.value, LIMITS.maxTagValueLength, 'Tag', t.key);
  }
}

/** MLflow's rule for a run's current value of a metric: highest (step, timestamp, value). */
function newer(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value || (Number.isNaN(b.value) && !Number.isNaN(a.value));
}

const metricRow = (runId: string, m: Metric) => {
  const nan = Number.isNaN(m.value);
  return {
    run_id: runId,
    key: m.key,
    value: nan ? 0 : m.value,
    is_nan: nan ? 1 : 0,
    timestamp: m.timestamp,
    step: m.step,
  };
};

async function writeMetrics(
  trx: Db,
  adapter: DialectAdapter,
  runId: string,
  metrics: Metric[],
): Promise<void> {
  await adapter.insertMetrics(
    trx,
    metrics.map((m) => metricRow(runId, m)),
  );
  const latest = new Map<string, Metric>();
  for (const m of metrics) {
    const cur = latest.get(m.key);
    if (!cur || newer(m, cur)) latest.set(m.key, m);
  }
  if (latest.size === 0) return;
  await trx
    .insertInto('latest_metrics')
    .values([...latest.values()].map((m) => metricRow(runId, m)))
    .onConflict((oc) =>
      oc
        .columns(['run_id', 'key'])
        .doUpdateSet({
          value: sql`excluded.value`,
          is_nan: sql`excluded.is_nan`,
          timestamp: sql`excluded.timestamp`,
          step: sql`excluded.step`,
        })
        .where(
          sql<boolean>`(excluded.step > latest_metrics.step
            or (excluded.step = latest_metrics.step and excluded.timestamp > latest_metrics.timestamp)
            or (excluded.step = latest_metrics.step and excluded.timestamp = latest_metrics.timestamp
                and excluded.value > latest_metrics.value))`,
        ),
    )
    .execute();
}

async function writeParams(trx: Db, runId: string, params: Param[]): Promise<void> {
  if (params.length === 0) return;
  const unique = new Map(params.map((p) => [p.key, p.value]));
  const existing = await trx
    .selectFrom('params')
    .select(['key', 'value'])
    .where('run_id', '=', runId)
    .where('key', 'in', [...unique.keys()])
    .execute();
  // Params are immutable: re-logging the same value is fine, a different one is an error.
  const changed = existing.filter((e) => unique.get(e.key) !== e.value);
  if (changed.length > 0) {
    const desc = changed.map(
      (e) => `{key: '${e.key}', old_value: '${e.value}', new_value: '${unique.get(e.key)}'}`,
    );
    throw invalidParam(
      `Changing param values is not allowed. Params were already logged='[${desc.join(', ')}]' for run ID='${runId}'.`,
      'params',
    );
  }
  for (const e of existing) unique.delete(e.key);
  if (unique.size === 0) return;
  await trx
    .insertInto('params')
    .values([...unique].map(([key, value]) => ({ run_id: runId, key, value })))
    .execute();
}

async function writeTags(trx: Db, runId: string, tags: Tag[]): Promise<void> {
  if (tags.length === 0) return;
  // Last write wins, including within one request.
  const unique = new Map(tags.map((t) => [t.key, t.value]));
  await trx
    .insertInto('run_tags')
    .values([...unique].map(([key, value]) => ({ run_id: runId, key, value })))
    .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({ value: sql`excluded.value` }))
    .execute();
  const name = unique.get(RUN_NAME_TAG);
  if (name !== undefined)
    await trx.updateTable('runs').set({ run_name: name }).where('run_id', '=', runId).execute();
}

/**
 * Logs metrics, params and tags to an active run atomically: every item is validated before
 * anything is written, and all writes share one transaction.
 */
export async function logBatch(ctx: Context, runId: string, batch: Batch, actor: Actor): Promise<void> {
  const b = { metrics: batch.metrics ?? [], params: batch.params ?? [], tags: batch.tags ?? [] };
  validateBatch(b);
  if (b.metrics.length + b.params.length + b.tags.length === 0) {
    await requireActiveRun(ctx.store.db, runId);
    return;
  }
  await audited(
    ctx,
    async (trx) => {
      await requireActiveRun(trx, runId);
      await writeParams(trx, runId, b.params);
      await writeMetrics(trx, ctx.store.adapter, runId, b.metrics);
      await writeTags(trx, runId, b.tags);
      return {
        result: undefined,
        audit: {
          action: 'run.log',
          objectType: 'run',
          objectId: runId,
          after: {
            metrics: b.metrics.length,
            params: b.params.map((p) => p.key),
            tags: b.tags.map((t) => t.key),
          },
        },
      };
    },
    actor,
  );
}

/** Deletes a run tag; a missing tag is an error, as in MLflow. */
export async function deleteTag(ctx: Context, runId: string, key: string, actor: Actor): Promise<void> {
  await audited(
    ctx,
    async (trx) => {
      await requireActiveRun(trx, runId);
      const res = await trx
        .deleteFrom('run_tags')
        .where('run_id', '=', runId)
        .where('key', '=', key)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0)
        throw notFound(`No tag with name: ${key} in run with id ${runId}`);
      return {
        result: undefined,
        audit: { action: 'run.delete_tag', objectType: 'run', objectId: runId, before: { key } },
      };
    },
    actor,
  );
}

/** Records dataset inputs of a run (MLflow's log-inputs); datasets are deduplicated per experiment. */
export async function logInputs(
  ctx: Context,
  runId: string,
  inputs: DatasetInput[],
  actor: Actor,
): Promise<void> {
  for (const i of inputs) {
    if (!i.dataset.name)
      throw invalidParam(`Missing value for required parameter 'datasets.dataset.name'`, 'name');
    if (!i.dataset.digest)
      throw invalidParam(`Missing value for required parameter 'datasets.dataset.digest'`, 'digest');
  }
  if (inputs.length === 0) {
    // MLflow checks the run even for an empty request.
    await requireActiveRun(ctx.store.db, runId);
    return;
  }
  await audited(
    ctx,
    async (trx) => {
      await requireActiveRun(trx, runId);
      const run = await trx
        .selectFrom('runs')
        .select('experiment_id')
        .where('run_id', '=', runId)
        .executeTakeFirstOrThrow();
      for (const i of inputs) {
        const d = i.dataset;
        const context = i.tags.find((t) => t.key === 'mlflow.data.context')?.value ?? null;
        await trx
          .insertInto('datasets')
          .values({
            dataset_id: newId(),
            experiment_id: run.experiment_id,
            name: d.name,
            digest: d.digest,
            source_type: d.sourceType,
            source: d.source,
            schema: d.schema ?? null,
            profile: d.profile ?? null,
          })
          .onConflict((oc) => oc.columns(['experiment_id', 'name', 'digest']).doNothing())
          .execute();
        const ds = await trx
          .selectFrom('datasets')
          .select('dataset_id')
          .where('experiment_id', '=', run.experiment_id)
          .where('name', '=', d.name)
          .where('digest', '=', d.digest)
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('run_inputs')
          .values({ run_id: runId, dataset_id: ds.dataset_id, tags: JSON.stringify(i.tags), context })
          .onConflict((oc) =>
            oc.columns(['run_id', 'dataset_id']).doUpdateSet({ tags: JSON.stringify(i.tags), context }),
          )
          .execute();
      }
      return {
        result: undefined,
        audit: {
          action: 'run.log_inputs',
          objectType: 'run',
          objectId: runId,
          after: { datasets: inputs.map((i) => `${i.dataset.name}@${i.dataset.digest}`) },
        },
      };
    },
    actor,
  );
}

const MODEL_HISTORY_TAG = 'mlflow.log-model.history';
const MODEL_FIELDS = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'];

/**
 * MLflow's log-model: appends the MLmodel JSON to the run's `mlflow.log-model.history` tag. The
 * read-modify-write happens in one transaction so concurrent calls cannot lose an entry.
 */
export async function logModel(ctx: Context, runId: string, modelJson: string, actor: Actor): Promise<void> {
  let model: unknown;
  try {
    model = JSON.parse(modelJson);
  } catch {
    throw invalidParam("Invalid value for parameter 'model_json': not valid JSON", 'model_json');
  }
  const missing = MODEL_FIELDS.filter((f) => !(model && typeof model === 'object' && f in model));
  if (missing.length > 0) {
    throw invalidParam(`Model json is missing mandatory fields: ${missing.join(', ')}`, 'model_json');
  }
  await audited(
    ctx,
    async (trx) => {
      await requireActiveRun(trx, runId);
      const prev = await trx
        .selectFrom('run_tags')
        .select('value')
        .where('run_id', '=', runId)
        .where('key', '=', MODEL_HISTORY_TAG)
        .executeTakeFirst();
      const history = prev ? (JSON.parse(prev.value) as unknown[]) : [];
      history.push(model);
      const value = JSON.stringify(history);
      await trx
        .insertInto('run_tags')
        .values({ run_id: runId, key: MODEL_HISTORY_TAG, value })
        .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({ value }))
        .execute();
      const artifactPath = (model as { artifact_path?: unknown }).artifact_path;
      return {
        result: undefined,
        audit: {
          action: 'run.log_model',
          objectType: 'run',
          objectId: runId,
          after: { artifact_path: artifactPath },
        },
      };
    },
    actor,
  );
}
