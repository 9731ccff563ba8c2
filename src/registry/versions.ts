import { appendAudit } from '../audit/log.js';
import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import { resolveVersion as resolveDatasetVersion } from '../data/versions.js';
import type { Db } from '../store/db.js';
import type { ModelVersionsTable, RunsTable } from '../store/schema.js';
import { metricValue } from '../tracking/run-read.js';
import { refuseIfVersionDeployed } from './deployed.js';
import { insertModel, validateNewModel } from './models.js';
import { resolveOnnx, runOfSource, validateFeatureSchema } from './onnx.js';
import {
  encodeMetrics,
  loadVersions,
  modelNotFound,
  requireModelRow,
  requireVersionRow,
  touchModel,
  validateDescription,
  validateModelName,
  validateRegistryTag,
} from './rows.js';
import type { FeatureSchemaEntry, ModelDataset, ModelVersion } from './types.js';

export interface NewModelVersion {
  name: string;
  /**
   * Where the model lives: `runs:/<run_id>/<path>`, the run's `mlflow-artifacts:/…` URI plus a
   * path (what MLflow clients send), or any other URI (then no ONNX file is checked). Default:
   * `runs:/<runId>/<artifactPath>` with a run, `blobs:/<sha256>` with onnxSha256.
   */
  source?: string | undefined;
  runId?: string | undefined;
  runLink?: string | undefined;
  /** An uploaded ONNX blob; takes precedence over the source's files. */
  onnxSha256?: string | undefined;
  /** With runId and no source: the artifact path of the model (default `model`). */
  artifactPath?: string | undefined;
  description?: string | undefined;
  tags?: Record<string, string> | undefined;
  /** Overrides the feature schema read from the ONNX file's `keel.features` metadata. */
  featureSchema?: FeatureSchemaEntry[] | undefined;
  /** Dataset version refs (`name@3`) besides those the run declared as inputs. */
  datasets?: string[] | undefined;
  /** Creates the registered model, if missing, in the same transaction. */
  createModel?: boolean | undefined;
  /**
   * Refuse a version without a loadable ONNX file. The native API sets it; MLflow's
   * create-model-version leaves it off, since MLflow clients may register any flavour.
   */
  requireOnnx?: boolean | undefined;
}

/**
 * Registers a new version, numbered one past the highest number the model ever had. Everything
 * is checked first — the run exists, the ONNX file decodes and loads in onnxruntime, dataset refs
 * resolve — and only then is the version written, in one audited transaction.
 */
