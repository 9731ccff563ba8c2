import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import * as exps from '../../../tracking/experiments.js';
import { route } from '../../route.js';
import { int64, list, TagSchema, ViewTypeSchema } from '../mlflow/wire.js';
import { Empty, ExperimentSchema, IdParam } from './wire.js';

const tags = ['experiments'];
const TagParams = IdParam.extend({ key: z.string().min(1) });

/** Native experiment routes under /api/v1/experiments. */
export function registerExperiments(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'POST',
    url: '/api/v1/experiments',
    role: 'editor',
    summary: 'Create an experiment',
    tags,
    body: z.object({ name: z.string().min(1), tags: z.array(TagSchema).optional() }),
    response: ExperimentSchema,
    handler: async ({ body, actor }) => {
      const id = await exps.createExperiment(ctx, { name: body.name, tags: body.tags }, actor);
      return exps.getExperiment(ctx, id);
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/experiments',
    role: 'viewer',
    summary: 'Search experiments (MLflow filter syntax)',
    tags,
    query: z.object({
      filter: z.string().optional(),
      orderBy: list(z.string()).optional(),
      viewType: ViewTypeSchema.optional(),
      maxResults: int64.optional(),
      pageToken: z.string().optional(),
    }),
    response: z.object({ experiments: z.array(ExperimentSchema), nextPageToken: z.string().optional() }),
    handler: async ({ query }) => {
      const page = await exps.searchExperiments(ctx, query);
      return {
        experiments: page.items,
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      };
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/experiments/by-name/:name',
    role: 'viewer',
    summary: 'Get an experiment by name',
    tags,
    params: z.object({ name: z.string().min(1) }),
    response: ExperimentSchema,
    handler: ({ params }) => exps.getExperimentByName(ctx, params.name),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/experiments/:id',
    role: 'viewer',
    summary: 'Get an experiment by id',
    tags,
    params: IdParam,
    response: ExperimentSchema,
    handler: ({ params }) => exps.getExperiment(ctx, params.id),
  });
  route(app, {
    method: 'PATCH',
    url: '/api/v1/experiments/:id',
    role: 'editor',
    summary: 'Rename an experiment',
    tags,
    params: IdParam,
    body: z.object({ name: z.string().min(1) }),
    response: ExperimentSchema,
    handler: async ({ params, body, actor }) => {
      await exps.renameExperiment(ctx, params.id, body.name, actor);
      return exps.getExperiment(ctx, params.id);
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/experiments/:id',
    role: 'editor',
    summary: 'Soft-delete an experiment and its runs',
    tags,
    params: IdParam,
    response: Empty,
    handler: async ({ params, actor }) => {
      await exps.deleteExperiment(ctx, params.id, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/experiments/:id/restore',
    role: 'editor',
    summary: 'Restore a deleted experiment and its runs',
    tags,
    params: IdParam,
    response: Empty,
    handler: async ({ params, actor }) => {
      await exps.restoreExperiment(ctx, params.id, actor);
      return {};
    },
  });
  route(app, {
    method: 'PUT',
    url: '/api/v1/experiments/:id/tags/:key',
    role: 'editor',
    summary: 'Set (or overwrite) an experiment tag',
    tags,
    params: TagParams,
    body: z.object({ value: z.string() }),
    response: Empty,
    handler: async ({ params, body, actor }) => {
      await exps.setExperimentTag(ctx, params.id, { key: params.key, value: body.value }, actor);
      return {};
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/experiments/:id/tags/:key',
    role: 'editor',
    summary: 'Delete an experiment tag',
    tags,
    params: TagParams,
    response: Empty,
    handler: async ({ params, actor }) => {
      await exps.deleteExperimentTag(ctx, params.id, params.key, actor);
      return {};
    },
  });
}
