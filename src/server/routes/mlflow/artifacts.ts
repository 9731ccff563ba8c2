import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { deleteArtifact, getArtifact, listArtifacts, putArtifact } from '../../../tracking/artifacts.js';
import { route } from '../../route.js';
import { rawBodies, sendFile } from '../files.js';
import { fileToWire } from './wire.js';

const prefixes = ['/api/2.0/mlflow-artifacts/artifacts', '/ajax-api/2.0/mlflow-artifacts/artifacts'];
const tags = ['mlflow: artifacts'];
const Wildcard = z.object({ '*': z.string() });

/**
 * MLflow's artifact proxy (`mlflow-artifacts:/` URIs). Uploads stream straight into the blob store
 * (no body buffering, no size limit beyond the store's), downloads stream back out.
 */
export async function registerArtifactProxy(app: FastifyInstance, ctx: Context): Promise<void> {
  await app.register(async (scope) => {
    rawBodies(scope);

    route(scope, {
      method: 'GET',
      url: prefixes,
      role: 'viewer',
      summary: 'List artifacts under a directory',
      tags,
      query: z.object({ path: z.string().optional() }),
      handler: async ({ query }) => {
        const files = await listArtifacts(ctx, query.path ?? '');
        return { ...(files.length ? { files: files.map(fileToWire) } : {}) };
      },
    });
    route(scope, {
      method: 'GET',
      url: prefixes.map((p) => `${p}/*`),
      role: 'viewer',
      summary: 'Download an artifact',
      tags,
      params: Wildcard,
      handler: async ({ params, reply }) => {
        return sendFile(reply, await getArtifact(ctx, params['*']));
      },
    });
    route(scope, {
      method: 'PUT',
      url: prefixes.map((p) => `${p}/*`),
      role: 'editor',
      summary: 'Upload an artifact (raw body)',
      tags,
      params: Wildcard,
      handler: async ({ params, req, actor }) => {
        const body = req.body as Readable | undefined;
        await putArtifact(ctx, params['*'], body ?? new Uint8Array(0), actor);
        return {};
      },
    });
    route(scope, {
      method: 'DELETE',
      url: prefixes.map((p) => `${p}/*`),
      role: 'editor',
      summary: 'Delete an artifact or directory',
      tags,
      params: Wildcard,
      handler: async ({ params, actor }) => {
        await deleteArtifact(ctx, params['*'], actor);
        return {};
      },
    });
  });
}
