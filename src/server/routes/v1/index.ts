import type { FastifyInstance } from 'fastify';
import type { Context } from '../../../context.js';
import { registerAlertRoutes } from './alerts.js';
import { registerRunArtifacts } from './artifacts.js';
import { registerAudit } from './audit.js';
import { registerDatasetRoutes } from './datasets.js';
import { registerExperiments } from './experiments.js';
import { registerGateRoutes } from './gates.js';
import { registerJobRoutes } from './jobs.js';
import { registerModelRoutes } from './models.js';
import { registerMonitorRoutes } from './monitors.js';
import { registerPipelineRoutes } from './pipelines.js';
import { registerRuns } from './runs.js';
import { registerTokens } from './tokens.js';

/** The native camelCase API under /api/v1, documented in /api/v1/openapi.json. */
export function registerNativeRoutes(app: FastifyInstance, ctx: Context): void {
  registerExperiments(app, ctx);
  registerRuns(app, ctx);
  registerRunArtifacts(app, ctx);
  registerTokens(app, ctx);
  registerAudit(app, ctx);
  registerDatasetRoutes(app, ctx);
  registerModelRoutes(app, ctx);
  registerGateRoutes(app, ctx);
  registerAlertRoutes(app, ctx);
  registerMonitorRoutes(app, ctx);
  registerPipelineRoutes(app, ctx);
  registerJobRoutes(app, ctx);
}
