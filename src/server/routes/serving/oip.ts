/**
 * Open Inference Protocol v2 (KServe v2 / Triton HTTP): health, server and model metadata, model
 * readiness and inference, with the `/versions/{v}` forms. A "model" here is a deployment; its
 * versions are the registered model versions it routes to. Errors are `{"error": "…"}` with 400 /
 * 404 / 503 (src/server/errors.ts picks the style for /v2 paths).
 *
 * Inference routes take Fastify's parsed JSON and skip the zod layer: the body is validated by the
 * OIP codec against the chosen version's signature, which is both stricter and cheaper per request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidParam } from '../../../core/errors.js';
import type { ServingManager } from '../../../serving/manager.js';
import {
  inferResponse,
  modelMetadata,
  parseInferRequest,
  serverMetadata,
} from '../../../serving/protocols/oip.js';
import { serve } from './pipeline.js';

interface ModelParams {
  name: string;
  version?: string;
}

const KEEL_VERSION = '0.1.0';

function versionOf(p: ModelParams): number | undefined {
  if (p.version === undefined) return undefined;
  if (!/^\d+$/.test(p.version))
    throw invalidParam(`version must be a model version number, got '${p.version}'`, 'version');
  return Number(p.version);
}

export function registerOipRoutes(app: FastifyInstance, m: ServingManager): void {
  const hide = { hide: true };
  app.get('/v2/health/live', { config: { public: true }, schema: hide }, async () => ({ live: true }));
  app.get('/v2/health/ready', { config: { public: true }, schema: hide }, async (_req, reply) => {
    const ready = m.ready();
    return reply.status(ready ? 200 : 503).send({ ready });
  });
  app.get('/v2', { config: { role: 'viewer' }, schema: hide }, async () => serverMetadata(KEEL_VERSION));

  const metadata = async (req: FastifyRequest<{ Params: ModelParams }>) => {
    const d = await m.get(req.params.name);
    const v = versionOf(req.params);
    const lv = v === undefined ? m.version(d, d.spec.primary) : m.version(d, v);
    const versions = m
      .servedVersions(d)
      .filter((x) => d.versions.has(x))
      .map(String);
    return modelMetadata(d.name, versions, lv.io);
  };
  app.get('/v2/models/:name', { config: { role: 'viewer' }, schema: hide }, metadata);
  app.get('/v2/models/:name/versions/:version', { config: { role: 'viewer' }, schema: hide }, metadata);

  const ready = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const d = await m.get(req.params.name);
    const v = versionOf(req.params);
    const ok = v === undefined ? (m.status(d.name)?.ready ?? false) : d.versions.has(v);
    if (v !== undefined && !d.versions.has(v) && !d.failed.has(v)) m.version(d, v); // 404 when not routed
    return reply.status(ok ? 200 : 503).send({ name: d.name, ready: ok });
  };
  app.get('/v2/models/:name/ready', { config: { role: 'viewer' }, schema: hide }, ready);
  app.get('/v2/models/:name/versions/:version/ready', { config: { role: 'viewer' }, schema: hide }, ready);

  const infer = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const body = req.body as { id?: unknown; parameters?: Record<string, unknown> } | undefined;
    const params = body && typeof body === 'object' ? body.parameters : undefined;
    const version = versionOf(req.params);
    let parsedId: string | undefined;
    let requested: string[] | undefined;
    const s = await serve(
      m,
      req.params.name,
      req,
      (io) => {
        const p = parseInferRequest(req.body, io);
        parsedId = p.id;
        requested = p.outputs;
        return p;
      },
      {
        bodyKey: (field) => (params && typeof params === 'object' ? params[field] : undefined),
        eventTime: params && typeof params === 'object' ? params.timestamp : undefined,
        requestId: typeof body?.id === 'string' ? body.id : undefined,
        ...(version === undefined ? {} : { version }),
      },
    );
    reply.header('x-request-id', s.requestId);
    reply.header('x-keel-route', s.route);
    return inferResponse({
      modelName: s.deployment.name,
      modelVersion: String(s.loaded.version),
      ...(parsedId === undefined ? {} : { id: parsedId }),
      outputs: s.outputs,
      ...(requested ? { requested } : {}),
    });
  };
  app.post('/v2/models/:name/infer', { config: { role: 'viewer' }, schema: hide }, infer);
  app.post('/v2/models/:name/versions/:version/infer', { config: { role: 'viewer' }, schema: hide }, infer);
}
