import type { Context } from '../context.js';
import { routesOf } from '../serving/deployments/spec.js';
import type { DeploymentSpec } from '../serving/types.js';
import type { ModelLineage } from './types.js';
import { getModelVersion } from './versions.js';

/**
 * Where a version came from and where it is used: the dataset versions it was trained on, the
 * run that produced it (params, code version from `mlflow.source.git.commit`), its aliases and
 * the deployments routing traffic to it (with the routes: primary, canary, variant:<name>, shadow).
 */
export async function modelLineage(ctx: Context, name: string, version: number): Promise<ModelLineage> {
  const v = await getModelVersion(ctx, name, version);
  const db = ctx.store.db;
  const ids = v.datasets.map((d) => d.versionId);
  const dsRows =
    ids.length === 0
      ? []
      : await db
          .selectFrom('dataset_versions')
          .select(['version_id', 'content_hash', 'rows'])
          .where('version_id', 'in', ids)
          .execute();
  const byId = new Map(dsRows.map((r) => [r.version_id, r]));
  const datasets = v.datasets.map((d) => ({
    ref: d.ref,
    name: d.name,
    version: d.version,
    contentHash: byId.get(d.versionId)?.content_hash ?? '',
    rows: byId.get(d.versionId)?.rows ?? 0,
  }));

  let run: ModelLineage['run'] = null;
  if (v.runId) {
    const r = await db
      .selectFrom('runs as r')
      .innerJoin('experiments as e', 'e.experiment_id', 'r.experiment_id')
      .select(['r.run_id', 'r.run_name', 'r.experiment_id', 'e.name as experiment_name', 'r.start_time'])
      .where('r.run_id', '=', v.runId)
      .executeTakeFirst();
    if (r) {
      const [params, tags] = await Promise.all([
        db
          .selectFrom('params')
          .select(['key', 'value'])
          .where('run_id', '=', r.run_id)
          .orderBy('key')
          .execute(),
        db
          .selectFrom('run_tags')
          .select(['key', 'value'])
          .where('run_id', '=', r.run_id)
          .where('key', 'in', ['mlflow.source.git.commit', 'mlflow.source.name'])
          .execute(),
      ]);
      const tag = (k: string) => tags.find((t) => t.key === k)?.value ?? null;
      run = {
        runId: r.run_id,
        runName: r.run_name,
        experimentId: r.experiment_id,
        experimentName: r.experiment_name,
        params: Object.fromEntries(params.map((p) => [p.key, p.value])),
        gitCommit: tag('mlflow.source.git.commit'),
        sourceName: tag('mlflow.source.name'),
        startTime: r.start_time,
      };
    }
  }
  const deploymentRows = await db
    .selectFrom('deployments')
    .select(['name', 'spec'])
    .where('model', '=', name)
    .orderBy('name')
    .execute();
  const deployments = deploymentRows
    .map((d) => ({ name: d.name, routes: routesOf(JSON.parse(d.spec) as DeploymentSpec, version) }))
    .filter((d) => d.routes.length > 0);
  return {
    datasets,
    run,
    version: { name: v.name, version: v.version, approval: v.approval, onnx: v.onnx },
    aliases: v.aliases,
    deployments,
  };
}
