/**
 * The automation loop's processes: a job worker running pipeline steps (in `keel server`, in
 * `keel worker`, and in the CLI's local mode while `keel pipeline run` waits) and the trigger
 * scheduler. Steps act through the in-process API as `pipeline:<name>`, so their changes are
 * authorised and audited exactly like a person's.
 */
import type { FastifyInstance } from 'fastify';
import type { Context } from '../context.js';
import { Worker } from '../jobs/index.js';
import { stepHandler } from '../pipelines/runner.js';
import { TriggerScheduler } from '../pipelines/triggers/scheduler.js';
import { STEP_JOB } from '../pipelines/types.js';
import { inProcessKeel } from './inject.js';

export interface WorkerSettings {
  /** Steps running at once in this process (default 2). */
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
}

/** A worker for pipeline steps on this app's context (not started). */
export function pipelineWorker(ctx: Context, app: FastifyInstance, s: WorkerSettings = {}): Worker {
  return new Worker(ctx, {
    handlers: { [STEP_JOB]: stepHandler(ctx, (actor) => inProcessKeel(app, actor)) },
    concurrency: s.concurrency ?? 2,
    ...(s.leaseMs !== undefined ? { leaseMs: s.leaseMs } : {}),
    ...(s.pollMs !== undefined ? { pollMs: s.pollMs } : {}),
  });
}

export function triggerScheduler(ctx: Context, intervalMs?: number): TriggerScheduler {
  return new TriggerScheduler(ctx, intervalMs === undefined ? {} : { intervalMs });
}