export async function createModelVersion(
  ctx: Context,
  input: NewModelVersion,
  actor: Actor,
): Promise<ModelVersion> {
  validateModelName(input.name);
  validateDescription(input.description);
  for (const [k, v] of Object.entries(input.tags ?? {})) validateRegistryTag(k, v);
  if (input.createModel) validateNewModel({ name: input.name });
  else await requireModelRow(ctx.store.db, input.name);
  const featureSchema = input.featureSchema ? validateFeatureSchema(input.featureSchema) : undefined;

  const given = input.source ?? '';
  const run = await runOfSource(ctx, input.runId, given);
  if (!input.onnxSha256 && !run && given === '') {
    throw invalidParam('a model version needs an ONNX file: give onnxSha256, a runId or a source', 'source');
  }
  const onnx = await resolveOnnx(
    ctx,
    { onnxSha256: input.onnxSha256, source: given, artifactPath: input.artifactPath },
    run,
  );
  if ('missing' in onnx && input.requireOnnx) {
    const where = onnx.missing
      ? `no ONNX model at ${onnx.missing.path}`
      : `source '${given}' is outside Keel's artifact store`;
    throw invalidParam(
      `${where}; log the model as model.onnx in the run's artifacts or upload it and pass onnxSha256`,
      'source',
    );
  }
  const checked = 'missing' in onnx ? null : onnx;
  const source =
    given ||
    (input.onnxSha256
      ? `blobs:/${input.onnxSha256}`
      : `runs:/${run!.run_id}/${input.artifactPath ?? 'model'}`);
  const datasets = await datasetsOf(ctx.store.db, input.datasets ?? [], run);
  const { metrics, params } = run ? await runValues(ctx.store.db, run.run_id) : { metrics: {}, params: {} };

  const write = () =>
    audited<ModelVersion>(
      ctx,
      async (trx) => {
        const now = ctx.clock.now();
        if (input.createModel) {
          const exists = await trx
            .selectFrom('registered_models')
            .select('name')
            .where('name', '=', input.name)
            .executeTakeFirst();
          if (!exists) {
            await insertModel(trx, { name: input.name }, now, actor);
            await appendAudit(
              trx,
              { actor, action: 'model.create', objectType: 'model', objectId: input.name, after: {} },
              now,
            );
          }
        }
        // The row update takes the model's row lock (PostgreSQL) or runs under BEGIN IMMEDIATE
        // (SQLite), so concurrent registrations get distinct numbers without a retry.
        const bumped = await trx
          .updateTable('registered_models')
          .set((eb) => ({ last_version: eb('last_version', '+', 1), updated_at: now }))
          .where('name', '=', input.name)
          .returning('last_version')
          .executeTakeFirst();
        if (!bumped) throw modelNotFound(input.name);
        const row: ModelVersionsTable = {
          name: input.name,
          version: Number(bumped.last_version),
          created_at: now,
          updated_at: now,
          created_by: actor,
          description: input.description ?? '',
          source,
          run_id: run?.run_id ?? null,
          run_link: input.runLink ?? '',
          status: 'READY',
          current_stage: 'None',
          onnx_sha256: checked?.sha256 ?? null,
          onnx_size: checked?.size ?? null,
          signature: checked ? JSON.stringify(checked.signature) : null,
          feature_schema:
            featureSchema || checked?.featureSchema
              ? JSON.stringify(featureSchema ?? checked?.featureSchema)
              : null,
          datasets: JSON.stringify(datasets),
          metrics: encodeMetrics(metrics),
          params: JSON.stringify(params),
          approval_status: 'pending',
          approval_actor: null,
          approval_reason: null,
          approval_time: null,
        };
        await trx.insertInto('model_versions').values(row).execute();
        const tags = Object.entries(input.tags ?? {});
        if (tags.length > 0) {
          await trx
            .insertInto('model_version_tags')
            .values(tags.map(([key, value]) => ({ name: row.name, version: row.version, key, value })))
            .execute();
        }
        const [version] = await loadVersions(trx, [row]);
        return {
          result: version!,
          audit: {
            action: 'model_version.create',
            objectType: 'model_version',
            objectId: `${row.name}@${row.version}`,
            after: {
              source,
              runId: row.run_id,
              onnxSha256: row.onnx_sha256,
              datasets: datasets.map((d) => d.ref),
            },
          },
        };
      },
      actor,
    );
  // Two first registrations under a new name may both try to create the model: the loser of the
  // primary key simply runs again and finds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (attempt >= 5 || !input.createModel || !ctx.store.adapter.isUniqueViolation(e)) throw e;
    }
  }
}

/** Dataset versions of the explicit refs plus those the run declared as inputs, deduplicated. */
async function datasetsOf(db: Db, refs: string[], run: RunsTable | null): Promise<ModelDataset[]> {
  const out = new Map<string, ModelDataset>();
  for (const ref of refs) {
    const v = await resolveDatasetVersion(db, ref);
    out.set(v.id, { ref: v.ref, name: v.name, version: v.version, versionId: v.id });
  }
  if (run) {
    // A run's dataset input is a dataset version when its name and digest match one.
    const rows = await db
      .selectFrom('run_inputs as i')
      .innerJoin('datasets as d', 'd.dataset_id', 'i.dataset_id')
      .innerJoin('dataset_versions as v', (j) =>
        j.onRef('v.name', '=', 'd.name').onRef('v.content_hash', '=', 'd.digest'),
      )
      .select(['v.version_id', 'v.name', 'v.version'])
      .where('i.run_id', '=', run.run_id)
      .orderBy('v.name')
      .orderBy('v.version')
      .execute();
    for (const r of rows) {
      out.set(r.version_id, {
        ref: `${r.name}@${r.version}`,
        name: r.name,
        version: r.version,
        versionId: r.version_id,
      });
    }
  }
  return [...out.values()];
}

