import type { Db } from '../store/db.js';

/**
 * Whether anything still points at a blob: a dataset version's file, a run artifact, a
 * registered model version's ONNX, or a prediction log segment (a deployment's sampled rows).
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
  return file !== undefined || artifact !== undefined || model !== undefined || segment !== undefined;
}
