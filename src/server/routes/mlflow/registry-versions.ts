import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { parseRunsUri } from '../../../registry/onnx.js';
import { searchVersions } from '../../../registry/search.js';
import type { ModelVersion } from '../../../registry/types.js';
import {
  createModelVersion,
  deleteModelVersion,
  deleteVersionTag,
  getModelVersion,
  setStage,
  setVersionTag,
  updateModelVersion,
} from '../../../registry/versions.js';
import { route } from '../../route.js';
import { mlflowPaths } from './experiments.js';
import {
  jsonBodyOrQuery,
  modelVersionToWire,
  RegistryTagSchema,
  tagRecord,
  VersionSchema,
  versionNumber,
} from './registry-wire.js';
import { int64, list } from './wire.js';

const tags = ['mlflow: model registry'];
const Ref = z.object({ name: z.string(), version: VersionSchema });

const joinUri = (base: string, rel: string): string =>
  rel ? `${base.replace(/\/+$/, '')}/${rel.replace(/^\/+/, '')}` : base;

/**
 * Where an MLflow client downloads a version's files from (get-download-uri):
 * - `runs:/<run>/<path>` → the run's artifact URI plus the path (`mlflow-artifacts:/…`), which
 *   Keel's artifact proxy serves; MLflow's own store would hand back the `runs:/` URI and leave
 *   its resolution to the client, this saves non-Python clients that step;
 * - `blobs:/<sha256>` (an ONNX file uploaded through the native API) → the artifact directory
 *   holding the same bytes if they were also logged as a run artifact (MLflow's Python client
 *   downloads only through the artifact proxy), else the native download URL
 *   `<server>/api/v1/models/<name>/versions/<v>/onnx`: model.onnx over plain HTTP;
 * - any other source (`mlflow-artifacts:/…`, `s3://…`, `models:/…`) → itself, as MLflow does.
 */
async function downloadUri(ctx: Context, v: ModelVersion, req: FastifyRequest): Promise<string> {
  const runs = parseRunsUri(v.source);
  if (runs) {
    const run = await ctx.store.db
      .selectFrom('runs')
      .select('artifact_uri')
      .where('run_id', '=', runs.runId)
      .executeTakeFirst();
    return run ? joinUri(run.artifact_uri, runs.path) : v.source;
  }
  const sha = /^blobs:\/+([0-9a-f]{64})$/.exec(v.source)?.[1];
  if (sha) {
    const logged = await ctx.store.db
      .selectFrom('artifact_files')
      .select('path')
      .where('sha256', '=', sha)
      .where('path', 'like', '%.onnx')
      .orderBy('path')
      .limit(1)
      .executeTakeFirst();
    if (logged) return `mlflow-artifacts:/${path.posix.dirname(logged.path)}`;
    return `${req.protocol}://${req.host}/api/v1/models/${encodeURIComponent(v.name)}/versions/${v.version}/onnx`;
  }
  return v.source;
}

