/**
 * Shared by the deployments tests: a registry with servable (and unservable) versions, a
 * DeploymentHooks that records calls (the boundary to the serving runtime), and a small Fastify app
 * with the deployments routes behind the real error handler and auth.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Context } from '../../src/context.js';
import { setAlias } from '../../src/registry/aliases.js';
import { reviewVersion } from '../../src/registry/approvals.js';
import { createModel } from '../../src/registry/models.js';
import { createModelVersion } from '../../src/registry/versions.js';
import { registerAuth } from '../../src/server/auth.js';
import { registerErrorHandler } from '../../src/server/errors.js';
import { registerDeploymentRoutes } from '../../src/server/routes/v1/deployments.js';
import type {
  Deployment,
  DeploymentHooks,
  DeploymentSpec,
  DeploymentStatus,
} from '../../src/serving/types.js';
import { logregOnnx, putBlob } from '../registry/fixtures.js';

export type HookCall =
  | { hook: 'prepare'; name: string; spec: DeploymentSpec }
  | { hook: 'applied'; name: string; deployment: Deployment | null };

export interface RecordingHooks extends DeploymentHooks {
  calls: HookCall[];
  /** Called inside `prepare` (after recording): throw to refuse the spec, or interfere. */
  onPrepare: ((name: string, spec: DeploymentSpec) => Promise<void>) | null;
  statuses: Map<string, DeploymentStatus>;
}

export function recordingHooks(): RecordingHooks {
  const h: RecordingHooks = {
    calls: [],
    onPrepare: null,
    statuses: new Map(),
    async prepare(name, spec) {
      h.calls.push({ hook: 'prepare', name, spec: structuredClone(spec) });
      if (h.onPrepare) await h.onPrepare(name, spec);
    },
    async applied(name, deployment) {
      h.calls.push({ hook: 'applied', name, deployment: structuredClone(deployment) });
    },
    status: (name) => h.statuses.get(name) ?? null,
  };
  return h;
}

/**
 * `credit` v1–v4 (ONNX; v2 approved, champion → 2, challenger → 3), v5 registered from an S3
 * source (no ONNX), v6 ONNX but rejected; `fraud` v1 (ONNX).
 */
export async function seedRegistry(ctx: Context): Promise<void> {
  await createModel(ctx, { name: 'credit' }, 'alice');
  for (const seed of [1, 2, 3, 4]) {
    await createModelVersion(
      ctx,
      { name: 'credit', onnxSha256: await putBlob(ctx, logregOnnx(seed)) },
      'alice',
    );
  }
  await createModelVersion(ctx, { name: 'credit', source: 's3://bucket/credit/5' }, 'alice');
  await createModelVersion(ctx, { name: 'credit', onnxSha256: await putBlob(ctx, logregOnnx(6)) }, 'alice');
  await reviewVersion(ctx, 'credit', 2, { status: 'approved' }, 'admin');
  await reviewVersion(ctx, 'credit', 6, { status: 'rejected', reason: 'leaks the label' }, 'admin');
  await setAlias(ctx, 'credit', 'champion', 2, 'alice');
  await setAlias(ctx, 'credit', 'challenger', 3, 'alice');
  await createModelVersion(
    ctx,
    { name: 'fraud', createModel: true, onnxSha256: await putBlob(ctx, logregOnnx(7)) },
    'alice',
  );
}

/** The deployments routes as buildApp serves them: zod at the edge, the real auth and error handler. */
export async function deploymentApp(ctx: Context, hooks: DeploymentHooks): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerErrorHandler(app, app.initialConfig.bodyLimit ?? 0);
  app.removeContentTypeParser('text/plain');
  registerAuth(app, ctx, { allowLocal: true });
  registerDeploymentRoutes(app, ctx, hooks);
  await app.ready();
  return app;
}
