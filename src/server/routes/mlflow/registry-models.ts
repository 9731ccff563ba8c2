import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { invalidParam } from '../../../core/errors.js';
import { deleteAlias, getVersionByAlias, setAlias } from '../../../registry/aliases.js';
import {
  createModel,
  deleteModel,
  deleteModelTag,
  getModel,
  renameModel,
  setModelTag,
  updateModel,
} from '../../../registry/models.js';
import { latestVersionsByStage, searchModels } from '../../../registry/search.js';
import type { RegisteredModel } from '../../../registry/types.js';
import { canonicalStage } from '../../../registry/versions.js';
import { route } from '../../route.js';
import { mlflowPaths } from './experiments.js';
import { registerModelVersionRoutes } from './registry-versions.js';
import {
  jsonBodyOrQuery,
  modelVersionToWire,
  RegistryTagSchema,
  registeredModelToWire,
  tagRecord,
  VersionSchema,
  versionNumber,
} from './registry-wire.js';
import { int64, list } from './wire.js';

const tags = ['mlflow: model registry'];
const Name = z.object({ name: z.string() });

/** A registered model on the wire, with its latest version per stage. */
async function modelWire(ctx: Context, m: RegisteredModel) {
  const latest = await latestVersionsByStage(ctx.store.db, [m.name]);
  return registeredModelToWire(m, latest.get(m.name) ?? []);
}

/**
 * MLflow registered-model RPCs (model_registry.proto). The DELETE RPCs read a JSON body, as
 * MLflow's server does; `jsonBodyOrQuery` also takes their fields from the query string.
 */