/** MLflow model-version RPCs (model_registry.proto), including the deprecated stage transition. */
export function registerModelVersionRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'POST',
    url: mlflowPaths('/model-versions/create'),
    role: 'editor',
    summary: 'Register a new version of a model from a source URI (runs:/…, mlflow-artifacts:/…)',
    tags,
    body: z.object({
      name: z.string(),
      source: z.string(),
      run_id: z.string().optional(),
      tags: z.array(RegistryTagSchema).optional(),
      run_link: z.string().optional(),
      description: z.string().optional(),
    }),
    handler: async ({ body, actor }) => {
      const v = await createModelVersion(
        ctx,
        {
          name: body.name,
          source: body.source,
          // Clients send "" for an absent run id (proto2 default).
          runId: body.run_id || undefined,
          runLink: body.run_link,
          description: body.description,
          tags: tagRecord(body.tags),
        },
        actor,
      );
      return { model_version: modelVersionToWire(v) };
    },
  });

  route(app, {
    method: 'PATCH',
    url: mlflowPaths('/model-versions/update'),
    role: 'editor',
    summary: "Update a version's description",
    tags,
    body: Ref.extend({ description: z.string().optional() }),
    handler: async ({ body, actor }) => ({
      model_version: modelVersionToWire(
        await updateModelVersion(
          ctx,
          body.name,
          versionNumber(body.version),
          { description: body.description },
          actor,
        ),
      ),
    }),
  });

  route(app, {
    method: 'POST',
    url: mlflowPaths('/model-versions/transition-stage'),
    role: 'editor',
    summary: 'Move a version to a stage (deprecated since MLflow 2.9; use aliases)',
    tags,
    body: Ref.extend({ stage: z.string(), archive_existing_versions: z.boolean().optional() }),
    handler: async ({ body, actor }) => ({
      model_version: modelVersionToWire(
        await setStage(
          ctx,
          body.name,
          versionNumber(body.version),
          body.stage,
          body.archive_existing_versions ?? false,
          actor,
        ),
      ),
    }),
  });

  app.register(async (scope) => {
    jsonBodyOrQuery(scope);
    route(scope, {
      method: 'DELETE',
      url: mlflowPaths('/model-versions/delete'),
      role: 'editor',
      summary: 'Delete a version (its number is not reused)',
      tags,
      body: Ref,
      handler: async ({ body, actor }) => {
        await deleteModelVersion(ctx, body.name, versionNumber(body.version), actor);
        return {};
      },
    });
    route(scope, {
      method: 'DELETE',
      url: mlflowPaths('/model-versions/delete-tag'),
      role: 'editor',
      summary: 'Delete a version tag (no error if the tag is absent, as in MLflow)',
      tags,
      body: Ref.extend({ key: z.string() }),
      handler: async ({ body, actor }) => {
        const version = versionNumber(body.version);
        const v = await getModelVersion(ctx, body.name, version);
        if (body.key in v.tags) await deleteVersionTag(ctx, body.name, version, body.key, actor);
        return {};
      },
    });
  });

  route(app, {
    method: 'GET',
    url: mlflowPaths('/model-versions/get'),
    role: 'viewer',
    summary: 'Get a model version',
    tags,
    query: Ref,
    handler: async ({ query }) => ({
      model_version: modelVersionToWire(await getModelVersion(ctx, query.name, versionNumber(query.version))),
    }),
  });

  route(app, {
    method: 'GET',
    url: mlflowPaths('/model-versions/search'),
    role: 'viewer',
    summary: "Search model versions (name, run_id, source_path, version_number, tags; MLflow's syntax)",
    tags,
    query: z.object({
      filter: z.string().optional(),
      max_results: int64.optional(),
      order_by: list(z.string()).optional(),
      page_token: z.string().optional(),
    }),
    handler: async ({ query }) => {
      const page = await searchVersions(ctx, {
        filter: query.filter,
        maxResults: query.max_results,
        orderBy: query.order_by,
        pageToken: query.page_token,
      });
      return {
        ...(page.items.length ? { model_versions: page.items.map(modelVersionToWire) } : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      };
    },
  });

  route(app, {
    method: 'GET',
    url: mlflowPaths('/model-versions/get-download-uri'),
    role: 'viewer',
    summary: "Where a version's model files can be downloaded from",
    tags,
    query: Ref,
    handler: async ({ query, req }) => ({
      artifact_uri: await downloadUri(
        ctx,
        await getModelVersion(ctx, query.name, versionNumber(query.version)),
        req,
      ),
    }),
  });

  route(app, {
    method: 'POST',
    url: mlflowPaths('/model-versions/set-tag'),
    role: 'editor',
    summary: 'Set a version tag',
    tags,
    body: Ref.extend({ key: z.string(), value: RegistryTagSchema.shape.value }),
    handler: async ({ body, actor }) => {
      await setVersionTag(ctx, body.name, versionNumber(body.version), body.key, body.value, actor);
      return {};
    },
  });
}
