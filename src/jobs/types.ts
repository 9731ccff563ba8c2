import type { Db } from '../store/db.js';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'dead'] as const;
/**
 * `queued`: waiting for its run time (also between retries); `running`: leased by a worker;
 * `succeeded`; `dead`: attempts exhausted or a non-retryable error (dead-lettered, `retryJob` revives it).
 */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** One failed attempt, as kept with the job (the latest few). */
export interface JobAttemptError {
  attempt: number;
  at: number;
  error: string;
}

/** A job as the API and CLI show it. Times are epoch milliseconds. */
export interface JobInfo {
  id: number;
  kind: string;
  status: JobStatus;
  priority: number;
  payload: unknown;
  /** The handler's result once succeeded (null when it returned nothing). */
  result: unknown;
  /** Attempts started so far. */
  attempts: number;
  maxAttempts: number;
  backoffMs: number;
  backoffMaxMs: number;
  timeoutMs: number | null;
  dedupeKey: string | null;
  /** When it is (or was) due. */
  runAt: number;
  createdAt: number;
  /** Start of the latest attempt. */
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  /** The lease holder (`<worker id>#<claim>`) while running. */
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  /** The latest failed attempts, oldest first. */
  errors: JobAttemptError[];
}

/** What a handler receives for one attempt. */
export interface ClaimedJob<P = unknown> {
  id: number;
  kind: string;
  payload: P;
  /** This attempt's number, from 1. */
  attempt: number;
  maxAttempts: number;
  priority: number;
  dedupeKey: string | null;
  timeoutMs: number | null;
  createdAt: number;
  /** Aborts on timeout, lost lease or worker shutdown (also passed to `run` as its second argument). */
  signal: AbortSignal;
}

/**
 * How one kind of job runs. `run` may run more than once for a job (a retry, or a worker lost
 * mid-run), so its effects must be idempotent; effects that must happen exactly once belong in
 * `onComplete`, which commits in the same transaction as the job's status change and only for the
 * worker still holding the lease.
 */
export interface JobHandler<P = unknown, R = unknown> {
  /**
   * Validates the stored payload before each attempt; a throw sends the job straight to `dead`
   * (a payload that does not parse now never will).
   */
  parse?(payload: unknown): P;
  /** Does the work. `signal` aborts on timeout, lost lease or shutdown: stop and throw. */
  run(job: ClaimedJob<P>, signal: AbortSignal): Promise<R>;
  /** Runs inside the transaction that marks the job succeeded; a throw fails the attempt instead. */
  onComplete?(trx: Db, job: ClaimedJob<P>, result: R): Promise<void>;
  /** Runs inside the transaction that records a failed attempt; `final` when the job goes to `dead`. */
  onFail?(trx: Db, job: ClaimedJob<P>, error: Error, info: { final: boolean }): Promise<void>;
}

/** Handlers by job kind. */
export type JobHandlers = Record<string, JobHandler>;

/** A failure that retrying cannot fix (bad input): the job goes to `dead` without further attempts. */
export class NonRetryableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}
