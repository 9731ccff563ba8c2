import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import {
  abortRollout,
  getRollout,
  listRollouts,
  ROLLOUT_STATUSES,
  startRollout,
} from '../../../rollouts/index.js';
import type { DeploymentHooks } from '../../../serving/types.js';
import { route } from '../../route.js';

const tags = ['rollouts'];

const Params = z.object({ name: z.string().min(1) });
const IdParams = z.object({ name: z.string().min(1), id: z.coerce.number().int().positive() });

const StartSchema = z.strictObject({
  model: z
    .union([z.string().min(1), z.number().int().positive()])
    .describe('The candidate, a version of the deployment’s model: 3, "@challenger", "credit@3"'),
  policy: z
    .unknown()
    .optional()
    .describe(
      'Rollout policy (snake_case, every field optional): steps [10, 50, 100] or [{weight, hold}], hold "1000p" | "1h" | {predictions, duration}, min_predictions, max_step_duration, checks {error_rate, latency, drift, performance} (false turns one off), alias (default champion), alert {severity, channels}',
    ),
  key: z.string().optional().describe('Idempotency key: starting again with it returns the same rollout'),
});

const AbortSchema = z.strictObject({ reason: z.string().max(1000).optional() });

const CheckSchema = z.object({
  check: z.string(),
  status: z.enum(['passed', 'failed', 'skipped']),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  baseline: z.number().nullable(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
});

const RolloutSchema = z.object({
  id: z.number().int(),
  deployment: z.string(),
  model: z.string(),
  candidate: z.number().int(),
  baseline: z.number().int().describe('The primary when the rollout started'),
  policy: z.record(z.string(), z.unknown()).describe('The policy with every default filled in'),
  status: z.enum(['running', 'succeeded', 'rolled_back', 'aborted']),
  step: z.number().int().describe('Index of the current step in policy.steps'),
  stepStartedAt: z.number().int(),
  reason: z.string().nullable(),
  key: z.string().nullable(),
  progress: z
    .object({
      step: z.number().int(),
      weight: z.number().int(),
      canaryRows: z.number().int(),
      primaryRows: z.number().int(),
      eventTime: z.object({ from: z.number().nullable(), to: z.number().nullable() }),
      waitingFor: z.string().nullable(),
    })
    .nullable(),
  createdAt: z.number().int(),
  createdBy: z.string(),
  updatedAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
});

const DetailSchema = RolloutSchema.extend({
  decisions: z.array(
    z.object({
      id: z.number().int(),
      rolloutId: z.number().int(),
      step: z.number().int(),
      weight: z.number().int(),
      kind: z.enum(['started', 'step_passed', 'promoted', 'rolled_back', 'aborted']),
      reason: z.string(),
      evidence: z
        .object({ checks: z.array(CheckSchema).optional() })
        .passthrough()
        .describe('What the decision was made on: each check with its figures and thresholds'),
      eventTime: z.number().nullable(),
      actor: z.string(),
      at: z.number().int(),
    }),
  ),
});

/**
 * Rollouts of a deployment under /api/v1/deployments/:name/rollouts: start one (the candidate takes
 * the first canary weight), read them with their decisions and evidence, abort one. The controller
 * (RolloutScheduler) moves running rollouts along; `hooks` load versions before routes change.
 */
export function registerRolloutRoutes(app: FastifyInstance, ctx: Context, hooks: DeploymentHooks): void {
  route(app, {
    method: 'POST',
    url: '/api/v1/deployments/:name/rollouts',
    role: 'editor',
    summary: 'Roll a candidate version out step by step with automatic canary analysis',
    tags,
    params: Params,
    body: StartSchema,
    response: DetailSchema,
    handler: async ({ params, body, actor }) =>
      startRollout(
        ctx,
        params.name,
        { model: body.model, policy: body.policy, ...(body.key !== undefined ? { key: body.key } : {}) },
        actor,
        hooks,
      ),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/deployments/:name/rollouts',
    role: 'viewer',
    summary: "A deployment's rollouts, newest first",
    tags,
    params: Params,
    query: z.object({
      status: z.enum(ROLLOUT_STATUSES as [string, ...string[]]).optional(),
      limit: z.coerce.number().int().optional(),
    }),
    response: z.object({ rollouts: z.array(RolloutSchema) }),
    handler: async ({ params, query }) => ({
      rollouts: await listRollouts(ctx, params.name, {
        status: query.status as (typeof ROLLOUT_STATUSES)[number] | undefined,
        limit: query.limit,
      }),
    }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/deployments/:name/rollouts/:id',
    role: 'viewer',
    summary: 'A rollout: policy, progress of the current step, and every decision with its evidence',
    tags,
    params: IdParams,
    response: DetailSchema,
    handler: async ({ params }) => getRollout(ctx, params.name, params.id),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/deployments/:name/rollouts/:id/abort',
    role: 'editor',
    summary: 'Abort a running rollout: the canary is removed and the primary keeps all traffic',
    tags,
    params: IdParams,
    body: AbortSchema,
    response: DetailSchema,
    handler: async ({ params, body, actor }) =>
      abortRollout(ctx, params.name, params.id, actor, hooks, body.reason),
  });
}
