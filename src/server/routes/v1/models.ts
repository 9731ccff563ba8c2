import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { KeelError } from '../../../core/errors.js';
import { deleteAlias, setAlias } from '../../../registry/aliases.js';
import { approvalHistory, reviewVersion } from '../../../registry/approvals.js';
import { addEvaluation, listEvaluations } from '../../../registry/evaluations.js';
import { modelLineage } from '../../../registry/lineage.js';
import {
  createModel,
  deleteModel,
  deleteModelTag,
  getModel,
  listModels,
  renameModel,
  setModelTag,
  updateModel,
} from '../../../registry/models.js';
import { resolveModelRef } from '../../../registry/resolve.js';
import {
  createModelVersion,
  deleteModelVersion,
  deleteVersionTag,
  getModelVersion,
  listModelVersions,
  setVersionTag,
  updateModelVersion,
} from '../../../registry/versions.js';
import { route } from '../../route.js';
import {
  ApprovalRecordSchema,
  EvaluationSchema,
  LineageSchema,
  ModelVersionSchema,
  NameParam,
  NewModelSchema,
  NewModelVersionSchema,
  RegisteredModelSchema,
  VersionParams,
  versionOut,
} from './models-wire.js';
import { Empty } from './wire.js';

const tags = ['models'];
const Description = z.object({ description: z.string().optional() });
const TagValue = z.object({ value: z.string() });

