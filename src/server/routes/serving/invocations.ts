/**
 * MLflow's scoring protocol on a deployment: `POST /deployments/{name}/invocations` takes what
 * `mlflow models serve` takes (JSON `dataframe_split`, `dataframe_records`, `instances`, `inputs`,
 * or `text/csv`) and answers `{"predictions": …}`; errors are MLflow's `{error_code, message}`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServingManager } from '../../../serving/manager.js';
import { invocationsResponse, parseInvocations } from '../../../serving/protocols/invocations.js';
import { serve } from './pipeline.js';

/** The sticky field's value in the first row of any accepted JSON shape. */
function firstRowField(body: unknown, field: string): unknown {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const rows = b.dataframe_records ?? b.instances ?? b.inputs;
  if (Array.isArray(rows)) {
    const r = rows[0];
    return r && typeof r === 'object' && !Array.isArray(r)
      ? (r as Record<string, unknown>)[field]
      : undefined;
  }
  if (rows && typeof rows === 'object') {
    const col = (rows as Record<string, unknown>)[field];
    return Array.isArray(col) ? col[0] : col;
  }
  const split = b.dataframe_split as { columns?: unknown; data?: unknown } | undefined;
  if (split && Array.isArray(split.columns) && Array.isArray(split.data)) {
    const i = split.columns.indexOf(field);
    const row = split.data[0];
    return i >= 0 && Array.isArray(row) ? row[i] : undefined;
  }
  return undefined;
}

/** Registered inside the serving scope (index.ts), which parses text/csv bodies as text. */
export function registerInvocationRoutes(app: FastifyInstance, m: ServingManager): void {
  app.post(
    '/deployments/:name/invocations',
    { config: { role: 'viewer' }, schema: { hide: true } },
    async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
      const contentType = req.headers['content-type'];
      const s = await serve(
        m,
        req.params.name,
        req,
        (io, extra) => parseInvocations(contentType, req.body, io, { allowExtra: extra }),
        {
          bodyKey: (field) => firstRowField(req.body, field),
        },
      );
      reply.header('x-request-id', s.requestId);
      reply.header('x-keel-model-version', String(s.loaded.version));
      reply.header('x-keel-route', s.route);
      return invocationsResponse(s.loaded.io, s.outputs, s.parsed.rows);
    },
  );
}
