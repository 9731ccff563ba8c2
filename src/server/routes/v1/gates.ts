import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { GatePolicySchema } from '../../../pipelines/gate/policy.js';
import { runGate } from '../../../pipelines/gate/run.js';
import { route } from '../../route.js';
import { VersionParams } from './models-wire.js';

const Bound = z.enum(['min', 'max', 'max_regression']);

const GateCheckSchema = z.object({
  name: z.string(),
  kind: z.enum(['metric', 'regression', 'fairness', 'calibration', 'data_quality']),
  value: z.number().nullable(),
  champion: z.number().nullable(),
  threshold: z.number(),
  bound: Bound,
  relative: z.boolean().optional(),
  regression: z.number().nullable().optional(),
  passed: z.boolean(),
  skipped: z.boolean(),
  reason: z.string(),
  failures: z.array(z.unknown()).optional(),
});

const GateResultSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  ref: z.string(),
  data: z.object({ ref: z.string(), versionId: z.string(), rows: z.number().int() }),
  target: z.string(),
  task: z.enum(['binary', 'multiclass', 'regression']),
  champion: z.object({ ref: z.string(), version: z.number().int() }).nullable(),
  passed: z.boolean(),
  decision: z.enum(['approved', 'pending', 'rejected']),
  checks: z.array(GateCheckSchema),
  reasons: z.array(z.string()),
  notes: z.array(z.string()),
  metrics: z.object({
    candidate: z.record(z.string(), z.number().nullable()),
    champion: z.record(z.string(), z.number().nullable()).nullable(),
  }),
  policy: z.unknown(),
  actor: z.string(),
  evaluatedAt: z.number().int(),
  origin: z.object({ pipeline: z.string(), runId: z.number().int(), step: z.string() }).nullable(),
  evaluationId: z.string(),
});

/** POST /api/v1/models/:name/versions/:version/gate: the validation gate on one version. */
export function registerGateRoutes(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'POST',
    url: '/api/v1/models/:name/versions/:version/gate',
    // The gate approves and rejects: the same separation of duties as a review.
    role: 'admin',
    summary:
      'Judge a version against a gate policy (vs the champion on held-out data); stores the result as an evaluation and approves or rejects the version',
    tags: ['models'],
    params: VersionParams,
    // Loose at the top so runGate's own parse reports an unknown field by name (route.ts would name none).
    body: GatePolicySchema.loose(),
    response: GateResultSchema,
    handler: async ({ params, body, actor }) =>
      runGate(ctx, { candidate: { name: params.name, version: params.version }, policy: body, actor }),
  });
}