/** The model registry under /api/v1/models: every version the native API registers is ONNX. */
export function registerModelRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/models',
    role: 'viewer',
    summary: 'List registered models by name',
    tags,
    response: z.object({ models: z.array(RegisteredModelSchema) }),
    handler: async () => ({ models: await listModels(ctx) }),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/models',
    role: 'editor',
    summary: 'Register a model name',
    tags,
    body: NewModelSchema,
    response: RegisteredModelSchema,
    handler: async ({ body, actor }) => createModel(ctx, body, actor),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/models/:name',
    role: 'viewer',
    summary: 'A registered model with its tags, aliases and latest version number',
    tags,
    params: NameParam,
    response: RegisteredModelSchema,
    handler: async ({ params }) => getModel(ctx, params.name),
  });
  route(app, {
    method: 'PATCH',
    url: '/api/v1/models/:name',
    role: 'editor',
    summary: "Change a model's description",
    tags,
    params: NameParam,
    body: Description,
    response: RegisteredModelSchema,
    handler: async ({ params, body, actor }) => updateModel(ctx, params.name, body, actor),
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/models/:name',
    role: 'editor',
    summary: 'Delete a model with all its versions, aliases, approvals and evaluations',
    tags,
    params: NameParam,
    response: Empty,
    handler: async ({ params, actor }) => {
      await deleteModel(ctx, params.name, actor);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/models/:name/rename',
    role: 'editor',
    summary: 'Rename a model; versions, tags and aliases follow',
    tags,
    params: NameParam,
    body: z.object({ newName: z.string() }),
    response: RegisteredModelSchema,
    handler: async ({ params, body, actor }) => renameModel(ctx, params.name, body.newName, actor),
  });
  route(app, {
    method: 'PUT',
    url: '/api/v1/models/:name/tags/:key',
    role: 'editor',
    summary: 'Set a tag on a model',
    tags,
    params: NameParam.extend({ key: z.string() }),
    body: TagValue,
    response: Empty,
    handler: async ({ params, body, actor }) => {
      await setModelTag(ctx, params.name, params.key, body.value, actor);
      return {};
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/models/:name/tags/:key',
    role: 'editor',
    summary: 'Remove a tag from a model',
    tags,
    params: NameParam.extend({ key: z.string() }),
    response: Empty,
    handler: async ({ params, actor }) => {
      await deleteModelTag(ctx, params.name, params.key, actor);
      return {};
    },
  });

  route(app, {
    method: 'GET',
    url: '/api/v1/models/:name/versions',
    role: 'viewer',
    summary: "A model's versions, newest first",
    tags,
    params: NameParam,
    response: z.object({ versions: z.array(ModelVersionSchema) }),
    handler: async ({ params }) => ({
      versions: (await listModelVersions(ctx, params.name)).map(versionOut),
    }),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/models/:name/versions',
    role: 'editor',
    summary:
      'Register a version from an uploaded ONNX blob (onnxSha256) or a run artifact (runId + artifactPath); the file must load in onnxruntime',
    tags,
    params: NameParam,
    body: NewModelVersionSchema,
    response: ModelVersionSchema,
    handler: async ({ params, body, actor }) =>
      versionOut(await createModelVersion(ctx, { ...body, name: params.name, requireOnnx: true }, actor)),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/models/:name/versions/:version',
    role: 'viewer',
    summary: 'One version: ONNX signature, feature schema, source run, datasets, metrics, approval, aliases',
    tags,
    params: VersionParams,
    response: ModelVersionSchema,
    handler: async ({ params }) => versionOut(await getModelVersion(ctx, params.name, params.version)),
  });
  route(app, {
    method: 'PATCH',
    url: '/api/v1/models/:name/versions/:version',
    role: 'editor',
    summary: "Change a version's description",
    tags,
    params: VersionParams,
    body: Description,
    response: ModelVersionSchema,
    handler: async ({ params, body, actor }) =>
      versionOut(await updateModelVersion(ctx, params.name, params.version, body, actor)),
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/models/:name/versions/:version',
    role: 'editor',
    summary: 'Delete a version (and its aliases); its number is never reused',
    tags,
    params: VersionParams,
    response: Empty,
    handler: async ({ params, actor }) => {
      await deleteModelVersion(ctx, params.name, params.version, actor);
      return {};
    },
  });
  route(app, {
    method: 'PUT',
    url: '/api/v1/models/:name/versions/:version/tags/:key',
    role: 'editor',
    summary: 'Set a tag on a version',
    tags,
    params: VersionParams.extend({ key: z.string() }),
    body: TagValue,
    response: Empty,
    handler: async ({ params, body, actor }) => {
      await setVersionTag(ctx, params.name, params.version, params.key, body.value, actor);
      return {};
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/models/:name/versions/:version/tags/:key',
    role: 'editor',
    summary: 'Remove a tag from a version',
    tags,
    params: VersionParams.extend({ key: z.string() }),
    response: Empty,
    handler: async ({ params, actor }) => {
      await deleteVersionTag(ctx, params.name, params.version, params.key, actor);
      return {};
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/models/:name/versions/:version/onnx',
    role: 'viewer',
    summary: "Download a version's ONNX file",
    tags,
    params: VersionParams,
    response: z.string().describe('The ONNX bytes'),
    handler: async ({ params, reply }) => {
      const v = await getModelVersion(ctx, params.name, params.version);
      if (!v.onnx) {
        throw new KeelError(
          'RESOURCE_DOES_NOT_EXIST',
          `version ${v.version} of ${v.name} has no ONNX file (registered from ${v.source})`,
        );
      }
      return reply
        .type('application/octet-stream')
        .header('Content-Length', v.onnx.size)
        .header('Content-Disposition', `attachment; filename="model.onnx"`)
        .send(await ctx.blobs.get(v.onnx.sha256));
    },
  });

  route(app, {
    method: 'PUT',
    url: '/api/v1/models/:name/aliases/:alias',
    role: 'editor',
    summary: 'Point an alias at a version (moving it if it exists); rejected versions are refused',
    tags,
    params: NameParam.extend({ alias: z.string() }),
    body: z.object({ version: z.number().int().positive() }),
    response: RegisteredModelSchema,
    handler: async ({ params, body, actor }) => {
      await setAlias(ctx, params.name, params.alias, body.version, actor);
      return getModel(ctx, params.name);
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/models/:name/aliases/:alias',
    role: 'editor',
    summary: 'Remove an alias',
    tags,
    params: NameParam.extend({ alias: z.string() }),
    response: Empty,
    handler: async ({ params, actor }) => {
      await deleteAlias(ctx, params.name, params.alias, actor);
      return {};
    },
  });

  route(app, {
    method: 'POST',
    url: '/api/v1/models/:name/versions/:version/review',
    role: 'admin',
    summary: 'Approve or reject a version (admins only: a separation-of-duties step)',
    tags,
    params: VersionParams,
    body: z.object({ status: z.enum(['approved', 'rejected']), reason: z.string().optional() }),
    response: ModelVersionSchema,
    handler: async ({ params, body, actor }) =>
      versionOut(await reviewVersion(ctx, params.name, params.version, body, actor)),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/models/:name/versions/:version/approvals',
    role: 'viewer',
    summary: "A version's review history, oldest first",
    tags,
    params: VersionParams,
    response: z.object({ approvals: z.array(ApprovalRecordSchema) }),
    handler: async ({ params }) => ({ approvals: await approvalHistory(ctx, params.name, params.version) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/models/:name/versions/:version/evaluations',
    role: 'viewer',
    summary: "A version's evaluation results, oldest first",
    tags,
    params: VersionParams,
    response: z.object({ evaluations: z.array(EvaluationSchema) }),
    handler: async ({ params }) => ({ evaluations: await listEvaluations(ctx, params.name, params.version) }),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/models/:name/versions/:version/evaluations',
    role: 'editor',
    summary: 'Record an evaluation result of a version (datasetRef: the dataset version it ran on)',
    tags,
    params: VersionParams,
    body: z.object({
      datasetRef: z.string().min(1).nullable().optional(),
      datasetVersionId: z.string().min(1).optional(),
      result: z.unknown(),
    }),
    response: EvaluationSchema,
    handler: async ({ params, body, actor }) => addEvaluation(ctx, params.name, params.version, body, actor),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/models/:name/versions/:version/lineage',
    role: 'viewer',
    summary: 'Dataset versions → run (params, git commit) → version → aliases and deployments',
    tags,
    params: VersionParams,
    response: LineageSchema,
    handler: async ({ params }) => modelLineage(ctx, params.name, params.version),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/model-refs/:ref',
    role: 'viewer',
    summary: 'Resolve name@version, name@alias or name (latest approved version) to a version',
    tags,
    params: z.object({ ref: z.string().min(1) }),
    response: ModelVersionSchema,
    handler: async ({ params }) => versionOut(await resolveModelRef(ctx, params.ref)),
  });
}
