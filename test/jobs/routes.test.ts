import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.js';
import { enqueue, enqueueMany, Worker } from '../../src/jobs/index.js';
import { Api } from '../../src/sdk/api.js';
import { KeelApiError } from '../../src/sdk/errors.js';
import { Jobs } from '../../src/sdk/jobs.js';
import { registerAuth } from '../../src/server/auth.js';
import { registerErrorHandler } from '../../src/server/errors.js';
import { InjectTransport } from '../../src/server/inject.js';
import { registerJobRoutes } from '../../src/server/routes/v1/jobs.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import { jobIn } from './helpers.js';

/** The job routes on the server's own auth and error handling (as buildApp sets them up). */
async function jobsApp(env: TestEnv): Promise<FastifyInstance> {
  const app = Fastify();
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerErrorHandler(app, 1 << 20);
  registerAuth(app, env.ctx, { allowLocal: true });
  registerJobRoutes(app, env.ctx);
  await app.ready();
  return app;
}

describe.each(DIALECTS)('/api/v1/jobs and the SDK (%s)', (dialect) => {
  let env: TestEnv;
  let app: FastifyInstance;
  let jobs: Jobs;
  beforeAll(async () => {
    env = await testEnv(dialect);
    app = await jobsApp(env);
    jobs = new Jobs(new Api(new InjectTransport(app)));
  });
  afterAll(async () => {
    await app.close();
    await env.cleanup();
  });
  beforeEach(async () => {
    await env.ctx.store.db.deleteFrom('jobs').execute();
  });

  it('lists, shows and retries a dead job', async () => {
    const [ok, bad] = await enqueueMany(env.ctx.store.db, [
      { kind: 'ok', payload: { x: 1 } },
      { kind: 'bad', maxAttempts: 1 },
    ]);
    let fixed = false;
    const w = new Worker(env.ctx, {
      pollMs: 20,
      handlers: {
        ok: { run: async () => ({ y: 2 }) },
        bad: {
          run: async () => {
            if (!fixed) throw new Error('bucket missing');
            return 'now fine';
          },
        },
      },
    });
    w.start();
    try {
      await jobIn(env, ok!, 'succeeded');
      await jobIn(env, bad!, 'dead');
      expect((await jobs.list()).map((j) => [j.id, j.kind, j.status])).toEqual([
        [bad, 'bad', 'dead'],
        [ok, 'ok', 'succeeded'],
      ]);
      expect((await jobs.list({ status: 'dead' })).map((j) => j.id)).toEqual([bad]);
      expect((await jobs.list({ kind: 'ok', limit: 5 })).map((j) => j.id)).toEqual([ok]);
      expect(await jobs.get(ok!)).toMatchObject({ payload: { x: 1 }, result: { y: 2 }, attempts: 1 });
      const dead = await jobs.get(bad!);
      expect(dead).toMatchObject({
        lastError: 'bucket missing',
        errors: [{ attempt: 1, error: 'bucket missing' }],
      });
      fixed = true;
      expect(await jobs.retry(bad!)).toMatchObject({ status: 'queued', attempts: 0 });
      expect(await jobIn(env, bad!, 'succeeded')).toMatchObject({ result: 'now fine', attempts: 1 });
    } finally {
      await w.stop();
    }
  });

  it('answers bad requests and unknown jobs with the native error shape', async () => {
    const notFound = await app.inject({ method: 'GET', url: '/api/v1/jobs/77' });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json()).toMatchObject({
      error: { code: 'RESOURCE_DOES_NOT_EXIST', message: 'Job 77 does not exist' },
    });
    const badStatus = await app.inject({ method: 'GET', url: '/api/v1/jobs?status=finished' });
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json().error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'status' });
    const badLimit = await app.inject({ method: 'GET', url: '/api/v1/jobs?limit=5000' });
    expect(badLimit.json().error.message).toMatch(/limit must be a whole number from 1 to 1000/);
    const id = await enqueue(env.ctx.store.db, { kind: 'k' });
    const e = await jobs.retry(id).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KeelApiError);
    expect((e as KeelApiError).message).toMatch(/is queued and has not failed yet/);
  });

  it('retrying needs the editor role once tokens exist', async () => {
    const { token } = await createToken(env.ctx, 'reader', 'viewer', 'admin');
    try {
      const id = await enqueue(env.ctx.store.db, { kind: 'k' });
      const headers = { authorization: `Bearer ${token}` };
      expect((await app.inject({ method: 'GET', url: `/api/v1/jobs/${id}`, headers })).statusCode).toBe(200);
      const r = await app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/retry`, headers, payload: {} });
      expect(r.statusCode).toBe(403);
    } finally {
      await env.ctx.store.db.deleteFrom('api_tokens').execute();
    }
  });
});
