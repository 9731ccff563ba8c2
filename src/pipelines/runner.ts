/**
 * Executes one step of a run (job kind `pipeline.step`) in a worker: resolves its inputs from the
 * run's params and upstream steps, answers from the step cache when its key is known, otherwise
 * runs the built-in or the command, recording it as a tracked run (child of the pipeline run's)
 * with its log. The run advances in the job's completion transaction (progress.ts).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../context.js';
import { getJob, type JobHandler, LEASE_EXPIRED, NonRetryableError } from '../jobs/index.js';
import type { Keel } from '../sdk/index.js';
import type { Db } from '../store/db.js';
import { type Manifest, materialise, stepCacheKey, stepDefinition, stepInputs } from './cache/index.js';
import { type StepSuccess, stepFailed, stepSucceeded } from './progress.js';
import type { PipelineSpec } from './spec/index.js';
import { runCommand } from './steps/command.js';
import { StepLog } from './steps/log.js';
import { BUILTINS } from './steps/registry.js';
import type { ParamValue, StepOutputs } from './steps/types.js';
import { ensureStepRun } from './tracked.js';
import type { StepJob } from './types.js';

/** What an attempt hands the completion hook; `skip` = nothing to record (run cancelled, step already ended). */
export type StepAttempt = (StepSuccess & { skip?: false }) | { skip: true };

/** A failed attempt keeps its log. */
class StepError extends Error {
  constructor(
    message: string,
    readonly logSha256: string | null,
  ) {
    super(message);
  }
}

/** The step's own retries are used up: the job must not be tried again (see LOST_WORKERS). */
class FinalStepError extends NonRetryableError {
  constructor(
    message: string,
    readonly logSha256: string | null,
  ) {
    super(message);
  }
}

/** Attempts the step itself failed (a lost worker's attempt is not the step's failure). */
async function ownFailures(ctx: Context, jobId: number): Promise<number> {
  const job = await getJob(ctx, jobId);
  return job.errors.filter((e) => e.error !== LEASE_EXPIRED).length;
}

interface LoadedRun {
  id: number;
  pipeline: string;
  spec: PipelineSpec;
  workspace: Manifest;
  params: Record<string, ParamValue>;
  force: boolean;
  status: string;
}

async function loadRun(db: Db, id: number): Promise<LoadedRun | undefined> {
  const r = await db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) return undefined;
  return {
    id: Number(r.id),
    pipeline: r.pipeline,
    spec: JSON.parse(r.spec),
    workspace: JSON.parse(r.workspace),
    params: JSON.parse(r.params),
    force: Boolean(r.force),
    status: r.status,
  };
}

/** The `pipeline.step` job handler; `keelFor(actor)` gives an in-process API client acting as `actor`. */
export function stepHandler(
  ctx: Context,
  keelFor: (actor: string) => Keel,
): JobHandler<StepJob, StepAttempt> {
  return {
    async run(job) {
      const { runId, step } = job.payload;
      const run = await loadRun(ctx.store.db, runId);
      if (run?.status !== 'running') return { skip: true };
      const now = ctx.clock.now();
      const claimed = await ctx.store.db
        .updateTable('pipeline_steps')
        .set((e) => ({ status: 'running', attempts: e('attempts', '+', 1), started_at: now }))
        .where('run_id', '=', runId)
        .where('step', '=', step)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) return { skip: true };
      const log = new StepLog(() => ctx.clock.now());
      try {
        return await attempt(ctx, keelFor(`pipeline:${run.pipeline}`), run, step, log, job.signal);
      } catch (e) {
        log.line(`error: ${(e as Error).message}`);
        const sha = await log.store(ctx.blobs).catch(() => null);
        const retries = run.spec.steps[step]?.retries ?? 0;
        if ((await ownFailures(ctx, job.id)) >= retries) throw new FinalStepError((e as Error).message, sha);
        throw new StepError((e as Error).message, sha);
      }
    },
    async onComplete(trx, job, result) {
      if (result.skip) return;
      const run = await loadRun(trx, job.payload.runId);
      if (!run) return;
      await stepSucceeded(trx, run, job.payload.step, result, ctx.clock.now());
    },
    async onFail(trx, job, error, { final }) {
      await stepFailed(
        trx,
        job.payload.runId,
        job.payload.step,
        {
          error: error.message,
          logSha256: error instanceof StepError || error instanceof FinalStepError ? error.logSha256 : null,
          final,
        },
        ctx.clock.now(),
      );
    },
  };
}

async function upstream(
  db: Db,
  runId: number,
): Promise<{ outputs: Record<string, StepOutputs>; files: Record<string, Manifest> }> {
  const rows = await db
    .selectFrom('pipeline_steps')
    .select(['step', 'outputs', 'files'])
    .where('run_id', '=', runId)
    .where('status', '=', 'succeeded')
    .execute();
  const outputs: Record<string, StepOutputs> = {};
  const files: Record<string, Manifest> = {};
  for (const r of rows) {
    outputs[r.step] = JSON.parse(r.outputs);
    files[r.step] = JSON.parse(r.files);
  }
  return { outputs, files };
}

