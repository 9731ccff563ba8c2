/**
 * The inference routes (OIP v2, MLflow /invocations, records /predict) in one Fastify scope with
 * their own body parsers: JSON with plain JSON.parse — the codecs read named fields and never merge
 * a body into another object, so secure-json-parse's prototype scan (≈6% of a single-row request)
 * buys nothing here — and CSV as text for /invocations. Other routes keep Fastify's defaults.
 */
import type { FastifyInstance } from 'fastify';
import type { ServingManager } from '../../../serving/manager.js';
import type { ServingMetrics } from '../../../serving/metrics.js';
import { registerInvocationRoutes } from './invocations.js';
import { registerMetricsRoute } from './metrics.js';
import { registerOipRoutes } from './oip.js';
import { registerPredictRoutes } from './predict.js';

export async function registerServingRoutes(
  app: FastifyInstance,
  serving: ServingManager,
  metrics: ServingMetrics,
): Promise<void> {
  await app.register(async (scoped) => {
    scoped.removeContentTypeParser('application/json');
    scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      if (body === '') {
        done(Object.assign(new SyntaxError('the JSON body is empty'), { statusCode: 400 }), undefined);
        return;
      }
      try {
        done(null, JSON.parse(body as string));
      } catch (e) {
        done(Object.assign(e as Error, { statusCode: 400 }), undefined);
      }
    });
    scoped.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    registerPredictRoutes(scoped, serving);
    registerOipRoutes(scoped, serving);
    registerInvocationRoutes(scoped, serving);
  });
  registerMetricsRoute(app, metrics);
}
