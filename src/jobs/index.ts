/**
 * The durable job queue on the metadata database (SQLite or PostgreSQL): `enqueue` (inside the
 * caller's transaction if it likes), a `Worker` that claims due jobs under a lease, heartbeats,
 * retries with exponential backoff, timeouts and dead-lettering, and listing for the API and CLI.
 */
export { retryDelay } from './backoff.js';
export { type EnqueueOptions, enqueue, enqueueMany } from './enqueue.js';
export { LEASE_EXPIRED } from './lease.js';
export { getJob, type ListJobsOptions, listJobs, retryJob } from './queries.js';
export {
  type ClaimedJob,
  JOB_STATUSES,
  type JobAttemptError,
  type JobHandler,
  type JobHandlers,
  type JobInfo,
  type JobStatus,
  NonRetryableError,
} from './types.js';
export { notifyEnqueued, onEnqueue } from './wake.js';
export { Worker, type WorkerOptions, type WorkerStats } from './worker.js';
