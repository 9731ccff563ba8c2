import type { FastifyInstance } from 'fastify';
import type { ServingMetrics } from '../../../serving/metrics.js';

/** Prometheus text exposition of serving metrics; any token may read it (role viewer). */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServingMetrics): void {
  app.get('/metrics', { config: { role: 'viewer' }, schema: { hide: true } }, async (_req, reply) =>
    reply.type(metrics.contentType).send(await metrics.text()),
  );
}
