import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Context, closeContext, openContext } from '../../../src/context.js';
import { ManualClock } from '../../../src/core/clock.js';
import { KeelError } from '../../../src/core/errors.js';
import { createChannel, deleteChannel } from '../../../src/monitoring/alerts/channels.js';
import {
  AlertDeliverer,
  getDelivery,
  listDeliveries,
  logEvent,
  nextDelay,
  retryDelivery,
} from '../../../src/monitoring/alerts/deliveries.js';
import { verifySignature } from '../../../src/monitoring/alerts/sign.js';
import type { AlertEventPayload } from '../../../src/monitoring/types.js';
import { DIALECTS, type TestEnv, testEnv } from '../../helpers/context.js';
import { insertEvent, type Receiver, receiver, refusingUrl, T0 } from './fixture.js';

const codes = async (ctx: Context, id: number) =>
  (await getDelivery(ctx, id)).history.map((a) => a.statusCode);

describe('backoff', () => {
  it('doubles from backoffMs with ±10% jitter, capped at one hour', () => {
    expect([1, 2, 3, 4].map((n) => nextDelay(1000, n, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(nextDelay(1000, 3, () => 0)).toBe(3600);
    expect(nextDelay(1000, 3, () => 0.999_999)).toBe(4400);
    expect(nextDelay(1000, 30, () => 0.999_999)).toBe(3_600_000);
    expect(nextDelay(3_600_000, 1, () => 0)).toBe(3_240_000);
  });
});

describe.each(DIALECTS)('alert deliveries (%s)', (dialect) => {
  let env: TestEnv;
  let clock: ManualClock;
  let hook: Receiver | null;
  let secret: string;
  const deliverer = (ctx = env.ctx) => new AlertDeliverer(ctx, { random: () => 0.5 });
  const channel = async (url: string, opts: { maxAttempts?: number; timeoutMs?: number } = {}) => {
    secret = (await createChannel(env.ctx, { name: 'ops', kind: 'webhook', url, ...opts }, 'alice')).secret!;
  };
  beforeEach(async () => {
    clock = new ManualClock(T0 + 7_200_000);
    env = await testEnv(dialect, { clock });
    hook = null;
  });
  afterEach(async () => {
    await hook?.close();
    await env.cleanup();
  });

  it('retries with growing backoff until a 2xx, sending the stored payload signed', async () => {
    hook = await receiver([500, 500, 200]);
    await channel(hook.url);
    const ev = await insertEvent(env.ctx, ['log', 'ops']);
    expect(ev.deliveryIds).toHaveLength(1);
    const id = ev.deliveryIds[0]!;
    const d = deliverer();

    const due: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await d.runOnce()).toBe(1);
      const row = await getDelivery(env.ctx, id);
      if (row.nextAttemptAt !== null) due.push(row.nextAttemptAt - clock.now());
      // Not due again until its backoff has passed.
      expect(await d.runOnce()).toBe(0);
      clock.advance(due.at(-1) ?? 0);
    }
    expect(due).toEqual([1000, 2000]);
    const done = await getDelivery(env.ctx, id);
    expect(done).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 200,
      nextAttemptAt: null,
    });
    expect(done).toMatchObject({
      eventKind: 'opened',
      monitor: 'credit-mon',
      rule: 'drift_share >= 0.5',
      channel: 'ops',
    });
    expect(done.history.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(done.history.map((a) => a.at)).toEqual([T0 + 7_200_000, T0 + 7_201_000, T0 + 7_203_000]);
    expect(done.history[0]!.error).toBe('answer 500');

    expect(hook.requests).toHaveLength(3);
    for (const r of hook.requests) {
      expect(r.body.equals(Buffer.from(ev.payload, 'utf8'))).toBe(true);
      expect(verifySignature(secret, r.body, r.headers['x-keel-signature'])).toBe(true);
      expect(verifySignature('another-secret-entirely', r.body, r.headers['x-keel-signature'])).toBe(false);
      expect(r.headers).toMatchObject({
        'content-type': 'application/json',
        'x-keel-event': 'alert.opened',
        'x-keel-delivery': String(id),
      });
      expect(r.headers['user-agent']).toMatch(/^keel-alerts\/\d/);
    }
    expect((JSON.parse(hook.requests[0]!.body.toString()) as AlertEventPayload).id).toBe(ev.eventId);
  });

  it('fails after maxAttempts; retry queues a new round and is audited', async () => {
    hook = await receiver([503, 503, 503, 204]);
    await channel(hook.url, { maxAttempts: 3 });
    const { deliveryIds } = await insertEvent(env.ctx, ['ops'], { kind: 'resolved' });
    const id = deliveryIds[0]!;
    const d = deliverer();
    for (let i = 0; i < 5; i++) {
      await d.runOnce();
      clock.advance(60_000);
    }
    expect(hook.requests).toHaveLength(3);
    expect(hook.requests[0]!.headers['x-keel-event']).toBe('alert.resolved');
    expect(await getDelivery(env.ctx, id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastStatusCode: 503,
    });
    expect((await listDeliveries(env.ctx, { status: 'failed' })).map((x) => x.id)).toEqual([id]);
    expect(await listDeliveries(env.ctx, { status: 'pending' })).toEqual([]);

    const again = await retryDelivery(env.ctx, id, 'carol');
    expect(again).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: clock.now() });
    await d.runOnce();
    expect(await getDelivery(env.ctx, id)).toMatchObject({
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 204,
    });
    expect(await codes(env.ctx, id)).toEqual([503, 503, 503, 204]);
    const audit = await env.ctx.store.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('seq', 'desc')
      .executeTakeFirst();
    expect([audit?.action, audit?.object_id, audit?.actor]).toEqual([
      'alert_delivery.retry',
      String(id),
      'carol',
    ]);

    const e = await retryDelivery(env.ctx, id, 'carol').catch((x: unknown) => x as KeelError);
    expect(e).toBeInstanceOf(KeelError);
    expect((e as KeelError).message).toBe(
      `Alert delivery ${id} is delivered; only failed deliveries can be retried`,
    );
    expect(((await retryDelivery(env.ctx, 999, 'carol').catch((x: unknown) => x)) as KeelError).status).toBe(
      404,
    );
  });

  it('410 Gone fails at once', async () => {
    hook = await receiver([410, 200]);
    await channel(hook.url);
    const { deliveryIds } = await insertEvent(env.ctx, ['ops']);
    await deliverer().runOnce();
    clock.advance(3_600_000);
    await deliverer().runOnce();
    expect(hook.requests).toHaveLength(1);
    expect(await getDelivery(env.ctx, deliveryIds[0]!)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatusCode: 410,
    });
  });

  it('records network errors and timeouts as attempts without a status code', async () => {
    hook = await receiver([200], 2000);
    await channel(hook.url, { timeoutMs: 200 });
    await createChannel(env.ctx, { name: 'closed', kind: 'webhook', url: await refusingUrl() }, 'alice');
    const { deliveryIds } = await insertEvent(env.ctx, ['ops', 'closed']);
    expect(await deliverer().runOnce()).toBe(2);
    const [closed, slow] = await Promise.all(deliveryIds.map((i) => getDelivery(env.ctx, i)));
    expect(closed).toMatchObject({ channel: 'closed', status: 'pending', attempts: 1, lastStatusCode: null });
    expect(closed!.lastError).toContain('ECONNREFUSED');
    expect(slow).toMatchObject({ channel: 'ops', status: 'pending', lastStatusCode: null });
    expect(slow!.lastError).toBe('timed out after 200 ms');
    expect(slow!.history[0]!.durationMs).toBeGreaterThanOrEqual(150);
  });

  it('a delivery whose channel was deleted fails with a clear error', async () => {
    await channel(await refusingUrl());
    const { deliveryIds } = await insertEvent(env.ctx, ['ops']);
    await deleteChannel(env.ctx, 'ops', 'alice');
    await deliverer().runOnce();
    expect(await getDelivery(env.ctx, deliveryIds[0]!)).toMatchObject({
      status: 'failed',
      lastError: "channel 'ops' no longer exists",
      history: [],
    });
  });

  it('two deliverers on separate connections send each delivery exactly once', async () => {
    hook = await receiver([200], 30);
    await channel(hook.url);
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(...(await insertEvent(env.ctx, ['ops'])).deliveryIds);
    const replica = await openContext(env.config, { clock });
    try {
      const [a, b] = await Promise.all([deliverer().runOnce(), deliverer(replica).runOnce()]);
      expect(a + b).toBe(6);
      const [a2, b2] = await Promise.all([deliverer().runOnce(), deliverer(replica).runOnce()]);
      expect(a2 + b2).toBe(0);
    } finally {
      await closeContext(replica);
    }
    const sent = hook.requests.map((r) => Number(r.headers['x-keel-delivery'])).sort((x, y) => x - y);
    expect(sent).toEqual(ids);
    const all = await listDeliveries(env.ctx, {});
    expect(all.map((x) => [x.id, x.status, x.history.length])).toEqual(
      [...ids].reverse().map((i) => [i, 'delivered', 1]),
    );
  });

  it('queues webhooks only, filters the log by monitor, and logEvent writes to the server log', async () => {
    await channel(await refusingUrl());
    await createChannel(env.ctx, { name: 'local-log', kind: 'log' }, 'alice');
    const a = await insertEvent(env.ctx, ['log', 'local-log', 'ops', 'ops'], { monitor: 'm1' });
    const b = await insertEvent(env.ctx, ['log'], { monitor: 'm2' });
    const c = await insertEvent(env.ctx, ['ops'], { monitor: 'm2' });
    expect([a.deliveryIds.length, b.deliveryIds.length, c.deliveryIds.length]).toEqual([1, 0, 1]);
    expect((await listDeliveries(env.ctx, { monitor: 'm2' })).map((x) => x.eventId)).toEqual([c.eventId]);
    expect((await listDeliveries(env.ctx, { eventId: a.eventId })).map((x) => x.id)).toEqual(a.deliveryIds);
    expect((await listDeliveries(env.ctx, { limit: 1 })).map((x) => x.id)).toEqual(c.deliveryIds);
    await expect(listDeliveries(env.ctx, { limit: 0 })).rejects.toThrow(
      'limit must be an integer from 1 to 1000',
    );

    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk, _enc, done) => {
        lines.push(String(chunk));
        done();
      },
    });
    logEvent(pino({ level: 'info' }, sink), JSON.parse(a.payload) as AlertEventPayload);
    const entry = JSON.parse(lines[0]!) as { level: number; msg: string; alertEvent: AlertEventPayload };
    expect(entry.level).toBe(50);
    expect(entry.msg).toBe(
      'alert.opened m1/drift_share >= 0.5 on primary (critical): drift share 0.75 ≥ 0.5 — age, région',
    );
    expect(entry.alertEvent.id).toBe(a.eventId);
  });
});