export function registerRegisteredModelRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'POST',
    url: mlflowPaths('/registered-models/create'),
    role: 'editor',
    summary: 'Create a registered model',
    tags,
    body: Name.extend({
      tags: z.array(RegistryTagSchema).optional(),
      description: z.string().optional(),
    }),
    handler: async ({ body, actor }) => {
      const m = await createModel(
        ctx,
        { name: body.name, description: body.description, tags: tagRecord(body.tags) },
        actor,
      );
      return { registered_model: registeredModelToWire(m, []) };
    },
  });

  route(app, {
    method: 'POST',
    url: mlflowPaths('/registered-models/rename'),
    role: 'editor',
    summary: 'Rename a registered model (its versions, tags and aliases follow)',
    tags,
    body: Name.extend({ new_name: z.string() }),
    handler: async ({ body, actor }) => ({
      registered_model: await modelWire(ctx, await renameModel(ctx, body.name, body.new_name, actor)),
    }),
  });

  route(app, {
    method: 'PATCH',
    url: mlflowPaths('/registered-models/update'),
    role: 'editor',
    summary: "Update a registered model's description",
    tags,
    body: Name.extend({ description: z.string().optional() }),
    handler: async ({ body, actor }) => ({
      registered_model: await modelWire(
        ctx,
        await updateModel(ctx, body.name, { description: body.description }, actor),
      ),
    }),
  });

  app.register(async (scope) => {
    jsonBodyOrQuery(scope);
    route(scope, {
      method: 'DELETE',
      url: mlflowPaths('/registered-models/delete'),
      role: 'editor',
      summary: 'Delete a registered model with all its versions',
      tags,
      body: Name,
      handler: async ({ body, actor }) => {
        await deleteModel(ctx, body.name, actor);
        return {};
      },
    });
    route(scope, {
      method: 'DELETE',
      url: mlflowPaths('/registered-models/delete-tag'),
      role: 'editor',
      summary: 'Delete a registered model tag (no error if the tag is absent, as in MLflow)',
      tags,
      body: Name.extend({ key: z.string() }),
      handler: async ({ body, actor }) => {
        const m = await getModel(ctx, body.name);
        if (body.key in m.tags) await deleteModelTag(ctx, body.name, body.key, actor);
        return {};
      },
    });
    route(scope, {
      method: 'DELETE',
      url: mlflowPaths('/registered-models/alias'),
      role: 'editor',
      summary: 'Delete an alias (no error if the alias is absent, as in MLflow)',
      tags,
      body: Name.extend({ alias: z.string() }),
      handler: async ({ body, actor }) => {
        const m = await getModel(ctx, body.name);
        if (body.alias in m.aliases) await deleteAlias(ctx, body.name, body.alias, actor);
        return {};
      },
    });
  });

  route(app, {
    method: 'GET',
    url: mlflowPaths('/registered-models/get'),
    role: 'viewer',
    summary: 'Get a registered model',
    tags,
    query: Name,
    handler: async ({ query }) => ({
      registered_model: await modelWire(ctx, await getModel(ctx, query.name)),
    }),
  });

  route(app, {
    method: 'GET',
    url: mlflowPaths('/registered-models/search'),
    role: 'viewer',
    summary: "Search registered models (filter on name and tags, MLflow's syntax)",
    tags,
    query: z.object({
      filter: z.string().optional(),
      max_results: int64.optional(),
      order_by: list(z.string()).optional(),
      page_token: z.string().optional(),
    }),
    handler: async ({ query }) => {
      const page = await searchModels(ctx, {
        filter: query.filter,
        maxResults: query.max_results,
        orderBy: query.order_by,
        pageToken: query.page_token,
      });
      const latest = await latestVersionsByStage(
        ctx.store.db,
        page.items.map((m) => m.name),
      );
      return {
        ...(page.items.length
          ? { registered_models: page.items.map((m) => registeredModelToWire(m, latest.get(m.name) ?? [])) }
          : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      };
    },
  });

  const latestVersions = async (name: string, stages: string[] | undefined) => {
    const m = await getModel(ctx, name);
    const wanted = stages?.length ? new Set(stages.map(canonicalStage)) : null;
    const latest = (await latestVersionsByStage(ctx.store.db, [m.name])).get(m.name) ?? [];
    const picked = latest.filter((v) => !wanted || wanted.has(v.stage));
    return { ...(picked.length ? { model_versions: picked.map(modelVersionToWire) } : {}) };
  };
  route(app, {
    method: 'POST',
    url: mlflowPaths('/registered-models/get-latest-versions'),
    role: 'viewer',
    summary: 'Latest version per stage (deprecated stage API)',
    tags,
    body: Name.extend({ stages: z.array(z.string()).optional() }),
    handler: ({ body }) => latestVersions(body.name, body.stages),
  });
  route(app, {
    method: 'GET',
    url: mlflowPaths('/registered-models/get-latest-versions'),
    role: 'viewer',
    summary: 'Latest version per stage (deprecated stage API)',
    tags,
    hidden: true,
    query: Name.extend({ stages: list(z.string()).optional() }),
    handler: ({ query }) => latestVersions(query.name, query.stages),
  });

  route(app, {
    method: 'POST',
    url: mlflowPaths('/registered-models/set-tag'),
    role: 'editor',
    summary: 'Set a registered model tag',
    tags,
    body: Name.extend({ key: z.string(), value: RegistryTagSchema.shape.value }),
    handler: async ({ body, actor }) => {
      await setModelTag(ctx, body.name, body.key, body.value, actor);
      return {};
    },
  });

  route(app, {
    method: 'POST',
    url: mlflowPaths('/registered-models/alias'),
    role: 'editor',
    summary: 'Point an alias at a version (moves it if it exists)',
    tags,
    body: Name.extend({ alias: z.string(), version: VersionSchema }),
    handler: async ({ body, actor }) => {
      await setAlias(ctx, body.name, body.alias, versionNumber(body.version), actor);
      return {};
    },
  });
  route(app, {
    method: 'GET',
    url: mlflowPaths('/registered-models/alias'),
    role: 'viewer',
    summary: 'Get the version an alias points at',
    tags,
    query: Name.extend({ alias: z.string() }),
    handler: async ({ query }) => {
      // MLflow's stores answer an unset alias on an existing model with 400 INVALID_PARAMETER_VALUE
      // and exactly this message (clients match on it); an unknown model stays 404.
      const m = await getModel(ctx, query.name);
      if (!(query.alias in m.aliases))
        throw invalidParam(`Registered model alias ${query.alias} not found.`, 'alias');
      return { model_version: modelVersionToWire(await getVersionByAlias(ctx, query.name, query.alias)) };
    },
  });
}

/** The MLflow model registry API: registered models and their versions. */
export function registerModelRegistryRoutes(app: FastifyInstance, ctx: Context): void {
  registerRegisteredModelRoutes(app, ctx);
  registerModelVersionRoutes(app, ctx);
}
