/**
 * Dataset triggers: every new version of the named dataset (created after the trigger's cursor)
 * starts one run keyed by the version, with `trigger_dataset`, `trigger_version` and `trigger_ref`.
 */
import type { Context } from '../../context.js';
import type { DatasetTrigger } from '../spec/index.js';
import type { Trigger } from '../types.js';

export async function datasetTriggers(
  ctx: Context,
  t: DatasetTrigger,
  after: number,
): Promise<{ triggers: Trigger[]; cursor: number }> {
  const rows = await ctx.store.db
    .selectFrom('dataset_versions')
    .select(['name', 'version', 'created_at'])
    .where('name', '=', t.dataset)
    .where('created_at', '>', after)
    .orderBy('created_at')
    .orderBy('version')
    .limit(100)
    .execute();
  return {
    triggers: rows.map((r) => ({
      kind: 'dataset' as const,
      key: `dataset:${r.name}@${r.version}`,
      context: { dataset: r.name, version: Number(r.version), ref: `${r.name}@${r.version}` },
    })),
    cursor: rows.length ? Number(rows[rows.length - 1]!.created_at) : after,
  };
}
