import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { getMetricHistory } from '../../../tracking/history.js';
import { deleteTag, logBatch, logInputs } from '../../../tracking/logging.js';
import { getRun } from '../../../tracking/run-read.js';
import * as runs from '../../../tracking/runs.js';
import { searchRuns } from '../../../tracking/search-runs.js';
import { route } from '../../route.js';
import { int64, TagSchema, ViewTypeSchema } from '../mlflow/wire.js';
import {
  DatasetInputSchema,
  Empty,
  IdParam,
  MetricInputSchema,
  MetricSchema,
  metricOut,
  RunInfoSchema,
  RunSchema,
  RunStatusSchema,
  runOut,
} from './wire.js';

const tags = ['runs'];

/** Native run routes under /api/v1/runs (artifacts live in artifacts.ts). */
export function registerRuns(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'POST',
    url: '/api/v1/runs',
    role: 'editor',
    summary: 'Create a run (in the default experiment unless experimentId is given)',
    tags,
    body: z.object({
      experimentId: z.string().optional(),
      runName: z.string().optional(),
      startTime: int64.optional(),
      tags: z.array(TagSchema).optional(),
    }),
    response: RunSchema,
    handler: async ({ body, actor }) => {
      const info = await runs.createRun(ctx, body, actor);
      return runOut(await getRun(ctx.store.db, info.runId));
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/runs/search',
    role: 'viewer',
    summary: 'Search runs of some experiments (MLflow filter and order_by syntax)',
    tags,
    body: z.object({
      experimentIds: z.array(z.string()),
      filter: z.string().optional(),
      orderBy: z.array(z.string()).optional(),
      viewType: ViewTypeSchema.optional(),
      maxResults: int64.optional(),
      pageToken: z.string().optional(),
    }),
    response: z.object({ runs: z.array(RunSchema), nextPageToken: z.string().optional() }),
    handler: async ({ body }) => {
      const page = await searchRuns(ctx, { ...body, runViewType: body.viewType });
      return {
        runs: page.items.map(runOut),
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      };
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/runs/:id',
    role: 'viewer',
    summary: 'Get a run with its latest metrics, params, tags and inputs',
    tags,
    params: IdParam,
    response: RunSchema,
    handler: async ({ params }) => runOut(await getRun(ctx.store.db, params.id)),
  });
  route(app, {
    method: 'PATCH',
    url: '/api/v1/runs/:id',
    role: 'editor',
    summary: 'Update the status, end time and/or name of a run',
    tags,
    params: IdParam,
    body: z.object({
      status: RunStatusSchema.optional(),
      endTime: int64.optional(),
      runName: z.string().optional(),
    }),
    response: RunInfoSchema,
    handler: ({ params, body, actor }) => runs.updateRun(ctx, params.id, body, actor),
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/runs/:id',
    role: 'editor',
    summary: 'Soft-delete a run',
    tags,
    params: IdParam,
    response: Empty,
    handler: async ({ params, actor }) => {
      await runs.deleteRun(ctx, params.id, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/runs/:id/restore',
    role: 'editor',
    summary: 'Restore a deleted run',
    tags,
    params: IdParam,
    response: Empty,
    handler: async ({ params, actor }) => {
      await runs.restoreRun(ctx, params.id, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/runs/:id/log-batch',
    role: 'editor',
    summary: 'Log metrics, params and tags atomically (MLflow batch limits apply)',
    tags,
    params: IdParam,
    body: z.object({
      metrics: z.array(MetricInputSchema).optional(),
      params: z.array(TagSchema).optional(),
      tags: z.array(TagSchema).optional(),
    }),
    response: Empty,
    handler: async ({ params, body, actor }) => {
      // One "now" for the whole batch: metrics logged together share a timestamp.
      const now = ctx.clock.now();
      const metrics = body.metrics?.map((m) => ({
        key: m.key,
        value: m.value,
        timestamp: m.timestamp ?? now,
        step: m.step ?? 0,
      }));
      await logBatch(ctx, params.id, { metrics, params: body.params, tags: body.tags }, actor);
      return {};
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/runs/:id/metrics/:key/history',
    role: 'viewer',
    summary: 'Every logged value of one metric, ordered by step and time',
    tags,
    params: IdParam.extend({ key: z.string().min(1) }),
    query: z.object({ maxResults: int64.optional(), pageToken: z.string().optional() }),
    response: z.object({ metrics: z.array(MetricSchema), nextPageToken: z.string().optional() }),
    handler: async ({ params, query }) => {
      const page = await getMetricHistory(ctx, params.id, params.key, query);
      return {
        metrics: page.items.map(metricOut),
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      };
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/runs/:id/tags/:key',
    role: 'editor',
    summary: 'Delete a run tag',
    tags,
    params: IdParam.extend({ key: z.string().min(1) }),
    response: Empty,
    handler: async ({ params, actor }) => {
      await deleteTag(ctx, params.id, params.key, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/runs/:id/inputs',
    role: 'editor',
    summary: 'Record the datasets a run used',
    tags,
    params: IdParam,
    body: z.object({ datasets: z.array(DatasetInputSchema) }),
    response: Empty,
    handler: async ({ params, body, actor }) => {
      await logInputs(
        ctx,
        params.id,
        body.datasets.map((d) => ({ tags: d.tags ?? [], dataset: d.dataset })),
        actor,
      );
      return {};
    },
  });
}
