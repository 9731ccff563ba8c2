/** Realised performance of a rollout's canary and primary over the labelled predictions so far. */
import type { Context } from '../context.js';
import { realisedMetrics } from '../monitoring/checks/performance.js';
import { getModelVersion } from '../registry/versions.js';
import { modelIO } from '../serving/model-io.js';
import type { PerformanceInput } from './analysis.js';
import { labelledSince, type Sides } from './log.js';
import type { PerformanceCheck } from './types.js';

/**
 * The check's metric on each side, over the predictions logged since the rollout began (labels
 * arrive late, so a step's own rows would rarely have enough). Null when the model's outputs
 * name no task (a foreign model served as raw tensors).
 */
export async function rolloutPerformance(
  ctx: Context,
  model: string,
  sides: Sides,
  fromRecord: number,
  check: PerformanceCheck,
): Promise<PerformanceInput | null> {
  const io = modelIO(await getModelVersion(ctx, model, sides.candidate));
  if (io.task === null) return null;
  const metric = check.metric ?? (io.task === 'regression' ? 'rmse' : 'accuracy');
  const rows = await labelledSince(ctx.store.db, sides, fromRecord);
  const task = { task: io.task, classes: io.classes };
  const of = (side: 'canary' | 'primary') => {
    const mine = rows.filter((r) => r.side === side);
    let value: number | null = null;
    try {
      const m = realisedMetrics(mine, task);
      const v = m?.[metric];
      value = typeof v === 'number' && Number.isFinite(v) ? v : null;
    } catch {
      // Labels that do not fit the task (a string label for a regressor): nothing to compare.
      value = null;
    }
    return { labelled: mine.length, value };
  };
  return { metric, canary: of('canary'), primary: of('primary') };
}
