import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import * as exps from '../../../tracking/experiments.js';
import { route } from '../../route.js';
import { experimentToWire, int64, list, TagSchema, ViewTypeSchema } from './wire.js';

/** Both paths MLflow serves an RPC on: the public API and the UI's ajax alias. */
export const mlflowPaths = (p: string): string[] => [`/api/2.0/mlflow${p}`, `/ajax-api/2.0/mlflow${p}`];

const Id = z.object({ experiment_id: z.string().min(1) });
const tags = ['mlflow: experiments'];

/** MLflow experiment RPCs. */
export function registerExperimentRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'POST',
    url: mlflowPaths('/experiments/create'),
    role: 'editor',
    summary: 'Create an experiment',
    tags,
    body: z.object({
      name: z.string().min(1),
      artifact_location: z.string().optional(),
      tags: z.array(TagSchema).optional(),
    }),
    handler: async ({ body, actor }) => ({
      experiment_id: await exps.createExperiment(
        ctx,
        { name: body.name, artifactLocation: body.artifact_location, tags: body.tags },
        actor,
      ),
    }),
  });

  const search = {
    role: 'viewer' as const,
    summary: 'Search experiments',
    tags,
    handler: async (q: {
      max_results?: number | undefined;
      page_token?: string | undefined;
      filter?: string | undefined;
      order_by?: string[] | undefined;
      view_type?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL' | undefined;
    }) => {
      const page = await exps.searchExperiments(ctx, {
        filter: q.filter,
        orderBy: q.order_by,
        viewType: q.view_type,
        maxResults: q.max_results,
        pageToken: q.page_token,
      });
      return {
        ...(page.items.length ? { experiments: page.items.map(experimentToWire) } : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      };
    },
  };
  const searchFields = {
    max_results: int64.optional(),
    page_token: z.string().optional(),
    filter: z.string().optional(),
    view_type: ViewTypeSchema.optional(),
  };
  route(app, {
    ...search,
    method: 'POST',
    url: mlflowPaths('/experiments/search'),
    body: z.object({ ...searchFields, order_by: z.array(z.string()).optional() }),
    handler: ({ body }) => search.handler(body),
  });
  route(app, {
    ...search,
    method: 'GET',
    url: mlflowPaths('/experiments/search'),
    hidden: true,
    query: z.object({ ...searchFields, order_by: list(z.string()).optional() }),
    handler: ({ query }) => search.handler(query),
  });

  route(app, {
    method: 'GET',
    url: mlflowPaths('/experiments/get'),
    role: 'viewer',
    summary: 'Get an experiment by id',
    tags,
    query: Id,
    handler: async ({ query }) => ({
      experiment: experimentToWire(await exps.getExperiment(ctx, query.experiment_id)),
    }),
  });
  route(app, {
    method: 'GET',
    url: mlflowPaths('/experiments/get-by-name'),
    role: 'viewer',
    summary: 'Get an experiment by name',
    tags,
    query: z.object({ experiment_name: z.string().min(1) }),
    handler: async ({ query }) => ({
      experiment: experimentToWire(await exps.getExperimentByName(ctx, query.experiment_name)),
    }),
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/experiments/delete'),
    role: 'editor',
    summary: 'Soft-delete an experiment and its runs',
    tags,
    body: Id,
    handler: async ({ body, actor }) => {
      await exps.deleteExperiment(ctx, body.experiment_id, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/experiments/restore'),
    role: 'editor',
    summary: 'Restore a deleted experiment',
    tags,
    body: Id,
    handler: async ({ body, actor }) => {
      await exps.restoreExperiment(ctx, body.experiment_id, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/experiments/update'),
    role: 'editor',
    summary: 'Rename an experiment',
    tags,
    body: Id.extend({ new_name: z.string().optional() }),
    handler: async ({ body, actor }) => {
      if (body.new_name !== undefined)
        await exps.renameExperiment(ctx, body.experiment_id, body.new_name, actor);
      else await exps.getExperiment(ctx, body.experiment_id);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/experiments/set-experiment-tag'),
    role: 'editor',
    summary: 'Set an experiment tag',
    tags,
    body: Id.extend({ key: z.string(), value: z.string() }),
    handler: async ({ body, actor }) => {
      await exps.setExperimentTag(ctx, body.experiment_id, { key: body.key, value: body.value }, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/experiments/delete-experiment-tag'),
    role: 'editor',
    summary: 'Delete an experiment tag',
    tags,
    body: Id.extend({ key: z.string() }),
    handler: async ({ body, actor }) => {
      await exps.deleteExperimentTag(ctx, body.experiment_id, body.key, actor);
      return {};
    },
  });
}
