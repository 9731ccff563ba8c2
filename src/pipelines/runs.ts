/**
 * Pipeline runs: started by a person (CLI/API) or a trigger, each with its params resolved once
 * (defaults ← trigger context ← `--param`), a snapshot of the pipeline it runs, and one row per
 * step. A run over its pipeline's concurrency limit waits `queued`.
 */
import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import type { Db } from '../store/db.js';
import { startQueuedRuns } from './progress.js';
import { toPipelineRun } from './rows.js';
import { parseParamArgs } from './spec/index.js';
import type { ParamValue } from './steps/types.js';
import { getPipeline } from './store.js';
import type { PipelineRun, RunStatus, Trigger } from './types.js';

export interface StartRunInput {
  pipeline: string;
  /** `k=v` strings (CLI) or typed values (API); each must name a declared param. */
  params?: string[] | Record<string, ParamValue>;
  trigger?: Trigger;
  /** Run every step, ignoring the step cache. */
  force?: boolean;
}

/** Trigger context reaches the steps as params named `trigger_<key>`. */
const triggerParams = (t: Trigger): Record<string, ParamValue> => ({
  trigger_kind: t.kind,
  ...Object.fromEntries(Object.entries(t.context ?? {}).map(([k, v]) => [`trigger_${k}`, v])),
});

/**
 * Starts a run, or returns the run its trigger key already started (`created: false`): two
 * schedulers firing the same cron tick, or an alert event seen twice, make one run.
 */
export async function startRun(
  ctx: Context,
  input: StartRunInput,
  actor: Actor,
): Promise<{ run: PipelineRun; created: boolean }> {
  const pipeline = await getPipeline(ctx, input.pipeline);
  const spec = pipeline.spec;
  const args = Array.isArray(input.params)
    ? input.params
    : Object.entries(input.params ?? {}).map(([k, v]) => `${k}=${v}`);
  const trigger: Trigger = input.trigger ?? { kind: 'manual' };
  const params: Record<string, ParamValue> = {
    ...Object.fromEntries(Object.entries(spec.params).map(([k, p]) => [k, p.default])),
    ...triggerParams(trigger),
    ...parseParamArgs(args, spec.params),
  };
  const now = ctx.clock.now();
  const existing = async (db: Db) =>
    trigger.key === undefined
      ? undefined
      : db
          .selectFrom('pipeline_runs')
          .select('id')
          .where('pipeline', '=', pipeline.name)
          .where('trigger_key', '=', trigger.key)
          .executeTakeFirst();
  try {
    const id = await audited(
      ctx,
      async (trx) => {
        const found = await existing(trx);
        if (found) return { result: { id: Number(found.id), created: false }, audit: null };
        const inserted = await trx
          .insertInto('pipeline_runs')
          .values({
            pipeline: pipeline.name,
            revision: pipeline.revision,
            spec: JSON.stringify(spec),
            workspace: JSON.stringify(pipeline.workspace),
            params: JSON.stringify(params),
            status: 'queued',
            trigger: trigger.kind,
            trigger_key: trigger.key ?? null,
            trigger_context: JSON.stringify(trigger.context ?? {}),
            force: input.force ? 1 : 0,
            tracked_run_id: null,
            error: null,
            created_at: now,
            started_at: null,
            finished_at: null,
            requested_by: actor,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const runId = Number(inserted.id);
        await trx
          .insertInto('pipeline_steps')
          .values(
            Object.keys(spec.steps).map((step) => ({
              run_id: runId,
              step,
              status: 'pending',
              job_id: null,
              cache_key: null,
              cached: 0,
              outputs: '{}',
              files: '{}',
              metrics: '{}',
              log_sha256: null,
              tracked_run_id: null,
              attempts: 0,
              error: null,
              started_at: null,
              finished_at: null,
            })),
          )
          .execute();
        await startQueuedRuns(trx, pipeline.name, now);
        return {
          result: { id: runId, created: true },
          audit: {
            action: 'pipeline.run',
            objectType: 'pipeline_run',
            objectId: String(runId),
            after: {
              pipeline: pipeline.name,
              revision: pipeline.revision,
              params,
              trigger: trigger.kind,
              ...(trigger.key ? { triggerKey: trigger.key } : {}),
              ...(input.force ? { force: true } : {}),
            },
          },
        };
      },
      actor,
    );
    return { run: await getRun(ctx, id.id), created: id.created };
  } catch (e) {
    // Another scheduler inserted the same trigger key between our check and our insert.
    if (ctx.store.adapter.isUniqueViolation(e)) {
      const found = await existing(ctx.store.db);
      if (found) return { run: await getRun(ctx, Number(found.id)), created: false };
    }
    throw e;
  }
}

export async function getRun(ctx: Context | { store: { db: Db } }, id: number): Promise<PipelineRun> {
  const db = ctx.store.db;
  const row = await db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Pipeline run ${id} does not exist`, 'id');
  const steps = await db.selectFrom('pipeline_steps').selectAll().where('run_id', '=', id).execute();
  const order = Object.keys(JSON.parse(row.spec).steps as Record<string, unknown>);
  steps.sort((a, b) => order.indexOf(a.step) - order.indexOf(b.step));
  return toPipelineRun(row, steps);
}

export interface RunQuery {
  pipeline?: string | undefined;
  status?: RunStatus | undefined;
  /** Runs with id below this (newest first paging). */
  before?: number | undefined;
  limit?: number | undefined;
}

export async function listRuns(ctx: Context, q: RunQuery): Promise<PipelineRun[]> {
  let query = ctx.store.db
    .selectFrom('pipeline_runs')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(Math.min(q.limit ?? 50, 1000));
  if (q.pipeline !== undefined) query = query.where('pipeline', '=', q.pipeline);
  if (q.status !== undefined) query = query.where('status', '=', q.status);
  if (q.before !== undefined) query = query.where('id', '<', q.before);
  const rows = await query.execute();
  if (!rows.length) return [];
  const steps = await ctx.store.db
    .selectFrom('pipeline_steps')
    .selectAll()
    .where(
      'run_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  return rows.map((r) => {
    const order = Object.keys(JSON.parse(r.spec).steps as Record<string, unknown>);
    const own = steps.filter((s) => Number(s.run_id) === Number(r.id));
    own.sort((a, b) => order.indexOf(a.step) - order.indexOf(b.step));
    return toPipelineRun(r, own);
  });
}

/** Cancels a queued or running run: steps not finished are skipped; a running step's result is dropped. */
export async function cancelRun(ctx: Context, id: number, actor: Actor): Promise<PipelineRun> {
  await audited(
    ctx,
    async (trx) => {
      const now = ctx.clock.now();
      const run = await trx.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!run) throw notFound(`Pipeline run ${id} does not exist`, 'id');
      if (run.status !== 'queued' && run.status !== 'running')
        throw invalidParam(`pipeline run ${id} is already ${run.status}`, 'id');
      await trx
        .updateTable('pipeline_steps')
        .set({ status: 'skipped', finished_at: now, error: 'cancelled' })
        .where('run_id', '=', id)
        .where('status', 'in', ['pending', 'queued', 'running'])
        .execute();
      await trx
        .updateTable('pipeline_runs')
        .set({ status: 'cancelled', finished_at: now, error: `cancelled by ${actor}` })
        .where('id', '=', id)
        .execute();
      await startQueuedRuns(trx, run.pipeline, now);
      return {
        result: undefined,
        audit: {
          action: 'pipeline.run.cancel',
          objectType: 'pipeline_run',
          objectId: String(id),
          before: { status: run.status },
        },
      };
    },
    actor,
  );
  return getRun(ctx, id);
}
