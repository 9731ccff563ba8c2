import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { getJob, JOB_STATUSES, listJobs, retryJob } from '../../../jobs/index.js';
import { route } from '../../route.js';
import { int64 } from '../mlflow/wire.js';

const tags = ['jobs'];
const Ms = z.number().int().describe('Epoch milliseconds');
const JobId = z.object({ id: int64 });

const JobSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  status: z.enum(JOB_STATUSES),
  priority: z.number().int(),
  payload: z.unknown(),
  result: z.unknown().describe("The handler's result once succeeded"),
  attempts: z.number().int().describe('Attempts started so far'),
  maxAttempts: z.number().int(),
  backoffMs: z.number().int().describe('Delay before the 2nd attempt, doubling after'),
  backoffMaxMs: z.number().int(),
  timeoutMs: z.number().int().nullable(),
  dedupeKey: z.string().nullable(),
  runAt: Ms.describe('When it is (or was) due'),
  createdAt: Ms,
  startedAt: Ms.nullable().describe('Start of the latest attempt'),
  finishedAt: Ms.nullable(),
  updatedAt: Ms,
  leaseOwner: z.string().nullable().describe('`<worker id>#<claim>` while running'),
  leaseUntil: Ms.nullable(),
  lastError: z.string().nullable(),
  errors: z
    .array(z.object({ attempt: z.number().int(), at: Ms, error: z.string() }))
    .describe('The latest failed attempts, oldest first'),
});

/** The durable job queue under /api/v1/jobs: listing, one job, and retrying a dead one. */
export function registerJobRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/jobs',
    role: 'viewer',
    summary: 'Jobs newest first, optionally of one status and kind',
    tags,
    query: z.object({
      status: z.enum(JOB_STATUSES).optional(),
      kind: z.string().optional(),
      limit: int64.optional().describe('1–1000, default 50'),
    }),
    response: z.object({ jobs: z.array(JobSchema) }),
    handler: async ({ query }) => ({ jobs: await listJobs(ctx, query) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/jobs/:id',
    role: 'viewer',
    summary: 'One job: payload, attempts, errors, lease and timings',
    tags,
    params: JobId,
    response: JobSchema,
    handler: ({ params }) => getJob(ctx, params.id),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/jobs/:id/retry',
    role: 'editor',
    summary: 'Run a dead job again with a fresh round of attempts (or a job waiting to retry, now)',
    tags,
    params: JobId,
    response: JobSchema,
    handler: ({ params, actor }) => retryJob(ctx, params.id, actor),
  });
}
