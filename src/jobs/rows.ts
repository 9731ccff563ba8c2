import type { Selectable } from 'kysely';
import type { JobsTable } from '../store/tables/jobs.js';
import type { JobAttemptError, JobInfo, JobStatus } from './types.js';

export type JobRow = Selectable<JobsTable>;

/** How many failed attempts a job keeps (with their errors). */
const KEEP_ERRORS = 10;
/** Longest error text kept per attempt. */
const MAX_ERROR = 4000;

const parseJson = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

/** A row as the API and CLI show it. */
export function jobInfo(r: JobRow): JobInfo {
  return {
    id: Number(r.id),
    kind: r.kind,
    status: r.status as JobStatus,
    priority: r.priority,
    payload: parseJson(r.payload),
    result: parseJson(r.result),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    backoffMs: r.backoff_ms,
    backoffMaxMs: r.backoff_max_ms,
    timeoutMs: r.timeout_ms,
    dedupeKey: r.dedupe_key,
    runAt: Number(r.run_at),
    createdAt: Number(r.created_at),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    updatedAt: Number(r.updated_at),
    leaseOwner: r.lease_owner,
    leaseUntil: r.status === 'running' ? Number(r.lease_until) : null,
    lastError: r.last_error,
    errors: JSON.parse(r.errors) as JobAttemptError[],
  };
}

/** An error as one line of text: the message, with the cause's when there is one. */
export function errorText(e: unknown): string {
  const err = e as { message?: unknown; cause?: { message?: unknown } };
  let s = typeof err?.message === 'string' && err.message ? err.message : String(e);
  if (typeof err?.cause?.message === 'string') s += `: ${err.cause.message}`;
  return s.length > MAX_ERROR ? `${s.slice(0, MAX_ERROR - 1)}…` : s;
}

/** The job's `errors` column with one more failed attempt, keeping the latest few. */
export function appendError(errors: string, entry: JobAttemptError): string {
  const list = JSON.parse(errors) as JobAttemptError[];
  list.push(entry);
  return JSON.stringify(list.slice(-KEEP_ERRORS));
}
