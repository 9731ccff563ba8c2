import type { Db } from '../store/db.js';

/**
 * Whether anything still points at a blob: a dataset version's file, a run artifact, a
 * registered model version's ONNX, a prediction log segment (a deployment's sampled rows), or a
 * pipeline's file — a workspace file, a step's output or log, a step cache entry.
 * Blobs are shared by content, so a blob is deleted only when none of these refer to it any more.
 */
export async function blobReferenced(db: Db, sha256: string): Promise<boolean> {
  const [file, artifact, model, segment] = await Promise.all([
    db.selectFrom('dataset_files').select('path').where('sha256', '=', sha256).limit(1).executeTakeFirst(),
    db.selectFrom('artifact_files').select('path').where('sha256', '=', sha256).limit(1).executeTakeFirst(),
    db
      .selectFrom('model_versions')
      .select('version')
      .where('onnx_sha256', '=', sha256)
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom('prediction_segments')
      .select('window_start')
      .where('sha256', '=', sha256)
      .limit(1)
      .executeTakeFirst(),
  ]);
  if (file !== undefined || artifact !== undefined || model !== undefined || segment !== undefined)
    return true;
  return pipelineReferences(db, sha256);
}

/**
 * Pipelines keep their files in JSON manifests ({path: {sha256, size}}); a hex digest cannot occur
 * in them by accident, so a substring match is exact. Only blob deletion pays for these scans.
 */
async function pipelineReferences(db: Db, sha256: string): Promise<boolean> {
  const like = `%${sha256}%`;
  const found = await Promise.all([
    db
      .selectFrom('pipeline_steps')
      .select('run_id')
      .where('log_sha256', '=', sha256)
      .limit(1)
      .executeTakeFirst(),
    db.selectFrom('pipeline_steps').select('run_id').where('files', 'like', like).limit(1).executeTakeFirst(),
    db
      .selectFrom('pipeline_step_cache')
      .select('key')
      .where('files', 'like', like)
      .limit(1)
      .executeTakeFirst(),
    db.selectFrom('pipelines').select('name').where('workspace', 'like', like).limit(1).executeTakeFirst(),
    db.selectFrom('pipeline_runs').select('id').where('workspace', 'like', like).limit(1).executeTakeFirst(),
  ]);
  return found.some((r) => r !== undefined);
}
