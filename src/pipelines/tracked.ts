/**
 * Pipeline runs as tracked (MLflow) runs: one parent run per pipeline run in the experiment
 * `pipeline:<name>`, one child run per step (`mlflow.parentRunId`), tagged so the lineage from a
 * registered model back to the pipeline run and its trigger is one query. A retried step reuses its
 * child run.
 */
import type { Context } from '../context.js';
import type { Keel } from '../sdk/index.js';

export const PIPELINE_TAG = 'keel.pipeline';
export const PIPELINE_RUN_TAG = 'keel.pipeline.run';
export const PIPELINE_STEP_TAG = 'keel.pipeline.step';

export const experimentOf = (pipeline: string) => `pipeline:${pipeline}`;

interface RunRef {
  id: number;
  pipeline: string;
}

/** Creates the run with the given tags, then claims `slot`; a concurrent creator that lost deletes its own. */
async function claimRun(
  keel: Keel,
  pipeline: string,
  runName: string,
  tags: Record<string, string>,
  claim: (runId: string) => Promise<string>,
): Promise<string> {
  const experiment = await keel.ensureExperiment(experimentOf(pipeline));
  const created = await keel.runs.create({
    experimentId: experiment.experimentId,
    runName,
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  });
  const winner = await claim(created.info.runId);
  if (winner !== created.info.runId) await keel.runs.delete(created.info.runId);
  return winner;
}

async function ensureParent(ctx: Context, keel: Keel, run: RunRef): Promise<string> {
  const db = ctx.store.db;
  const row = await db
    .selectFrom('pipeline_runs')
    .select('tracked_run_id')
    .where('id', '=', run.id)
    .executeTakeFirst();
  if (row?.tracked_run_id) return row.tracked_run_id;
  return claimRun(
    keel,
    run.pipeline,
    `${run.pipeline} #${run.id}`,
    { [PIPELINE_TAG]: run.pipeline, [PIPELINE_RUN_TAG]: String(run.id) },
    async (id) => {
      await db
        .updateTable('pipeline_runs')
        .set({ tracked_run_id: id })
        .where('id', '=', run.id)
        .where('tracked_run_id', 'is', null)
        .execute();
      const now = await db
        .selectFrom('pipeline_runs')
        .select('tracked_run_id')
        .where('id', '=', run.id)
        .executeTakeFirstOrThrow();
      return now.tracked_run_id!;
    },
  );
}

/** The step's tracked run for this attempt, marked running. */
export async function ensureStepRun(ctx: Context, keel: Keel, run: RunRef, step: string): Promise<string> {
  const db = ctx.store.db;
  const row = await db
    .selectFrom('pipeline_steps')
    .select('tracked_run_id')
    .where('run_id', '=', run.id)
    .where('step', '=', step)
    .executeTakeFirst();
  if (row?.tracked_run_id) {
    await keel.runs.update(row.tracked_run_id, { status: 'RUNNING' });
    return row.tracked_run_id;
  }
  const parent = await ensureParent(ctx, keel, run);
  return claimRun(
    keel,
    run.pipeline,
    step,
    {
      [PIPELINE_TAG]: run.pipeline,
      [PIPELINE_RUN_TAG]: String(run.id),
      [PIPELINE_STEP_TAG]: step,
      'mlflow.parentRunId': parent,
      'mlflow.source.type': 'PIPELINE',
      'mlflow.source.name': `keel pipeline ${run.pipeline}`,
    },
    async (id) => {
      await db
        .updateTable('pipeline_steps')
        .set({ tracked_run_id: id })
        .where('run_id', '=', run.id)
        .where('step', '=', step)
        .where('tracked_run_id', 'is', null)
        .execute();
      const now = await db
        .selectFrom('pipeline_steps')
        .select('tracked_run_id')
        .where('run_id', '=', run.id)
        .where('step', '=', step)
        .executeTakeFirstOrThrow();
      return now.tracked_run_id!;
    },
  );
}
