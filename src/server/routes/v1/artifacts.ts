import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { invalidParam } from '../../../core/errors.js';
import {
  deleteArtifact,
  getArtifact,
  listArtifacts,
  putArtifact,
  runArtifactRoot,
  safeArtifactPath,
} from '../../../tracking/artifacts.js';
import { route } from '../../route.js';
import { rawBodies, sendFile } from '../files.js';
import { Empty, FileInfoSchema, IdParam } from './wire.js';

const tags = ['artifacts'];
const FileParams = IdParam.extend({ '*': z.string() });

/**
 * The artifact-store path of a file under a run's root. The router has already decoded the URL
 * once and the artifact service decodes its input again, so each segment is re-encoded: a file
 * literally named `50%.txt` stays that name. `..` survives encoding and is still rejected there.
 */
async function runPath(
  ctx: Context,
  runId: string,
  rel: string,
  isFile: boolean,
): Promise<{ root: string; full: string }> {
  const { root } = await runArtifactRoot(ctx, runId);
  const encoded = safeArtifactPath(rel, true);
  // Without a path, a file operation would act on the run's root itself.
  if (isFile && !encoded) throw invalidParam("Missing value for required parameter 'path'", 'path');
  return { root, full: encoded ? (root ? `${root}/${encoded}` : encoded) : root };
}

/**
 * A run's artifacts by path relative to its artifact root. Uploads stream straight into the blob
 * store and downloads stream back out, as in the MLflow artifact proxy.
 */
export function registerRunArtifacts(app: FastifyInstance, ctx: Context): void {
  // Not awaited: Fastify loads the plugin when the app boots (buildApp awaits app.ready()).
  app.register(async (scope) => {
    rawBodies(scope);

    route(scope, {
      method: 'GET',
      url: '/api/v1/runs/:id/artifacts',
      role: 'viewer',
      summary: "List the immediate children of a directory of a run's artifacts",
      tags,
      params: IdParam,
      query: z.object({ path: z.string().optional() }),
      response: z.object({ files: z.array(FileInfoSchema) }),
      handler: async ({ params, query }) => {
        const { root, full } = await runPath(ctx, params.id, query.path ?? '', false);
        return { files: await listArtifacts(ctx, full, root) };
      },
    });
    route(scope, {
      method: 'GET',
      url: '/api/v1/runs/:id/artifacts/*',
      role: 'viewer',
      summary: 'Download an artifact (raw bytes, Content-Type from the extension)',
      tags,
      params: FileParams,
      response: z.string().describe('The file bytes'),
      handler: async ({ params, reply }) => {
        const { full } = await runPath(ctx, params.id, params['*'], true);
        return sendFile(reply, await getArtifact(ctx, full));
      },
    });
    route(scope, {
      method: 'PUT',
      url: '/api/v1/runs/:id/artifacts/*',
      role: 'editor',
      summary: 'Upload an artifact (raw request body, streamed; replaces an existing file)',
      tags,
      params: FileParams,
      response: Empty,
      handler: async ({ params, req, actor }) => {
        const { full } = await runPath(ctx, params.id, params['*'], true);
        await putArtifact(ctx, full, (req.body as Readable | undefined) ?? new Uint8Array(0), actor);
        return {};
      },
    });
    route(scope, {
      method: 'DELETE',
      url: '/api/v1/runs/:id/artifacts/*',
      role: 'editor',
      summary: 'Delete an artifact, or everything under a directory',
      tags,
      params: FileParams,
      response: Empty,
      handler: async ({ params, actor }) => {
        const { full } = await runPath(ctx, params.id, params['*'], true);
        await deleteArtifact(ctx, full, actor);
        return {};
      },
    });
  });
}
