import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import { jobInfo } from './rows.js';
import { JOB_STATUSES, type JobInfo, type JobStatus } from './types.js';
import { notifyEnqueued } from './wake.js';

export interface ListJobsOptions {
  status?: JobStatus | undefined;
  kind?: string | undefined;
  /** 1–1000, default 50. */
  limit?: number | undefined;
}

/** Jobs newest first, optionally of one status and kind. */
export async function listJobs(ctx: Context, opts: ListJobsOptions = {}): Promise<JobInfo[]> {
  const limit = opts.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalidParam(`limit must be a whole number from 1 to 1000, got ${limit}`, 'limit');
  if (opts.status !== undefined && !JOB_STATUSES.includes(opts.status))
    throw invalidParam(`status must be one of ${JOB_STATUSES.join(', ')}, got '${opts.status}'`, 'status');
  let q = ctx.store.db.selectFrom('jobs').selectAll();
  if (opts.status !== undefined) q = q.where('status', '=', opts.status);
  if (opts.kind !== undefined) q = q.where('kind', '=', opts.kind);
  const rows = await q.orderBy('id', 'desc').limit(limit).execute();
  return rows.map(jobInfo);
}

/** One job by id. */
export async function getJob(ctx: Context, id: number): Promise<JobInfo> {
  const row = await ctx.store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Job ${id} does not exist`, 'id');
  return jobInfo(row);
}

/**
 * Runs a job again now: a dead job gets a fresh round of attempts; a queued job waiting out a
 * retry's backoff becomes due at once. Its error history is kept. Audited.
 */
export async function retryJob(ctx: Context, id: number, actor: Actor): Promise<JobInfo> {
  const now = Date.now();
  await audited(
    ctx,
    async (trx) => {
      const row = await trx.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound(`Job ${id} does not exist`, 'id');
      const waiting = row.status === 'queued' && row.attempts > 0;
      if (row.status !== 'dead' && !waiting)
        throw invalidParam(
          `Job ${id} is ${row.status}${row.status === 'queued' ? ' and has not failed yet' : ''}; only dead jobs, or queued jobs waiting to retry, can be retried`,
          'id',
        );
      await trx
        .updateTable('jobs')
        .set({
          status: 'queued',
          run_at: now,
          ...(row.status === 'dead' ? { attempts: 0, finished_at: null } : {}),
          updated_at: now,
        })
        .where('id', '=', id)
        .where('status', '=', row.status)
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'job.retry',
          objectType: 'job',
          objectId: String(id),
          before: { status: row.status, attempts: row.attempts, lastError: row.last_error },
          after: { status: 'queued', runAt: now },
        },
      };
    },
    actor,
  );
  notifyEnqueued();
  return getJob(ctx, id);
}
