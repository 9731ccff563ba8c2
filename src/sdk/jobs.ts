import type { JobInfo, JobStatus } from '../jobs/types.js';
import type { Api } from './api.js';

export type { JobAttemptError, JobInfo, JobStatus } from '../jobs/types.js';

/** `keel.jobs`: the durable job queue — what is queued, running, succeeded or dead, and why. */
export class Jobs {
  constructor(private readonly api: Api) {}

  /** Jobs newest first, optionally of one status and kind (limit 1–1000, default 50). */
  async list(
    opts: { status?: JobStatus | undefined; kind?: string | undefined; limit?: number | undefined } = {},
  ): Promise<JobInfo[]> {
    return (
      await this.api.json<{ jobs: JobInfo[] }>({
        method: 'GET',
        path: '/api/v1/jobs',
        query: { status: opts.status, kind: opts.kind, limit: opts.limit },
      })
    ).jobs;
  }

  /** One job with its payload, attempts, errors, lease and timings. */
  get(id: number): Promise<JobInfo> {
    return this.api.json({ method: 'GET', path: `/api/v1/jobs/${id}` });
  }

  /** Runs a dead job again with a fresh round of attempts (or a job waiting to retry, now). */
  retry(id: number): Promise<JobInfo> {
    return this.api.json({ method: 'POST', path: `/api/v1/jobs/${id}/retry`, json: {} });
  }
}
