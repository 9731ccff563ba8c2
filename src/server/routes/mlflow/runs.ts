import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { invalidParam } from '../../../core/errors.js';
import { listArtifacts, runArtifactRoot, safeArtifactPath } from '../../../tracking/artifacts.js';
import { getMetricHistory } from '../../../tracking/history.js';
import { deleteTag, logBatch, logInputs, logModel } from '../../../tracking/logging.js';
import { getRun } from '../../../tracking/run-read.js';
import * as runs from '../../../tracking/runs.js';
import { searchRuns } from '../../../tracking/search-runs.js';
import { RUN_STATUSES } from '../../../tracking/types.js';
import { route } from '../../route.js';
import { mlflowPaths } from './experiments.js';
import {
  double,
  fileToWire,
  int64,
  metricToWire,
  runInfoToWire,
  runToWire,
  TagSchema,
  ViewTypeSchema,
} from './wire.js';

const tags = ['mlflow: runs'];

// `run_uuid` is MLflow's deprecated alias of `run_id`; old clients still send it.
const RunRef = { run_id: z.string().optional(), run_uuid: z.string().optional() };
const runIdOf = (r: { run_id?: string | undefined; run_uuid?: string | undefined }): string => {
  const id = r.run_id || r.run_uuid;
  if (!id) throw invalidParam("Missing value for required parameter 'run_id'", 'run_id');
  return id;
};

const MetricSchema = z.object({ key: z.string(), value: double, timestamp: int64, step: int64.optional() });
const toMetric = (m: z.infer<typeof MetricSchema>) => ({
  key: m.key,
  value: m.value,
  timestamp: m.timestamp,
  step: m.step ?? 0,
});
const KeyValue = z.object({ key: z.string(), value: z.string() });

