/**
 * Fixed histogram edges for a model version's window profiles, taken from the stored profile of
 * the dataset it was trained on: windows binned on the reference's edges merge exactly and compare
 * bin for bin with the reference (PSI, JS). Missing versions, datasets or profiles just mean no
 * edges (histograms then derive from each profile's own sketch).
 */
import { checkEdges } from '../../stats/histogram.js';
import type { DatasetProfile } from '../../stats/types.js';
import type { Db } from '../../store/db.js';
import { CONFIDENCE_COLUMN, SCORE_COLUMN, VALUE_COLUMN } from './layout.js';

/** Twenty equal bins over [0, 1], for positive-class scores of every version alike. */
export const SCORE_EDGES: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20);

const validEdges = (e: unknown): e is number[] => {
  try {
    checkEdges(e as number[]);
    return true;
  } catch {
    return false;
  }
};

/** The dataset a model version was trained on: its version id, profile and the model's target. */
export interface TrainingData {
  versionId: string;
  profile: DatasetProfile;
  target: string | undefined;
}

/**
 * The training data of a model version: of the datasets it lists, the one whose profile covers
 * most of the model's features (a model may also list evaluation sets); ties go to the first.
 */
export async function trainingData(db: Db, model: string, version: number): Promise<TrainingData | null> {
  const mv = await db
    .selectFrom('model_versions')
    .select(['datasets', 'signature', 'feature_schema'])
    .where('name', '=', model)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!mv) return null;
  const ids = (JSON.parse(mv.datasets) as { versionId?: string }[])
    .map((d) => d.versionId)
    .filter((id): id is string => typeof id === 'string');
  if (ids.length === 0) return null;
  const features = new Set(
    ((mv.feature_schema ? JSON.parse(mv.feature_schema) : []) as { name: string }[]).map((f) => f.name),
  );
  const target = mv.signature
    ? (JSON.parse(mv.signature) as { metadata?: Record<string, string> }).metadata?.['keel.target']
    : undefined;
  const rows = await db
    .selectFrom('dataset_versions')
    .select(['version_id', 'profile'])
    .where('version_id', 'in', ids)
    .execute();
  let best: TrainingData | null = null;
  let bestScore = -1;
  for (const id of ids) {
    const row = rows.find((r) => r.version_id === id);
    if (!row?.profile) continue;
    const profile = JSON.parse(row.profile) as DatasetProfile;
    const score = profile.columns.filter((c) => features.has(c.name)).length;
    if (score > bestScore) {
      best = { versionId: id, profile, target };
      bestScore = score;
    }
  }
  return best;
}

/** Column name → histogram edges for a model version's windows. */
export async function referenceEdges(
  db: Db,
  model: string,
  version: number,
): Promise<Record<string, number[]>> {
  const edges: Record<string, number[]> = {
    [SCORE_COLUMN]: [...SCORE_EDGES],
    [CONFIDENCE_COLUMN]: [...SCORE_EDGES],
  };
  const training = await trainingData(db, model, version);
  for (const c of training?.profile.columns ?? []) {
    const e = c.histogram?.edges;
    if ((c.type === 'integer' || c.type === 'float' || c.type === 'datetime') && validEdges(e)) {
      edges[c.name === training?.target ? VALUE_COLUMN : c.name] = e;
    }
  }
  return edges;
}
