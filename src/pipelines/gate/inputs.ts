/** What a gate reads before judging: the version it compares with, the held-out data, the training data. */
import type { Context } from '../../context.js';
import { invalidParam, KeelError } from '../../core/errors.js';
import { type DatasetVersion, resolveVersion } from '../../data/versions.js';
import { versionById } from '../../monitoring/baseline/data.js';
import { getVersionByAlias } from '../../registry/aliases.js';
import type { ModelVersion } from '../../registry/types.js';
import { getModelVersion } from '../../registry/versions.js';

/** The version named by `against`, or why there is none to compare with. */
export async function resolveChampion(
  ctx: Context,
  candidate: ModelVersion,
  against: string | number,
): Promise<{ version: ModelVersion; note?: undefined } | { note: string; version?: undefined }> {
  const name = candidate.name;
  const sel = String(against);
  let v: ModelVersion;
  if (/^\d+$/.test(sel)) {
    v = await getModelVersion(ctx, name, Number(sel)).catch((e: unknown) => {
      throw e instanceof KeelError && e.code === 'RESOURCE_DOES_NOT_EXIST'
        ? invalidParam(`against: ${name} has no version ${sel}`, 'against')
        : e;
    });
  } else {
    try {
      v = await getVersionByAlias(ctx, name, sel);
    } catch (e) {
      if (e instanceof KeelError && e.code === 'RESOURCE_DOES_NOT_EXIST')
        return { note: `no version of ${name} carries alias ${sel} yet: comparisons with it are skipped` };
      throw e;
    }
  }
  if (v.version === candidate.version)
    return { note: `${name}@${v.version} is itself ${name}@${sel}: comparisons with it are skipped` };
  if (!v.onnx) throw invalidParam(`${name}@${v.version} (against) has no ONNX model to score`, 'against');
  return { version: v };
}

/** The held-out dataset version with its files; `name@latest` means the newest version. */
export async function heldOutData(ctx: Context, ref: string): Promise<DatasetVersion> {
  const normalized = ref.replace(/@latest$/, '');
  let v: DatasetVersion;
  try {
    v = await resolveVersion(ctx.store.db, normalized, { files: true });
  } catch (e) {
    if (e instanceof KeelError) throw new KeelError(e.code, `data: ${e.message}`, { field: 'data' });
    throw e;
  }
  if (!v.schema) throw invalidParam(`data: ${v.ref} has no tabular files to score`, 'data');
  return v;
}

/**
 * The candidate's training data: of the datasets it records (besides the held-out one), the one
 * whose profile covers most of its features; a model may also list evaluation sets.
 */
export async function trainingDataset(
  ctx: Context,
  candidate: ModelVersion,
  heldOutId: string,
): Promise<DatasetVersion | null> {
  const features = new Set((candidate.featureSchema ?? []).map((f) => f.name));
  let best: DatasetVersion | null = null;
  let bestScore = -1;
  for (const d of candidate.datasets) {
    if (d.versionId === heldOutId) continue;
    const v = await versionById(ctx, d.versionId);
    if (!v.profile || !v.schema) continue;
    const score = v.profile.columns.filter((c) => features.has(c.name)).length;
    if (score > bestScore) {
      best = v;
      bestScore = score;
    }
  }
  return best;
}