/** MLflow run RPCs: lifecycle, logging, search, history and artifact listing. */
export function registerRunRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/create'),
    role: 'editor',
    summary: 'Create a run',
    tags,
    body: z.object({
      experiment_id: z.string().optional(),
      user_id: z.string().optional(),
      run_name: z.string().optional(),
      start_time: int64.optional(),
      tags: z.array(TagSchema).optional(),
    }),
    handler: async ({ body, actor }) => {
      const info = await runs.createRun(
        ctx,
        {
          experimentId: body.experiment_id,
          userId: body.user_id,
          runName: body.run_name,
          startTime: body.start_time,
          tags: body.tags,
        },
        actor,
      );
      return { run: runToWire(await getRun(ctx.store.db, info.runId)) };
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/update'),
    role: 'editor',
    summary: 'Update a run',
    tags,
    body: z.object({
      ...RunRef,
      status: z.enum(RUN_STATUSES as [string, ...string[]]).optional(),
      end_time: int64.optional(),
      run_name: z.string().optional(),
    }),
    handler: async ({ body, actor }) => {
      const info = await runs.updateRun(
        ctx,
        runIdOf(body),
        {
          status: body.status as (typeof RUN_STATUSES)[number] | undefined,
          endTime: body.end_time,
          runName: body.run_name,
        },
        actor,
      );
      return { run_info: runInfoToWire(info) };
    },
  });
  for (const [path, fn, summary] of [
    ['/runs/delete', runs.deleteRun, 'Soft-delete a run'],
    ['/runs/restore', runs.restoreRun, 'Restore a deleted run'],
  ] as const) {
    route(app, {
      method: 'POST',
      url: mlflowPaths(path),
      role: 'editor',
      summary,
      tags,
      body: z.object({ run_id: z.string().min(1) }),
      handler: async ({ body, actor }) => {
        await fn(ctx, body.run_id, actor);
        return {};
      },
    });
  }
  route(app, {
    method: 'GET',
    url: mlflowPaths('/runs/get'),
    role: 'viewer',
    summary: 'Get a run with its latest metrics, params, tags and inputs',
    tags,
    query: z.object(RunRef),
    handler: async ({ query }) => ({ run: runToWire(await getRun(ctx.store.db, runIdOf(query))) }),
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/search'),
    role: 'viewer',
    summary: 'Search runs with MLflow filter syntax',
    tags,
    body: z.object({
      experiment_ids: z.array(z.string()).optional(),
      filter: z.string().optional(),
      run_view_type: ViewTypeSchema.optional(),
      max_results: int64.optional(),
      order_by: z.array(z.string()).optional(),
      page_token: z.string().optional(),
    }),
    handler: async ({ body }) => {
      const page = await searchRuns(ctx, {
        experimentIds: body.experiment_ids ?? [],
        filter: body.filter,
        runViewType: body.run_view_type,
        maxResults: body.max_results,
        orderBy: body.order_by,
        pageToken: body.page_token,
      });
      return {
        ...(page.items.length ? { runs: page.items.map(runToWire) } : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      };
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/log-metric'),
    role: 'editor',
    summary: 'Log one metric value',
    tags,
    body: z.object({ ...RunRef, key: z.string(), value: double, timestamp: int64, step: int64.optional() }),
    handler: async ({ body, actor }) => {
      await logBatch(ctx, runIdOf(body), { metrics: [toMetric(body)] }, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/log-parameter'),
    role: 'editor',
    summary: 'Log one param (immutable once set)',
    tags,
    body: z.object({ ...RunRef, key: z.string(), value: z.string() }),
    handler: async ({ body, actor }) => {
      await logBatch(ctx, runIdOf(body), { params: [{ key: body.key, value: body.value }] }, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/set-tag'),
    role: 'editor',
    summary: 'Set a run tag',
    tags,
    body: z.object({ ...RunRef, key: z.string(), value: z.string() }),
    handler: async ({ body, actor }) => {
      await logBatch(ctx, runIdOf(body), { tags: [{ key: body.key, value: body.value }] }, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/delete-tag'),
    role: 'editor',
    summary: 'Delete a run tag',
    tags,
    body: z.object({ run_id: z.string().min(1), key: z.string() }),
    handler: async ({ body, actor }) => {
      await deleteTag(ctx, body.run_id, body.key, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/log-batch'),
    role: 'editor',
    summary: 'Log metrics, params and tags atomically',
    tags,
    body: z.object({
      run_id: z.string().min(1),
      metrics: z.array(MetricSchema).optional(),
      params: z.array(KeyValue).optional(),
      tags: z.array(KeyValue).optional(),
    }),
    handler: async ({ body, actor }) => {
      await logBatch(
        ctx,
        body.run_id,
        { metrics: body.metrics?.map(toMetric), params: body.params, tags: body.tags },
        actor,
      );
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/log-model'),
    role: 'editor',
    summary: 'Record a logged model (MLmodel JSON) in the run history tag',
    tags,
    body: z.object({ run_id: z.string().min(1), model_json: z.string().min(1) }),
    handler: async ({ body, actor }) => {
      await logModel(ctx, body.run_id, body.model_json, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: mlflowPaths('/runs/log-inputs'),
    role: 'editor',
    summary: 'Record dataset inputs of a run',
    tags,
    body: z.object({
      run_id: z.string().min(1),
      datasets: z
        .array(
          z.object({
            tags: z.array(KeyValue).optional(),
            dataset: z.object({
              name: z.string(),
              digest: z.string(),
              source_type: z.string(),
              source: z.string(),
              schema: z.string().optional(),
              profile: z.string().optional(),
            }),
          }),
        )
        .optional(),
    }),
    handler: async ({ body, actor }) => {
      await logInputs(
        ctx,
        body.run_id,
        (body.datasets ?? []).map((d) => ({
          tags: d.tags ?? [],
          dataset: {
            name: d.dataset.name,
            digest: d.dataset.digest,
            sourceType: d.dataset.source_type,
            source: d.dataset.source,
            ...(d.dataset.schema !== undefined ? { schema: d.dataset.schema } : {}),
            ...(d.dataset.profile !== undefined ? { profile: d.dataset.profile } : {}),
          },
        })),
        actor,
      );
      return {};
    },
  });
  route(app, {
    method: 'GET',
    url: mlflowPaths('/metrics/get-history'),
    role: 'viewer',
    summary: 'All logged values of one metric, paginated',
    tags,
    query: z.object({
      ...RunRef,
      metric_key: z.string().min(1),
      max_results: int64.optional(),
      page_token: z.string().optional(),
    }),
    handler: async ({ query }) => {
      const page = await getMetricHistory(ctx, runIdOf(query), query.metric_key, {
        maxResults: query.max_results,
        pageToken: query.page_token,
      });
      return {
        ...(page.items.length ? { metrics: page.items.map(metricToWire) } : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      };
    },
  });
  route(app, {
    method: 'GET',
    url: mlflowPaths('/artifacts/list'),
    role: 'viewer',
    summary: "List a run's artifacts (paths relative to the run's artifact root)",
    tags,
    query: z.object({ ...RunRef, path: z.string().optional(), page_token: z.string().optional() }),
    handler: async ({ query }) => {
      const { root, uri } = await runArtifactRoot(ctx, runIdOf(query));
      const rel = safeArtifactPath(query.path ?? '', true);
      const files = await listArtifacts(ctx, rel ? `${root}/${rel}` : root, root);
      return { root_uri: uri, ...(files.length ? { files: files.map(fileToWire) } : {}) };
    },
  });
}
