import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import { newRunId } from '../core/ids.js';
import type { Db } from '../store/db.js';
import { LIMITS, validateKey, validateValueLength } from './limits.js';
import { randomRunName } from './run-names.js';
import { requireRunRow, toRunInfo } from './run-read.js';
import type { RunInfo, RunStatus, Tag } from './types.js';

export const RUN_NAME_TAG = 'mlflow.runName';
export const USER_TAG = 'mlflow.user';

/** Fails unless the experiment exists and is active. */
export async function requireActiveExperiment(
  db: Db,
  experimentId: string,
): Promise<{ artifact_location: string }> {
  const exp = await db
    .selectFrom('experiments')
    .select(['lifecycle_stage', 'artifact_location'])
    .where('experiment_id', '=', experimentId)
    .executeTakeFirst();
  if (!exp) throw notFound(`No Experiment with id=${experimentId} exists`, 'experiment_id');
  if (exp.lifecycle_stage !== 'active') {
    throw invalidParam(
      `The experiment ${experimentId} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`,
      'experiment_id',
    );
  }
  return exp;
}

/** Fails unless the run exists and is active (MLflow refuses to log to deleted runs). */
export async function requireActiveRun(db: Db, runId: string): Promise<void> {
  const run = await requireRunRow(db, runId);
  if (run.lifecycle_stage !== 'active') {
    throw invalidParam(
      `The run ${runId} must be in the 'active' state. Current state is ${run.lifecycle_stage}.`,
      'run_id',
    );
  }
}

/** Creates a run in an active experiment. The run name comes from `runName`, the tag, or is generated. */
export async function createRun(
  ctx: Context,
  input: {
    experimentId?: string | undefined;
    runName?: string | undefined;
    startTime?: number | undefined;
    userId?: string | undefined;
    tags?: Tag[] | undefined;
  },
  actor: Actor,
): Promise<RunInfo> {
  const tags = new Map((input.tags ?? []).map((t) => [t.key, t.value]));
  for (const [key, value] of tags) {
    validateKey(key, 'tag');
    validateValueLength(value, LIMITS.maxTagValueLength, 'Tag', key);
  }
  const tagName = tags.get(RUN_NAME_TAG);
  if (input.runName && tagName !== undefined && tagName !== input.runName) {
    throw invalidParam(
      `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.runName}', mlflow.runName='${tagName}').`,
      'run_name',
    );
  }
  const runName = input.runName || tagName || randomRunName();
  tags.set(RUN_NAME_TAG, runName);
  const userId = input.userId || tags.get(USER_TAG) || (actor === 'local' ? 'unknown' : actor);
  const experimentId = input.experimentId || '0';
  return audited(
    ctx,
    async (trx) => {
      const exp = await requireActiveExperiment(trx, experimentId);
      const runId = newRunId();
      const row = {
        run_id: runId,
        experiment_id: experimentId,
        run_name: runName,
        user_id: userId,
        status: 'RUNNING',
        start_time: input.startTime ?? ctx.clock.now(),
        end_time: null,
        lifecycle_stage: 'active',
        artifact_uri: `${exp.artifact_location.replace(/\/+$/, '')}/${runId}/artifacts`,
        deleted_time: null,
      };
      await trx.insertInto('runs').values(row).execute();
      await trx
        .insertInto('run_tags')
        .values([...tags].map(([key, value]) => ({ run_id: runId, key, value })))
        .execute();
      return {
        result: toRunInfo(row),
        audit: {
          action: 'run.create',
          objectType: 'run',
          objectId: runId,
          after: { experiment_id: experimentId, run_name: runName },
        },
      };
    },
    actor,
  );
}

/** Updates status, end time and/or name of a run. */
export async function updateRun(
  ctx: Context,
  runId: string,
  patch: { status?: RunStatus | undefined; endTime?: number | undefined; runName?: string | undefined },
  actor: Actor,
): Promise<RunInfo> {
  return audited(
    ctx,
    async (trx) => {
      await requireActiveRun(trx, runId);
      const before = await requireRunRow(trx, runId);
      const set: { status?: string; end_time?: number; run_name?: string } = {};
      if (patch.status) set.status = patch.status;
      if (patch.endTime !== undefined) set.end_time = patch.endTime;
      if (patch.runName) set.run_name = patch.runName;
      if (Object.keys(set).length > 0)
        await trx.updateTable('runs').set(set).where('run_id', '=', runId).execute();
      if (patch.runName) {
        await trx
          .insertInto('run_tags')
          .values({ run_id: runId, key: RUN_NAME_TAG, value: patch.runName })
          .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({ value: patch.runName! }))
          .execute();
      }
      const after = await requireRunRow(trx, runId);
      return {
        result: toRunInfo(after),
        audit: {
          action: 'run.update',
          objectType: 'run',
          objectId: runId,
          before: { status: before.status, end_time: before.end_time, run_name: before.run_name },
          after: set,
        },
      };
    },
    actor,
  );
}

async function setRunLifecycle(ctx: Context, runId: string, stage: 'active' | 'deleted', actor: Actor) {
  await audited(
    ctx,
    async (trx) => {
      const row = await requireRunRow(trx, runId);
      if (stage === 'active') {
        // Restoring a run of a deleted experiment would leave it unreachable.
        await requireActiveExperiment(trx, row.experiment_id);
      }
      await trx
        .updateTable('runs')
        .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? ctx.clock.now() : null })
        .where('run_id', '=', runId)
        .execute();
      return {
        result: undefined,
        audit: {
          action: stage === 'deleted' ? 'run.delete' : 'run.restore',
          objectType: 'run',
          objectId: runId,
          before: { lifecycle_stage: row.lifecycle_stage },
          after: { lifecycle_stage: stage },
        },
      };
    },
    actor,
  );
}

/** Soft-deletes a run. */
export const deleteRun = (ctx: Context, runId: string, actor: Actor) =>
  setRunLifecycle(ctx, runId, 'deleted', actor);
/** Restores a soft-deleted run. */
export const restoreRun = (ctx: Context, runId: string, actor: Actor) =>
  setRunLifecycle(ctx, runId, 'active', actor);