/** A run's latest metric values and its params. */
async function runValues(
  db: Db,
  runId: string,
): Promise<{ metrics: Record<string, number>; params: Record<string, string> }> {
  const [metrics, params] = await Promise.all([
    db
      .selectFrom('latest_metrics')
      .select(['key', 'value', 'is_nan'])
      .where('run_id', '=', runId)
      .orderBy('key')
      .execute(),
    db.selectFrom('params').select(['key', 'value']).where('run_id', '=', runId).orderBy('key').execute(),
  ]);
  return {
    metrics: Object.fromEntries(metrics.map((m) => [m.key, metricValue(m.value, m.is_nan)])),
    params: Object.fromEntries(params.map((p) => [p.key, p.value])),
  };
}

/** One version with its tags and aliases. */
export async function getModelVersion(ctx: Context, name: string, version: number): Promise<ModelVersion> {
  validateModelName(name);
  const [v] = await loadVersions(ctx.store.db, [await requireVersionRow(ctx.store.db, name, version)]);
  return v!;
}

/** A model's versions, newest first. */
export async function listModelVersions(ctx: Context, name: string): Promise<ModelVersion[]> {
  validateModelName(name);
  await requireModelRow(ctx.store.db, name);
  const rows = await ctx.store.db
    .selectFrom('model_versions')
    .selectAll()
    .where('name', '=', name)
    .orderBy('version', 'desc')
    .execute();
  return loadVersions(ctx.store.db, rows);
}

/** Changes a version's description (the model's last-updated time stays, as in MLflow). */
export async function updateModelVersion(
  ctx: Context,
  name: string,
  version: number,
  patch: { description?: string | undefined },
  actor: Actor,
): Promise<ModelVersion> {
  validateModelName(name);
  validateDescription(patch.description);
  await audited(
    ctx,
    async (trx) => {
      const row = await requireVersionRow(trx, name, version);
      if (patch.description === undefined) return { result: undefined, audit: null };
      await trx
        .updateTable('model_versions')
        .set({ description: patch.description, updated_at: ctx.clock.now() })
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'model_version.update',
          objectType: 'model_version',
          objectId: `${name}@${version}`,
          before: { description: row.description },
          after: { description: patch.description },
        },
      };
    },
    actor,
  );
  return getModelVersion(ctx, name, version);
}

/**
 * Deletes a version with its tags, aliases, approvals and evaluations. Its number is not
 * handed out again. The ONNX blob stays: other versions or run artifacts may share it.
 * INVALID_PARAMETER_VALUE while a deployment routes to it or keeps it as its rollback target.
 */
export async function deleteModelVersion(
  ctx: Context,
  name: string,
  version: number,
  actor: Actor,
): Promise<void> {
  validateModelName(name);
  await audited(
    ctx,
    async (trx) => {
      const row = await requireVersionRow(trx, name, version);
      // The model's row first: deployment writes lock it too, so neither misses the other.
      await touchModel(trx, name, ctx.clock.now());
      await refuseIfVersionDeployed(trx, name, version);
      const aliases = await trx
        .selectFrom('model_aliases')
        .select('alias')
        .where('name', '=', name)
        .where('version', '=', version)
        .orderBy('alias')
        .execute();
      await trx
        .deleteFrom('model_versions')
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'model_version.delete',
          objectType: 'model_version',
          objectId: `${name}@${version}`,
          before: {
            onnxSha256: row.onnx_sha256,
            approval: row.approval_status,
            aliases: aliases.map((a) => a.alias),
          },
        },
      };
    },
    actor,
  );
}