async function attempt(
  ctx: Context,
  keel: Keel,
  run: LoadedRun,
  name: string,
  log: StepLog,
  signal: AbortSignal,
): Promise<StepAttempt> {
  const step = run.spec.steps[name]!;
  const up = await upstream(ctx.store.db, run.id);
  const scope = { params: run.params, steps: up.outputs, trigger: triggerOf(run.params) };
  const declared = Object.fromEntries(step.params.map((p) => [p, run.params[p] ?? null]));
  const inputs = stepInputs(run.spec, name, run.workspace, up.files);
  const definition = stepDefinition(step, scope);
  const builtin = 'uses' in definition ? BUILTINS.get(definition.uses) : undefined;
  const withArgs = builtin && 'uses' in definition ? builtin.parse(definition.with, { resolved: true }) : {};
  const cmd = 'cmd' in definition ? definition.cmd : [];
  const trackedRunId = await ensureStepRun(ctx, keel, run, name);
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-step-'));
  try {
    if (builtin) await materialise(ctx.blobs, inputs, workDir);
    return await execute();
  } finally {
    await fs.rm(workDir, { recursive: true, force: true });
  }

  async function execute(): Promise<StepAttempt> {
    const base = {
      ctx,
      keel,
      pipeline: run.pipeline,
      runId: run.id,
      step: name,
      with: withArgs,
      params: run.params,
      trackedRunId,
      workDir,
      log: (l: string) => log.line(l),
      signal,
    };
    const fingerprint = builtin?.fingerprint ? await builtin.fingerprint(base) : '';
    const key =
      step.cache && fingerprint !== false
        ? stepCacheKey({
            pipeline: run.pipeline,
            step: name,
            definition,
            params: declared,
            inputs,
            upstream: Object.fromEntries(
              Object.entries(up.outputs).filter(([s]) => dependsOn(run.spec, name, s)),
            ),
            ...(fingerprint ? { fingerprint } : {}),
          })
        : null;
    if (key && !run.force) {
      const hit = await ctx.store.db
        .selectFrom('pipeline_step_cache')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirst();
      if (hit) {
        log.line(`cache hit: outputs of run ${hit.run_id} reused (key ${key.slice(0, 12)})`);
        await keel.runs.update(trackedRunId, { status: 'FINISHED', endTime: ctx.clock.now() });
        return {
          outputs: JSON.parse(hit.outputs),
          files: JSON.parse(hit.files),
          metrics: JSON.parse(hit.metrics),
          cacheKey: key,
          cached: true,
          logSha256: await log.store(ctx.blobs),
          trackedRunId,
        };
      }
    }
    log.line(builtin ? `running built-in ${builtin.name}` : `running ${cmd.length} command(s)`);
    let result: { outputs: StepOutputs; files: Manifest; metrics: Record<string, number> };
    if (builtin) {
      const r = await builtin.run(base);
      result = { outputs: r.outputs, files: {}, metrics: r.metrics ?? {} };
    } else {
      const r = await runCommand({
        blobs: ctx.blobs,
        cmd,
        inputs,
        outs: step.outs,
        metrics: step.metrics,
        params: declared,
        env: 'env' in definition ? (definition.env ?? {}) : {},
        keelEnv: { KEEL_PIPELINE: run.pipeline, KEEL_PIPELINE_RUN: String(run.id), KEEL_STEP: name },
        log,
        signal,
      });
      result = { outputs: {}, files: r.files, metrics: r.metrics };
    }
    // A built-in may have logged its figures on the step's run itself (train does, per iteration):
    // only what is not there yet is added, so the history holds each figure once.
    const logged = builtin
      ? new Set((await keel.runs.get(trackedRunId)).data.metrics.map((m) => m.key))
      : new Set();
    const fresh = Object.fromEntries(Object.entries(result.metrics).filter(([k]) => !logged.has(k)));
    if (Object.keys(fresh).length)
      await keel.runs.logBatch(trackedRunId, { metrics: metricsBatch(fresh, ctx.clock.now()) });
    await keel.runs.update(trackedRunId, { status: 'FINISHED', endTime: ctx.clock.now() });
    log.line('done');
    return { ...result, cacheKey: key, cached: false, logSha256: await log.store(ctx.blobs), trackedRunId };
  }
}

/** The trigger's context, as the run's `trigger_*` params carry it (`${trigger.x}` in a step). */
const triggerOf = (params: Record<string, ParamValue>): Record<string, ParamValue> =>
  Object.fromEntries(
    Object.entries(params)
      .filter(([k]) => k.startsWith('trigger_'))
      .map(([k, v]) => [k.slice('trigger_'.length), v]),
  );

const metricsBatch = (m: Record<string, number>, timestamp: number) =>
  Object.entries(m).map(([key, value]) => ({ key, value, timestamp, step: 0 }));

/** Whether `step` depends (directly or not) on `other`: only those outputs are part of its key. */
function dependsOn(spec: PipelineSpec, step: string, other: string): boolean {
  const seen = new Set<string>();
  const stack = [step];
  while (stack.length) {
    const s = stack.pop()!;
    for (const u of spec.upstream[s] ?? []) {
      if (u === other) return true;
      if (!seen.has(u)) {
        seen.add(u);
        stack.push(u);
      }
    }
  }
  return false;
}
