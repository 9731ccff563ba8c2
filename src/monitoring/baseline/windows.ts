/**
 * A baseline from the deployment's own past traffic: the logged window profiles of the range
 * merged (every route that answered clients), with realised metrics and calibration from the
 * labels that arrived for it.
 */
import type { Context } from '../../context.js';
import { invalidParam } from '../../core/errors.js';
import type { ModelIO } from '../../serving/types.js';
import { mergeManyProfiles } from '../../stats/merge.js';
import type { ColumnType } from '../../stats/types.js';
import { realisedMetrics } from '../checks/performance.js';
import { labelledRows, routeProfiles } from '../source.js';
import type { Baseline } from '../types.js';
import { estimatesOf } from './build.js';
import { fitCalibration } from './calibration.js';

const iso = (t: number) => new Date(t).toISOString();

export async function windowBaseline(
  ctx: Context,
  deployment: string,
  ref: { from: number; to: number },
  io: ModelIO,
  features: { name: string; type: ColumnType }[],
  positiveClass: string | number | undefined,
): Promise<Baseline> {
  const routes = (await routeProfiles(ctx.store.db, deployment, ref.from, ref.to)).filter(
    (r) => !r.route.startsWith('shadow:'),
  );
  if (routes.length === 0) {
    throw invalidParam(
      `reference window ${iso(ref.from)} – ${iso(ref.to)} holds no logged predictions of ${deployment}`,
      'reference',
    );
  }
  const profile = mergeManyProfiles(routes.map((r) => r.profile));
  const labelled = await labelledRows(ctx.store.db, deployment, null, ref.from, ref.to);
  const classes = io.classes;
  let calibration: number[] | null = null;
  if (classes && classes.length >= 2 && labelled.length > 0) {
    const scores: number[] = [];
    const hits: number[] = [];
    for (const r of labelled) {
      const p = r.prediction.probabilities;
      if (!p) continue;
      if (classes.length === 2) {
        scores.push(p[String(classes[1])] ?? 0);
        hits.push(Number(String(r.label) === String(classes[1]) || r.label === true));
      } else {
        scores.push(Math.max(...Object.values(p)));
        hits.push(Number(String(r.label) === String(r.prediction.label)));
      }
    }
    calibration = fitCalibration(scores, hits);
  }
  const realised = realisedMetrics(labelled, { task: io.task, classes, positiveClass });
  const estimated = estimatesOf(profile, io, calibration, positiveClass);
  return {
    source: `${deployment} traffic ${iso(ref.from)} – ${iso(ref.to)}`,
    profile,
    features,
    task: io.task,
    classes,
    calibration,
    metrics: { rows: profile.rows, ...(realised ?? {}), ...(estimated ?? {}) },
  };
}
