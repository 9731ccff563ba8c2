import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../../context.js';
import { createDefaultMonitor } from '../../../monitoring/monitors.js';
import {
  createDeployment,
  deleteDeployment,
  getDeployment,
  listDeployments,
  promote,
  rollback,
  setPrimary,
  setTraffic,
  updateSettings,
} from '../../../serving/deployments/index.js';
import type { Deployment, DeploymentHooks } from '../../../serving/types.js';
import { route } from '../../route.js';
import {
  DeploymentNameParam,
  DeploymentPatchSchema,
  DeploymentSchema,
  NewDeploymentSchema,
  PrimarySchema,
  TrafficChangeSchema,
} from './deployments-wire.js';
import { Empty } from './wire.js';

const tags = ['deployments'];

/**
 * Deployments under /api/v1/deployments: their routes (primary, canary, A/B variants, shadows),
 * promote and rollback, and settings. Prediction, feedback and monitoring paths under the same
 * prefix belong to the serving runtime's routes. `hooks` connect changes to the runtime.
 */
export function registerDeploymentRoutes(app: FastifyInstance, ctx: Context, hooks: DeploymentHooks): void {
  const withStatus = (d: Deployment) => ({ ...d, status: hooks.status(d.name) });
  route(app, {
    method: 'GET',
    url: '/api/v1/deployments',
    role: 'viewer',
    summary: 'List deployments by name, with what this server has loaded of each',
    tags,
    response: z.object({ deployments: z.array(DeploymentSchema) }),
    handler: async () => ({ deployments: (await listDeployments(ctx)).map(withStatus) }),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/deployments',
    role: 'editor',
    summary:
      'Deploy a model version (its ref resolved once, e.g. credit@champion → version 2) as the primary',
    tags,
    body: NewDeploymentSchema,
    response: DeploymentSchema,
    handler: async ({ body, actor }) => {
      const d = await createDeployment(ctx, body, actor, hooks);
      // A version with recorded training data is monitored from the start (failures are logged, not fatal).
      await createDefaultMonitor(ctx, d, actor);
      return d;
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/deployments/:name',
    role: 'viewer',
    summary: 'A deployment: routes, settings, revision, and what this server has loaded of it',
    tags,
    params: DeploymentNameParam,
    response: DeploymentSchema,
    handler: async ({ params }) => withStatus(await getDeployment(ctx, params.name)),
  });
  route(app, {
    method: 'PATCH',
    url: '/api/v1/deployments/:name',
    role: 'editor',
    summary: "Change a deployment's description, batching or log settings",
    tags,
    params: DeploymentNameParam,
    body: DeploymentPatchSchema,
    response: DeploymentSchema,
    handler: async ({ params, body, actor }) => updateSettings(ctx, params.name, body, actor, hooks),
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/deployments/:name',
    role: 'editor',
    summary: 'Delete a deployment (its versions are unloaded)',
    tags,
    params: DeploymentNameParam,
    response: Empty,
    handler: async ({ params, actor }) => {
      await deleteDeployment(ctx, params.name, actor, hooks);
      return {};
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/deployments/:name/traffic',
    role: 'editor',
    summary: 'Set or clear the canary, A/B variants, shadows and sticky assignment',
    tags,
    params: DeploymentNameParam,
    body: TrafficChangeSchema,
    response: DeploymentSchema,
    handler: async ({ params, body, actor }) => setTraffic(ctx, params.name, body, actor, hooks),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/deployments/:name/promote',
    role: 'editor',
    summary: 'Make the canary the primary (the old primary is kept for rollback)',
    tags,
    params: DeploymentNameParam,
    response: DeploymentSchema,
    handler: async ({ params, actor }) => promote(ctx, params.name, actor, hooks),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/deployments/:name/rollback',
    role: 'editor',
    summary: 'Bring back the previous primary and clear the canary',
    tags,
    params: DeploymentNameParam,
    response: DeploymentSchema,
    handler: async ({ params, actor }) => rollback(ctx, params.name, actor, hooks),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/deployments/:name/primary',
    role: 'editor',
    summary: 'Switch the primary directly to another version (the old primary is kept for rollback)',
    tags,
    params: DeploymentNameParam,
    body: PrimarySchema,
    response: DeploymentSchema,
    handler: async ({ params, body, actor }) => setPrimary(ctx, params.name, body.model, actor, hooks),
  });
}
