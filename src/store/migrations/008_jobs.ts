import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

/**
 * The durable job queue (src/jobs/): one row per job, holding its lease while a worker runs it.
 * A job is `queued` (waiting, also between retries), `running` (leased), `succeeded` or `dead`
 * (attempts exhausted or a non-retryable error; `retryJob` queues it again).
 */
export async function up(db: Kysely<unknown>, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', adapter.autoIdType, (c) => adapter.autoId(c))
    .addColumn('kind', 'text', (c) => c.notNull())
    // JSON.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    // Due time (epoch ms): enqueue time, a later start, or the end of a retry's backoff.
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    // Attempts started (incremented when claimed).
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('backoff_ms', 'integer', (c) => c.notNull())
    .addColumn('backoff_max_ms', 'integer', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer')
    // Unique for as long as the row exists: enqueueing the key again returns this job.
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    // `<worker id>#<claim number>`: a fresh token per claim, so a worker whose lease was taken over
    // (even by itself, after a stall) cannot complete the newer attempt.
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    // JSON array of the latest failed attempts, {attempt, at, error}.
    .addColumn('errors', 'text', (c) => c.notNull())
    // JSON handler result, null when it returned nothing.
    .addColumn('result', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // The claim scan: queued jobs in priority order, ready ones first among equals.
  await db.schema
    .createIndex('jobs_ready')
    .on('jobs')
    .columns(['status', 'priority desc', 'run_at', 'id'])
    .execute();
  // Listing by status, and finding expired leases among the (few) running jobs.
  await db.schema.createIndex('jobs_status').on('jobs').columns(['status', 'id']).execute();
  await db.schema.createIndex('jobs_kind').on('jobs').columns(['kind', 'id']).execute();
}
