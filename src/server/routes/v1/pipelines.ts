import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { notFound } from '../../../core/errors.js';
import { cancelRun, getRun, listRuns, startRun } from '../../../pipelines/runs.js';
import { applyPipelines, deletePipeline, getPipeline, listPipelines } from '../../../pipelines/store.js';
import { route } from '../../route.js';
import { Empty } from './wire.js';

const tags = ['pipelines'];
const Name = z.object({ name: z.string() });
const Id = z.object({ id: z.coerce.number().int().positive() });
const Sha = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex');
const Param = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Pipelines (definitions from a keel.yaml), their runs, steps and step logs. */
export function registerPipelineRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'PUT',
    url: '/api/v1/pipelines',
    role: 'editor',
    summary:
      'Apply a pipeline file: every pipeline in it is created or updated (the workspace files its steps depend on must be uploaded as blobs first)',
    tags,
    body: z
      .object({
        source: z.string().max(1_000_000),
        file: z.string().default('keel.yaml'),
        workspace: z.record(
          z.string(),
          z.object({ sha256: Sha, size: z.number().int().nonnegative() }).strict(),
        ),
      })
      .strict(),
    handler: async ({ body, actor }) => ({ pipelines: await applyPipelines(ctx, body, actor) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/pipelines',
    role: 'viewer',
    summary: 'List pipelines',
    tags,
    handler: async () => ({ pipelines: await listPipelines(ctx) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/pipelines/:name',
    role: 'viewer',
    summary: 'A pipeline: its steps, params, triggers and source',
    tags,
    params: Name,
    handler: async ({ params }) => getPipeline(ctx, params.name),
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/pipelines/:name',
    role: 'editor',
    summary: 'Delete a pipeline (its past runs are kept)',
    tags,
    params: Name,
    handler: async ({ params, actor }) => {
      await deletePipeline(ctx, params.name, actor);
      return {};
    },
    response: Empty,
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/pipelines/:name/runs',
    role: 'editor',
    summary: 'Start a run with params (each must be declared by the pipeline); force ignores the step cache',
    tags,
    params: Name,
    body: z
      .object({
        params: z.union([z.record(z.string(), Param), z.array(z.string())]).optional(),
        force: z.boolean().optional(),
      })
      .strict(),
    handler: async ({ params, body, actor, reply }) => {
      const { run } = await startRun(
        ctx,
        {
          pipeline: params.name,
          ...(body.params ? { params: body.params } : {}),
          force: body.force ?? false,
        },
        actor,
      );
      reply.code(201);
      return run;
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/pipeline-runs',
    role: 'viewer',
    summary: 'Pipeline runs, newest first',
    tags,
    query: z.object({
      pipeline: z.string().optional(),
      status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).optional(),
      before: z.coerce.number().int().optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    }),
    handler: async ({ query }) => ({ runs: await listRuns(ctx, query) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/pipeline-runs/:id',
    role: 'viewer',
    summary: 'A pipeline run with its steps',
    tags,
    params: Id,
    handler: async ({ params }) => getRun(ctx, params.id),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/pipeline-runs/:id/cancel',
    role: 'editor',
    summary: 'Cancel a queued or running pipeline run',
    tags,
    params: Id,
    handler: async ({ params, actor }) => cancelRun(ctx, params.id, actor),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/pipeline-runs/:id/steps/:step/log',
    role: 'viewer',
    summary: "A step's log (its latest attempt), as text",
    tags,
    params: z.object({ id: z.coerce.number().int().positive(), step: z.string() }),
    handler: async ({ params, reply }) => {
      const run = await getRun(ctx, params.id);
      const step = run.steps.find((s) => s.step === params.step);
      if (!step) throw notFound(`Pipeline run ${params.id} has no step '${params.step}'`, 'step');
      if (!step.logSha256) throw notFound(`Step '${params.step}' of run ${params.id} has no log yet`, 'step');
      reply.type('text/plain; charset=utf-8');
      return reply.send(await ctx.blobs.get(step.logSha256));
    },
  });
}
