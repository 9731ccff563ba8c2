import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Context } from '../../context.js';
import { pendingMigrations } from '../../store/migrate.js';

/** Liveness and readiness; public so load balancers need no token. */
export function registerHealthRoutes(app: FastifyInstance, ctx: Context): void {
  app.get('/health', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/plain').send('OK'),
  );
  app.get('/ready', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(ctx.store.db);
      const pending = await pendingMigrations(ctx.store, ctx.config.database);
      if (pending.length > 0)
        return reply.status(503).send({ ready: false, reason: `pending migrations: ${pending.join(', ')}` });
      return { ready: true, database: ctx.store.adapter.dialect, artifacts: ctx.blobs.kind };
    } catch (err) {
      return reply
        .status(503)
        .send({ ready: false, reason: `database unreachable: ${(err as Error).message}` });
    }
  });
}
