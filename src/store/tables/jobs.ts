import type { Generated } from 'kysely';

/** The durable job queue (src/jobs/). Owned by migration 008_jobs. Times are epoch milliseconds. */
export interface JobsTable {
  id: Generated<number>;
  kind: string;
  /** JSON. */
  payload: string;
  /** queued | running | succeeded | dead */
  status: string;
  priority: number;
  run_at: number;
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
  backoff_max_ms: number;
  timeout_ms: number | null;
  dedupe_key: string | null;
  /** `<worker id>#<claim number>` while running. */
  lease_owner: string | null;
  lease_until: number;
  last_error: string | null;
  /** JSON array of {attempt, at, error}, the latest failed attempts. */
  errors: string;
  /** JSON, null when the handler returned nothing. */
  result: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export interface JobTables {
  jobs: JobsTable;
}
