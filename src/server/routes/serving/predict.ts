/**
 * Keel's native records API: `POST /api/v1/deployments/{name}/predict` with
 * `{"records": [{feature: value, …}], "timestamp"?, "key"?}`, mapped onto the answering version's
 * inputs by feature name. The response names the request id, the model version and the route.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidParam } from '../../../core/errors.js';
import type { ServingManager } from '../../../serving/manager.js';
import { rowPredictions } from '../../../serving/model-io.js';
import { recordsToFeeds } from '../../../serving/protocols/records.js';
import { serve } from './pipeline.js';

interface PredictBody {
  records?: unknown;
  timestamp?: unknown;
  key?: unknown;
}

export function registerPredictRoutes(app: FastifyInstance, m: ServingManager): void {
  app.post(
    '/api/v1/deployments/:name/predict',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Predict for records: each record maps feature names to values',
        tags: ['serving'],
        params: { type: 'object', properties: { name: { type: 'string' } } },
        body: {
          type: 'object',
          required: ['records'],
          properties: {
            records: { type: 'array', items: { type: 'object' } },
            timestamp: { description: 'Event time of the records: epoch ms or ISO-8601' },
            key: { type: 'string', description: 'Sticky-assignment key (e.g. a customer id)' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              request_id: { type: 'string' },
              deployment: { type: 'string' },
              model: { type: 'string' },
              model_version: { type: 'integer' },
              route: { type: 'string', description: 'primary, canary or variant:<name>' },
              predictions: {
                type: 'array',
                items: {
                  type: 'object',
                  description: 'label, score (binary positive-class probability), probabilities, or value',
                },
              },
            },
          },
        },
      },
    },
    async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
      const body = req.body as PredictBody | null;
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw invalidParam('the body must be a JSON object {"records": [...]}', 'records');
      }
      if (!Array.isArray(body.records)) {
        throw invalidParam('records must be an array of objects mapping feature names to values', 'records');
      }
      const records = body.records as unknown[];
      const s = await serve(
        m,
        req.params.name,
        req,
        (io, extra) => recordsToFeeds(records, io, { allowExtra: extra }),
        {
          bodyKey: (field) => {
            if (body.key !== undefined) return body.key;
            const r = records[0];
            return r && typeof r === 'object' ? (r as Record<string, unknown>)[field] : undefined;
          },
          eventTime: body.timestamp,
        },
      );
      reply.header('x-request-id', s.requestId);
      return {
        request_id: s.requestId,
        deployment: s.deployment.name,
        model: s.deployment.spec.model,
        model_version: s.loaded.version,
        route: s.route,
        predictions: rowPredictions(s.loaded.io, s.outputs, s.parsed.rows),
      };
    },
  );
}
