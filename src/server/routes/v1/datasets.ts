import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { blobReferenced } from '../../../artifacts/references.js';
import type { Context } from '../../../context.js';
import { KeelError } from '../../../core/errors.js';
import { diffVersions } from '../../../data/diff.js';
import { createVersion, listVersions, resolveVersion, runsUsing } from '../../../data/versions.js';
import { route } from '../../route.js';
import { rawBodies } from '../files.js';
import {
  DataDiffSchema,
  DatasetVersionSchema,
  NewVersionSchema,
  VersionDetailSchema,
} from './datasets-wire.js';

const tags = ['datasets'];
const Sha = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits') });

/** Dataset versions and the content-addressed blobs they are made of. */
export function registerDatasetRoutes(app: FastifyInstance, ctx: Context): void {
  app.register(async (scope) => {
    rawBodies(scope);
    route(scope, {
      method: 'PUT',
      url: '/api/v1/blobs/:sha256',
      role: 'editor',
      summary: 'Upload a blob under its sha256 (verified on arrival; nothing is kept on mismatch)',
      tags,
      params: Sha,
      response: z.object({ sha256: z.string(), size: z.number().int() }),
      handler: async ({ params, req }) =>
        ctx.blobs.put((req.body as Readable | undefined) ?? new Uint8Array(0), {
          expectedSha256: params.sha256,
        }),
    });
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/blobs/:sha256',
    role: 'viewer',
    summary: 'Download a blob by sha256',
    tags,
    params: Sha,
    response: z.string().describe('The blob bytes'),
    handler: async ({ params, reply }) => {
      const head = await ctx.blobs.head(params.sha256);
      if (!head) throw new KeelError('RESOURCE_DOES_NOT_EXIST', `Blob ${params.sha256} does not exist`);
      return reply
        .type('application/octet-stream')
        .header('Content-Length', head.size)
        .send(await ctx.blobs.get(params.sha256));
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/blobs/:sha256',
    role: 'editor',
    summary: 'Delete a blob nothing refers to (clean-up after an interrupted upload)',
    tags,
    params: Sha,
    response: z.object({ deleted: z.boolean() }),
    handler: async ({ params }) => {
      if (await blobReferenced(ctx.store.db, params.sha256)) {
        throw new KeelError(
          'RESOURCE_CONFLICT',
          `Blob ${params.sha256} is still referenced and cannot be deleted`,
        );
      }
      return { deleted: await ctx.blobs.delete(params.sha256) };
    },
  });

  route(app, {
    method: 'POST',
    url: '/api/v1/datasets/:name/versions',
    role: 'editor',
    summary: 'Record a dataset version from uploaded blobs (identical content returns the existing version)',
    tags,
    params: z.object({ name: z.string() }),
    body: NewVersionSchema,
    response: z.object({ version: DatasetVersionSchema, created: z.boolean() }),
    handler: async ({ params, body, actor }) => createVersion(ctx, { name: params.name, ...body }, actor),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/datasets',
    role: 'viewer',
    summary: 'List dataset versions, newest first',
    tags,
    query: z.object({ name: z.string().optional() }),
    response: z.object({ versions: z.array(DatasetVersionSchema) }),
    handler: async ({ query }) => ({ versions: await listVersions(ctx.store.db, query.name) }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/datasets/diff',
    role: 'viewer',
    summary: 'Schema changes and per-column drift between two versions, from their stored profiles',
    tags,
    query: z.object({ from: z.string().min(1), to: z.string().min(1) }),
    response: DataDiffSchema,
    handler: async ({ query }) =>
      diffVersions(
        await resolveVersion(ctx.store.db, query.from),
        await resolveVersion(ctx.store.db, query.to),
      ),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/datasets/:ref',
    role: 'viewer',
    summary:
      'A version (name, name@N or name@<hash prefix>) with files, schema, profile and the runs that used it',
    tags,
    params: z.object({ ref: z.string().min(1) }),
    response: VersionDetailSchema,
    handler: async ({ params }) => {
      const v = await resolveVersion(ctx.store.db, params.ref, { files: true });
      return { ...v, runs: await runsUsing(ctx.store.db, v) };
    },
  });
}
