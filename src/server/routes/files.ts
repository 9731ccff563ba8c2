import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

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

/** Makes a plugin scope hand every request body to its handlers as the raw stream (artifact uploads). */
export function rawBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
}

/** Streams a stored file back as a download, headers as MLflow's artifact proxy sets them. */
export function sendFile(
  reply: FastifyReply,
  file: { path: string; size: number; stream: NodeJS.ReadableStream },
): FastifyReply {
  return reply
    .type(mimeFor(file.path))
    .header('Content-Length', file.size)
    .header('Content-Disposition', `attachment; filename="${path.posix.basename(file.path)}"`)
    .header('X-Content-Type-Options', 'nosniff')
    .send(file.stream);
}