/** Sets (or overwrites) a tag on a version. */
export async function setVersionTag(
  ctx: Context,
  name: string,
  version: number,
  key: string,
  value: string,
  actor: Actor,
): Promise<void> {
  validateModelName(name);
  validateRegistryTag(key, value);
  await audited(
    ctx,
    async (trx) => {
      await requireVersionRow(trx, name, version);
      const before = await trx
        .selectFrom('model_version_tags')
        .select('value')
        .where('name', '=', name)
        .where('version', '=', version)
        .where('key', '=', key)
        .executeTakeFirst();
      await trx
        .insertInto('model_version_tags')
        .values({ name, version, key, value })
        .onConflict((oc) => oc.columns(['name', 'version', 'key']).doUpdateSet({ value }))
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'model_version.tag.set',
          objectType: 'model_version',
          objectId: `${name}@${version}`,
          before: before ? { [key]: before.value } : undefined,
          after: { [key]: value },
        },
      };
    },
    actor,
  );
}

/** Removes a tag from a version; RESOURCE_DOES_NOT_EXIST if it has no such tag. */
export async function deleteVersionTag(
  ctx: Context,
  name: string,
  version: number,
  key: string,
  actor: Actor,
): Promise<void> {
  validateModelName(name);
  await audited(
    ctx,
    async (trx) => {
      await requireVersionRow(trx, name, version);
      const before = await trx
        .selectFrom('model_version_tags')
        .select('value')
        .where('name', '=', name)
        .where('version', '=', version)
        .where('key', '=', key)
        .executeTakeFirst();
      if (!before) throw notFound(`No tag with key=${key} on model version ${name}@${version}`, 'key');
      await trx
        .deleteFrom('model_version_tags')
        .where('name', '=', name)
        .where('version', '=', version)
        .where('key', '=', key)
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'model_version.tag.delete',
          objectType: 'model_version',
          objectId: `${name}@${version}`,
          before: { [key]: before.value },
        },
      };
    },
    actor,
  );
}

/** MLflow's stages, by their lower-case spelling (MLflow accepts any case). */
const STAGES: Record<string, string> = {
  none: 'None',
  staging: 'Staging',
  production: 'Production',
  archived: 'Archived',
};

/** MLflow's stage name in canonical case, or INVALID_PARAMETER_VALUE. */
export function canonicalStage(stage: string): string {
  const s = STAGES[stage.toLowerCase()];
  if (!s) {
    throw invalidParam(
      `Invalid Model Version stage: ${stage}. Value must be one of None, Staging, Production, Archived.`,
      'stage',
    );
  }
  return s;
}

/**
 * MLflow's deprecated transition-stage: moves a version to a stage, optionally archiving the
 * other versions in that stage. A rejected version may not enter Staging or Production.
 */
export async function setStage(
  ctx: Context,
  name: string,
  version: number,
  stage: string,
  archiveExisting: boolean,
  actor: Actor,
): Promise<ModelVersion> {
  validateModelName(name);
  const target = canonicalStage(stage);
  await audited(
    ctx,
    async (trx) => {
      const row = await requireVersionRow(trx, name, version);
      const live = target === 'Staging' || target === 'Production';
      if (live && row.approval_status === 'rejected') {
        throw invalidParam(
          `version ${version} of ${name} is rejected; it cannot move to ${target}`,
          'version',
        );
      }
      const now = ctx.clock.now();
      let archived: number[] = [];
      if (archiveExisting && live) {
        const others = await trx
          .selectFrom('model_versions')
          .select('version')
          .where('name', '=', name)
          .where('current_stage', '=', target)
          .where('version', '!=', version)
          .execute();
        archived = others.map((o) => o.version);
        if (archived.length > 0) {
          await trx
            .updateTable('model_versions')
            .set({ current_stage: 'Archived', updated_at: now })
            .where('name', '=', name)
            .where('version', 'in', archived)
            .execute();
        }
      }
      await trx
        .updateTable('model_versions')
        .set({ current_stage: target, updated_at: now })
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
      await touchModel(trx, name, now);
      return {
        result: undefined,
        audit: {
          action: 'model_version.stage',
          objectType: 'model_version',
          objectId: `${name}@${version}`,
          before: { stage: row.current_stage },
          after: { stage: target, ...(archived.length > 0 ? { archived } : {}) },
        },
      };
    },
    actor,
  );
  return getModelVersion(ctx, name, version);
}
