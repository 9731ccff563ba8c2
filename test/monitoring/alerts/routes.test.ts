import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { createChannel } from '../../../src/monitoring/alerts/channels.js';
import { AlertDeliverer } from '../../../src/monitoring/alerts/deliveries.js';
import { Keel, KeelApiError } from '../../../src/sdk/index.js';
import { buildApp } from '../../../src/server/app.js';
import { registerAuth } from '../../../src/server/auth.js';
import { registerErrorHandler } from '../../../src/server/errors.js';
import { registerAlertRoutes } from '../../../src/server/routes/v1/alerts.js';
import { DIALECTS, type TestEnv, testEnv } from '../../helpers/context.js';
import { insertEvent, insertMonitor, type Receiver, receiver, T0 } from './fixture.js';

const apiError = async (p: Promise<unknown>): Promise<KeelApiError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof KeelApiError) return e;
    throw e;
  }
  throw new Error('expected a KeelApiError');
};

/** Just the alert routes, on a small Fastify (as src/server/app.ts wires them). */
async function smallApp(env: TestEnv): Promise<FastifyInstance> {
  const app = Fastify({ forceCloseConnections: true });
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerErrorHandler(app, 1024 * 1024);
  registerAuth(app, env.ctx, { allowLocal: true });
  registerAlertRoutes(app, env.ctx);
  await app.ready();
  return app;
}

describe.each(DIALECTS)('alert channels and deliveries over REST and the SDK (%s)', (dialect) => {
  let env: TestEnv;
  let app: FastifyInstance;
  let keel: Keel;
  let hook: Receiver;
  const clock = new ManualClock(T0);
  beforeEach(async () => {
    env = await testEnv(dialect, { clock });
    app = await smallApp(env);
    keel = new Keel({ url: await app.listen({ port: 0, host: '127.0.0.1' }) });
    hook = await receiver([410]);
  });
  afterEach(async () => {
    await hook.close();
    await app.close();
    await env.cleanup();
  });

  it('creates, reads, lists and deletes channels; errors name the problem', async () => {
    const created = await keel.alerts.channels.create({
      name: 'ops',
      kind: 'webhook',
      url: hook.url,
      maxAttempts: 2,
    });
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(await keel.alerts.channels.get('ops')).toMatchObject({
      secret: null,
      hasSecret: true,
      maxAttempts: 2,
    });
    expect((await keel.alerts.channels.list()).map((c) => c.name)).toEqual(['log', 'ops']);

    const ftp = await apiError(
      keel.alerts.channels.create({ name: 'f', kind: 'webhook', url: 'ftp://x.example.com' }),
    );
    expect([ftp.status, ftp.code, ftp.field, ftp.message]).toEqual([
      400,
      'INVALID_PARAMETER_VALUE',
      'url',
      "webhook url must be http(s), got 'ftp:'",
    ]);
    const typo = await app.inject({
      method: 'POST',
      url: '/api/v1/alert-channels',
      payload: { name: 'x', kind: 'webhook', uri: 'http://a' },
    });
    expect(typo.statusCode).toBe(400);

    await insertMonitor(env.ctx, 'credit-mon', [{ name: 'drift', channels: ['ops'] }]);
    const used = await apiError(keel.alerts.channels.delete('ops'));
    expect([used.status, used.message]).toEqual([
      400,
      "Alert channel 'ops' is used by monitor credit-mon ('drift'); remove it from those rules first",
    ]);
    await env.ctx.store.db.deleteFrom('monitors').execute();
    await keel.alerts.channels.delete('ops');
    expect((await apiError(keel.alerts.channels.get('ops'))).status).toBe(404);
  });

  it('lists deliveries with their attempts and retries a failed one', async () => {
    await keel.alerts.channels.create({ name: 'ops', kind: 'webhook', url: hook.url });
    const { deliveryIds, eventId } = await insertEvent(env.ctx, ['log', 'ops'], { monitor: 'credit-mon' });
    await new AlertDeliverer(env.ctx).runOnce();

    const [failed] = await keel.alerts.deliveries.list({ monitor: 'credit-mon', status: 'failed' });
    expect(failed).toMatchObject({
      id: deliveryIds[0],
      eventId,
      eventKind: 'opened',
      status: 'failed',
      lastStatusCode: 410,
    });
    expect(failed?.history.map((a) => a.statusCode)).toEqual([410]);
    expect(await keel.alerts.deliveries.list({ monitor: 'other' })).toEqual([]);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/alert-deliveries?status=lost' });
    expect(bad.statusCode).toBe(400);

    const retried = await keel.alerts.deliveries.retry(deliveryIds[0]!);
    expect(retried).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0 });
    const again = await apiError(keel.alerts.deliveries.retry(deliveryIds[0]!));
    expect([again.status, again.message]).toEqual([
      400,
      `Alert delivery ${deliveryIds[0]} is pending; only failed deliveries can be retried`,
    ]);
  });
});

describe('the app sends queued deliveries by itself', () => {
  it('on its timer while it runs, and in one last pass when it closes', async () => {
    const env = await testEnv('sqlite');
    const hook = await receiver([200]);
    const app = await buildApp(env.ctx, { allowLocal: true });
    try {
      await createChannel(env.ctx, { name: 'ops', kind: 'webhook', url: hook.url }, 'alice');
      await insertEvent(env.ctx, ['ops']);
      for (let i = 0; i < 50 && hook.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(hook.requests).toHaveLength(1);
      // Queued just before close (a short CLI command): the last pass still sends it.
      await insertEvent(env.ctx, ['ops']);
      await app.close();
      expect(hook.requests).toHaveLength(2);
    } finally {
      await app.close();
      await hook.close();
      await env.cleanup();
    }
  });
});
