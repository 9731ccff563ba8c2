import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Context } from '../context.js';
import { AlertDeliverer } from '../monitoring/alerts/deliveries.js';
import { MonitorScheduler } from '../monitoring/scheduler.js';
import { RolloutScheduler } from '../rollouts/scheduler.js';
import { PredictionLog } from '../serving/log/log.js';
import { ServingManager } from '../serving/manager.js';
import { ServingMetrics } from '../serving/metrics.js';
import { type AuthOptions, registerAuth } from './auth.js';
import { pipelineWorker, triggerScheduler, type WorkerSettings } from './automation.js';
import { registerErrorHandler } from './errors.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerArtifactProxy } from './routes/mlflow/artifacts.js';
import { registerExperimentRoutes } from './routes/mlflow/experiments.js';
import { registerModelRegistryRoutes } from './routes/mlflow/registry-models.js';
import { registerRunRoutes } from './routes/mlflow/runs.js';
import { registerServingRoutes } from './routes/serving/index.js';
import { registerDeploymentRoutes } from './routes/v1/deployments.js';
import { registerNativeRoutes } from './routes/v1/index.js';
import { registerPredictionLogRoutes } from './routes/v1/predictions.js';
import { registerRolloutRoutes } from './routes/v1/rollouts.js';

export interface AppOptions extends AuthOptions {
  bodyLimit?: number;
  /** Fastify request logging (off in tests and CLI local mode). */
  logRequests?: boolean;
  /**
   * `eager` (keel server): load every deployment before answering and follow changes made by other
   * replicas; `lazy` (default; CLI local mode, tests): load a deployment on its first request.
   */
  serving?: 'eager' | 'lazy';
  /** How often eager serving re-reads deployments (ms). */
  reconcileMs?: number;
  /** How often eager serving retries versions that failed to load (ms). */
  retryFailedMs?: number;
  /** Send queued alert webhooks from this process (default true; tests turn it off and call runOnce). */
  deliveries?: boolean;
  /**
   * Evaluate monitors on their schedule (default: on with eager serving, i.e. `keel server`);
   * CLI local mode evaluates only when asked (`keel monitor run`).
   */
  monitorSchedule?: boolean;
  /** How often the schedule looks for closed windows and new labels (ms). */
  monitorIntervalMs?: number;
  /**
   * Run pipeline steps from the job queue in this process (default: on with eager serving, i.e.
   * `keel server`; `keel worker` runs more elsewhere).
   */
  pipelineWorker?: boolean | WorkerSettings;
  /** Start pipeline runs from their triggers: cron, alerts, dataset versions (default: with eager serving). */
  pipelineTriggers?: boolean;
  /** How often triggers look for new events (ms). */
  triggerIntervalMs?: number;
  /** Analyse running rollouts and move them on (default: with eager serving). */
  rollouts?: boolean;
  /** How often running rollouts are analysed (ms). */
  rolloutIntervalMs?: number;
  /**
   * How often the prediction log writes window profiles and sampled rows (ms; default 5,000 and
   * 30,000): what monitors and retraining snapshots see lags by at most this.
   */
  logIntervals?: { profileMs?: number; segmentMs?: number };
}

declare module 'fastify' {
  interface FastifyInstance {
    serving: ServingManager;
  }
}

/**
 * Builds the HTTP app on a context: the MLflow REST API, the artifact proxy, the native
 * `/api/v1` API with its OpenAPI document, and health. Not listening yet: `server/start.ts` does that,
 * and CLI local mode and tests call it in-process with `app.inject()`.
 */
export async function buildApp(ctx: Context, opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024,
    logger: opts.logRequests ? { level: 'info' } : false,
    routerOptions: {
      ignoreTrailingSlash: true,
      // Metric keys may be 250 characters and experiment names 500, percent-encoded in paths.
      maxParamLength: 2048,
      // `key[]=v` (as some MLflow clients send) parses as `key`.
      querystringParser: (s) => {
        const out: Record<string, string | string[]> = {};
        for (const [rawKey, v] of new URLSearchParams(s)) {
          const k = rawKey.replace(/\[\d*\]$/, '');
          const prev = out[k];
          out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        }
        return out;
      },
    },
  });
  // Inputs are parsed by zod in route.ts; responses are plain JSON (protobuf-style NaN strings included).
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerErrorHandler(app, app.initialConfig.bodyLimit ?? 0);
  // JSON routes take JSON only: without this, a text/plain body would reach the schema as a string.
  app.removeContentTypeParser('text/plain');
  registerAuth(app, ctx, opts);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keel API',
        version: '0.1.0',
        description: 'Native Keel API and the MLflow-compatible REST API.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  registerHealthRoutes(app, ctx);
  registerExperimentRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  registerModelRegistryRoutes(app, ctx);
  await registerArtifactProxy(app, ctx);
  registerNativeRoutes(app, ctx);
  const deliverer = opts.deliveries === false ? null : new AlertDeliverer(ctx, { intervalMs: 1000 });
  app.addHook('onClose', async () => deliverer?.stop());
  const schedule = opts.monitorSchedule ?? opts.serving === 'eager';
  const scheduler = schedule
    ? new MonitorScheduler(
        ctx,
        opts.monitorIntervalMs === undefined ? {} : { intervalMs: opts.monitorIntervalMs },
      )
    : null;
  app.addHook('onClose', async () => scheduler?.stop());
  const metrics: ServingMetrics = new ServingMetrics({ queuedRows: () => serving.queued() });
  const log = new PredictionLog(ctx.config, { logger: ctx.logger, ...opts.logIntervals });
  const serving: ServingManager = new ServingManager(ctx, {
    mode: opts.serving ?? 'lazy',
    metrics,
    log,
    ...(opts.reconcileMs === undefined ? {} : { reconcileMs: opts.reconcileMs }),
    ...(opts.retryFailedMs === undefined ? {} : { retryFailedMs: opts.retryFailedMs }),
  });
  log.onDrop((deployment, reason, rows) => metrics.logDrop(deployment, reason, rows));
  app.decorate('serving', serving);
  // Closing the app drains every deployment and flushes the prediction log: nothing accepted is lost.
  app.addHook('onClose', async () => serving.close());
  registerDeploymentRoutes(app, ctx, serving);
  registerRolloutRoutes(app, ctx, serving);
  registerPredictionLogRoutes(app, ctx);
  await registerServingRoutes(app, serving, metrics);
  app.get('/api/v1/openapi.json', { config: { role: 'viewer' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  const eager = opts.serving === 'eager';
  const workerOpt = opts.pipelineWorker ?? eager;
  const worker = workerOpt ? pipelineWorker(ctx, app, workerOpt === true ? {} : workerOpt) : null;
  const triggers = (opts.pipelineTriggers ?? eager) ? triggerScheduler(ctx, opts.triggerIntervalMs) : null;
  const rollouts =
    (opts.rollouts ?? eager)
      ? new RolloutScheduler(
          ctx,
          serving,
          opts.rolloutIntervalMs === undefined ? {} : { intervalMs: opts.rolloutIntervalMs },
        )
      : null;
  // preClose runs before every onClose hook: stop what drives work into the app before it drains.
  app.addHook('preClose', async () => {
    await triggers?.stop();
    await rollouts?.stop();
    await worker?.stop();
  });
  await app.ready();
  await serving.start();
  deliverer?.start();
  scheduler?.start();
  worker?.start();
  triggers?.start();
  rollouts?.start();
  return app;
}
