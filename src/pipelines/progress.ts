/**
 * A run's state machine, one transaction per transition. Every transition that follows a step's
 * end runs in the same transaction as the step's job completing (the job queue's onComplete /
 * onFail hooks), so a worker killed at any point leaves either the old state — and the job runs
 * again — or the new one: a run advances exactly once.
 */
import { appendAudit } from '../audit/log.js';
import { enqueue } from '../jobs/index.js';
import type { Db } from '../store/db.js';
import type { Manifest } from './cache/index.js';
import { type PipelineSpec, readySteps } from './spec/index.js';
import type { StepOutputs } from './steps/types.js';
import { STEP_JOB, type StepJob } from './types.js';

const ACTIVE = ['pending', 'queued', 'running'];

/**
 * Job attempts allowed beyond the step's own `retries`: a worker lost mid-step (killed, its lease
 * expired) costs an attempt that is not the step's failure. The runner ends a step whose own
 * failures exceed `retries` itself (runner.ts), so these attempts only ever absorb lost workers.
 */
export const LOST_WORKERS = 3;

/** Pending steps whose upstream steps have all succeeded become queued jobs. */
export async function enqueueReady(trx: Db, runId: number, spec: PipelineSpec): Promise<void> {
  const rows = await trx
    .selectFrom('pipeline_steps')
    .select(['step', 'status'])
    .where('run_id', '=', runId)
    .execute();
  const done = new Set(rows.filter((r) => r.status === 'succeeded').map((r) => r.step));
  const pending = new Set(rows.filter((r) => r.status === 'pending').map((r) => r.step));
  for (const name of readySteps(spec, done)) {
    if (!pending.has(name)) continue;
    const step = spec.steps[name]!;
    const payload: StepJob = { runId, step: name };
    const jobId = await enqueue(trx, {
      kind: STEP_JOB,
      payload,
      maxAttempts: step.retries + 1 + LOST_WORKERS,
      ...(step.timeoutMs ? { timeoutMs: step.timeoutMs } : {}),
      dedupeKey: `${STEP_JOB}:${runId}:${name}`,
    });
    await trx
      .updateTable('pipeline_steps')
      .set({ status: 'queued', job_id: jobId })
      .where('run_id', '=', runId)
      .where('step', '=', name)
      .where('status', '=', 'pending')
      .execute();
  }
}

/** Starts queued runs of a pipeline while it is under its concurrency limit (oldest first). */
export async function startQueuedRuns(trx: Db, pipeline: string, now: number): Promise<void> {
  for (;;) {
    const running = await trx
      .selectFrom('pipeline_runs')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('pipeline', '=', pipeline)
      .where('status', '=', 'running')
      .executeTakeFirstOrThrow();
    const next = await trx
      .selectFrom('pipeline_runs')
      .select(['id', 'spec'])
      .where('pipeline', '=', pipeline)
      .where('status', '=', 'queued')
      .orderBy('id')
      .executeTakeFirst();
    if (!next) return;
    const spec = JSON.parse(next.spec) as PipelineSpec;
    if (Number(running.n) >= spec.concurrency) return;
    await trx
      .updateTable('pipeline_runs')
      .set({ status: 'running', started_at: now })
      .where('id', '=', next.id)
      .execute();
    await enqueueReady(trx, Number(next.id), spec);
    await finishIfDone(trx, Number(next.id), now);
  }
}

/** Ends a running run once none of its steps can still run; frees its concurrency slot. */
export async function finishIfDone(trx: Db, runId: number, now: number): Promise<boolean> {
  const rows = await trx
    .selectFrom('pipeline_steps')
    .select(['step', 'status', 'error'])
    .where('run_id', '=', runId)
    .execute();
  if (rows.some((r) => ACTIVE.includes(r.status))) return false;
  const failed = rows.find((r) => r.status === 'failed');
  const run = await trx
    .updateTable('pipeline_runs')
    .set({
      status: failed ? 'failed' : 'succeeded',
      finished_at: now,
      error: failed ? `step ${failed.step} failed: ${failed.error ?? 'unknown error'}` : null,
    })
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .returning(['pipeline', 'tracked_run_id'])
    .executeTakeFirst();
  if (!run) return true;
  const status = failed ? 'failed' : 'succeeded';
  await endTrackedRun(trx, run.tracked_run_id, failed ? 'FAILED' : 'FINISHED', now);
  await appendAudit(
    trx,
    {
      actor: `pipeline:${run.pipeline}`,
      action: 'pipeline.run.finish',
      objectType: 'pipeline_run',
      objectId: String(runId),
      after: {
        status,
        steps: Object.fromEntries(rows.map((r) => [r.step, r.status])),
        ...(failed ? { error: `step ${failed.step} failed` } : {}),
      },
    },
    now,
  );
  await startQueuedRuns(trx, run.pipeline, now);
  return true;
}

