import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { deleteArtifact, getArtifact, listArtifacts, putArtifact } from '../../../tracking/artifacts.js';
import { route } from '../../route.js';
import { fileToWire } from './wire.js';

const MIME: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.yaml': 'text/plain',
  '.yml': 'text/plain',
  '.md': 'text/plain',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.html': 'text/html',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
};

/** MLflow's proxy guesses the type from the extension; MLmodel and MLproject are plain text. */
export function mimeFor(file: string): string {
  const base = path.posix.basename(file);
  if (base === 'MLmodel' || base === 'MLproject') return 'text/plain';
  return MIME[path.posix.extname(base).toLowerCase()] ?? 'application/octet-stream';
}

const prefixes = ['/api/2.0/mlflow-artifacts/artifacts', '/ajax-api/2.0/mlflow-artifacts/artifacts'];
const tags = ['mlflow: artifacts'];
const Wildcard = z.object({ '*': z.string() });

/**
 * MLflow's artifact proxy (`mlflow-artifacts:/` URIs). Uploads stream straight into the blob store
 * (no body buffering, no size limit beyond the store's), downloads stream back out.
 */
export async function registerArtifactProxy(app: FastifyInstance, ctx: Context): Promise<void> {
  await app.register(async (scope) => {
    // Artifact bodies are arbitrary bytes: hand the raw request stream to the handler.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

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
        const file = await getArtifact(ctx, params['*']);
        return reply
          .type(mimeFor(file.path))
          .header('Content-Length', file.size)
          .header('Content-Disposition', `attachment; filename="${path.posix.basename(file.path)}"`)
          .header('X-Content-Type-Options', 'nosniff')
          .send(file.stream);
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
