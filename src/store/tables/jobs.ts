import type { Generated } from 'kysely';

/** The durable job queue (src/jobs/). Owned by migration 008_jobs. */
export interface JobsTable {
  id: Generated<number>;
}

export interface JobTables {
  jobs: JobsTable;
}