/** Ends a tracked run in the transaction that ends what it records. */
async function endTrackedRun(
  trx: Db,
  runId: string | null,
  status: 'FINISHED' | 'FAILED',
  now: number,
): Promise<void> {
  if (!runId) return;
  await trx
    .updateTable('runs')
    .set({ status, end_time: now })
    .where('run_id', '=', runId)
    .where('status', '=', 'RUNNING')
    .execute();
}

export interface StepSuccess {
  outputs: StepOutputs;
  files: Manifest;
  metrics: Record<string, number>;
  cacheKey: string | null;
  cached: boolean;
  logSha256: string | null;
  trackedRunId: string | null;
}

/** A step's attempt succeeded: record it, remember it in the cache, queue what it unblocked. */
export async function stepSucceeded(
  trx: Db,
  run: { id: number; pipeline: string; spec: PipelineSpec },
  step: string,
  r: StepSuccess,
  now: number,
): Promise<void> {
  const updated = await trx
    .updateTable('pipeline_steps')
    .set({
      status: 'succeeded',
      outputs: JSON.stringify(r.outputs),
      files: JSON.stringify(r.files),
      metrics: JSON.stringify(r.metrics),
      cache_key: r.cacheKey,
      cached: r.cached ? 1 : 0,
      log_sha256: r.logSha256,
      tracked_run_id: r.trackedRunId,
      error: null,
      finished_at: now,
    })
    .where('run_id', '=', run.id)
    .where('step', '=', step)
    .where('status', '=', 'running')
    .executeTakeFirst();
  // Cancelled meanwhile: the result is dropped.
  if (Number(updated.numUpdatedRows) === 0) return;
  if (r.cacheKey && !r.cached) {
    await trx
      .insertInto('pipeline_step_cache')
      .values({
        key: r.cacheKey,
        pipeline: run.pipeline,
        step,
        outputs: JSON.stringify(r.outputs),
        files: JSON.stringify(r.files),
        metrics: JSON.stringify(r.metrics),
        run_id: run.id,
        created_at: now,
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }
  await enqueueReady(trx, run.id, run.spec);
  await finishIfDone(trx, run.id, now);
}

/**
 * A step's attempt failed. Not final: it waits for its retry. Final: the step fails, every step
 * not yet started is skipped (nothing downstream runs or gets registered), and the run fails once
 * the steps still running end.
 */
export async function stepFailed(
  trx: Db,
  runId: number,
  step: string,
  failure: { error: string; logSha256: string | null; final: boolean },
  now: number,
): Promise<void> {
  const updated = await trx
    .updateTable('pipeline_steps')
    .set({
      status: failure.final ? 'failed' : 'queued',
      error: failure.error,
      log_sha256: failure.logSha256,
      ...(failure.final ? { finished_at: now } : {}),
    })
    .where('run_id', '=', runId)
    .where('step', '=', step)
    .where('status', 'in', ['running', 'queued'])
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0 || !failure.final) return;
  const own = await trx
    .selectFrom('pipeline_steps')
    .select('tracked_run_id')
    .where('run_id', '=', runId)
    .where('step', '=', step)
    .executeTakeFirst();
  await endTrackedRun(trx, own?.tracked_run_id ?? null, 'FAILED', now);
  await trx
    .updateTable('pipeline_steps')
    .set({ status: 'skipped', finished_at: now })
    .where('run_id', '=', runId)
    .where('status', 'in', ['pending', 'queued'])
    .execute();
  await finishIfDone(trx, runId, now);
}
