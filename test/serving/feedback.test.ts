import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { KeelError } from '../../src/core/errors.js';
import { Keel } from '../../src/sdk/client.js';
import { registerAuth } from '../../src/server/auth.js';
import { registerErrorHandler } from '../../src/server/errors.js';
import { registerDatasetRoutes } from '../../src/server/routes/v1/datasets.js';
import { registerPredictionLogRoutes } from '../../src/server/routes/v1/predictions.js';
import { recordFeedback } from '../../src/serving/feedback.js';
import { PredictionLog } from '../../src/serving/log/log.js';
import { listPredictions } from '../../src/serving/log/query.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import { countRows, creditEvent, creditIO, insertDeployment, SPEC, T0 } from './log-fixture.js';

const error = async (p: Promise<unknown>): Promise<KeelError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof KeelError) return e;
    throw e;
  }
  throw new Error('expected a KeelError');
};

/** Logs requests r0..r{n-1} (two rows each) and waits until they are written. */
async function logPredictions(env: TestEnv, ids: string[]): Promise<void> {
  const log = new PredictionLog(env.config, { flushMs: 5 });
  for (const id of ids) log.record(creditEvent({ requestId: id, ages: [80, 20] }), creditIO(1), SPEC);
  await log.close();
}

/** The native API's pieces this suite needs, on a small Fastify (as src/server/app.ts wires them). */
async function smallApp(env: TestEnv): Promise<FastifyInstance> {
  // Keep-alive connections from the SDK's fetch must not hold app.close() up.
  const app = Fastify({ forceCloseConnections: true });
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerErrorHandler(app, 1024 * 1024);
  registerAuth(app, env.ctx, { allowLocal: true });
  registerPredictionLogRoutes(app, env.ctx);
  // For GET /api/v1/blobs/:sha256 (segment rows).
  registerDatasetRoutes(app, env.ctx);
  await app.ready();
  return app;
}

describe.each(DIALECTS)('prediction feedback (%s)', (dialect) => {
  let env: TestEnv;
  const clock = new ManualClock(T0 + 3_600_000);
  beforeEach(async () => {
    env = await testEnv(dialect, { clock });
    await insertDeployment(env.ctx);
  });
  afterEach(() => env.cleanup());

  it('joins labels to logged predictions; a later label replaces the earlier one', async () => {
    await logPredictions(env, ['r0', 'r1', 'r2']);
    const res = await recordFeedback(
      env.ctx,
      'credit-api',
      [
        { requestId: 'r0', label: 1, timestamp: T0 + 7_200_000 },
        { requestId: 'r0', row: 1, label: 0, timestamp: '2024-01-01T03:00:00Z' },
        { requestId: 'r1', label: 0 },
      ],
      'alice',
    );
    expect(res).toEqual({ accepted: 3, matched: 3, unmatched: [] });
    let page = await listPredictions(env.ctx, 'credit-api', { labelled: true });
    expect(
      page.predictions.map((p) => [p.requestId, p.row, p.prediction.label, p.label, p.labelTime]),
    ).toEqual([
      ['r0', 0, 1, 1, T0 + 7_200_000],
      ['r0', 1, 0, 0, T0 + 3 * 3_600_000],
      ['r1', 0, 1, 0, T0 + 3_600_000],
    ]);
    const unlabelled = await listPredictions(env.ctx, 'credit-api', { labelled: false });
    expect(unlabelled.predictions.map((p) => `${p.requestId}/${p.row}`)).toEqual(['r1/1', 'r2/0', 'r2/1']);

    // Hours later the outcome of r1 turns out different: the new label replaces the old.
    await recordFeedback(
      env.ctx,
      'credit-api',
      [{ requestId: 'r1', label: 1, timestamp: T0 + 9_000_000 }],
      'bob',
    );
    page = await listPredictions(env.ctx, 'credit-api', { labelled: true });
    expect(page.predictions.find((p) => p.requestId === 'r1')).toMatchObject({
      label: 1,
      labelTime: T0 + 9_000_000,
    });
    expect(await countRows(env.ctx, 'prediction_feedback')).toBe(3);
    const stored = await env.ctx.store.db
      .selectFrom('prediction_feedback')
      .selectAll()
      .where('request_id', '=', 'r1')
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ received_by: 'bob', received_at: T0 + 3_600_000, label: '1' });

    // Within one call the last label for a row wins too.
    const dup = await recordFeedback(
      env.ctx,
      'credit-api',
      [
        { requestId: 'r2', label: 'yes' },
        { requestId: 'r2', label: true },
      ],
      'bob',
    );
    expect(dup).toEqual({ accepted: 1, matched: 1, unmatched: [] });
    page = await listPredictions(env.ctx, 'credit-api', { labelled: true });
    expect(page.predictions.find((p) => p.requestId === 'r2')!.label).toBe(true);
  });

  it('keeps labels that arrive before their predictions; they join once the log is written', async () => {
    const res = await recordFeedback(
      env.ctx,
      'credit-api',
      [
        { requestId: 'early', label: 1 },
        { requestId: 'early', row: 1, label: 0 },
        { requestId: 'never', label: 0 },
      ],
      'alice',
    );
    expect(res).toEqual({ accepted: 3, matched: 0, unmatched: ['early', 'never'] });
    await logPredictions(env, ['early']);
    const page = await listPredictions(env.ctx, 'credit-api');
    expect(page.predictions.map((p) => [p.requestId, p.row, p.label])).toEqual([
      ['early', 0, 1],
      ['early', 1, 0],
    ]);
  });

  it('an unknown deployment is RESOURCE_DOES_NOT_EXIST', async () => {
    const e = await error(recordFeedback(env.ctx, 'nope', [{ requestId: 'r', label: 1 }], 'alice'));
    expect([e.code, e.status]).toEqual(['RESOURCE_DOES_NOT_EXIST', 404]);
    expect((await error(listPredictions(env.ctx, 'nope'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('bad items are INVALID_PARAMETER_VALUE naming the item, and nothing is written', async () => {
    const ok = { requestId: 'r', label: 1 };
    const cases: [unknown[], string][] = [
      [[ok, { requestId: '', label: 1 }], 'feedback[1].request_id'],
      [[ok, ok, { label: 1 }], 'feedback[2].request_id'],
      [[{ requestId: 'r', label: { a: 1 } }], 'feedback[0].label'],
      [[{ requestId: 'r' }], 'feedback[0].label'],
      [[ok, { requestId: 'r', label: Number.NaN }], 'feedback[1].label'],
      [[ok, { requestId: 'r', label: 1, timestamp: 'yesterday' }], 'feedback[1].timestamp'],
      [[{ requestId: 'r', label: 1, timestamp: 1.5 }], 'feedback[0].timestamp'],
      [[{ requestId: 'r', label: 1, row: -1 }], 'feedback[0].row'],
      [['r'], 'feedback[0]'],
      [[], 'feedback'],
      [Array.from({ length: 10_001 }, () => ok), 'feedback'],
    ];
    for (const [items, field] of cases) {
      const e = await error(recordFeedback(env.ctx, 'credit-api', items as never, 'alice'));
      expect([e.code, e.status, e.details?.field], field).toEqual(['INVALID_PARAMETER_VALUE', 400, field]);
    }
    expect(await countRows(env.ctx, 'prediction_feedback')).toBe(0);
  });

  describe('over HTTP', () => {
    let app: FastifyInstance;
    beforeEach(async () => {
      app = await smallApp(env);
    });
    afterEach(() => app.close());

    it('POST feedback takes an array or {feedback: [...]}, snake_case or camelCase ids', async () => {
      await logPredictions(env, ['h0', 'h1']);
      let res = await app.inject({
        method: 'POST',
        url: '/api/v1/deployments/credit-api/feedback',
        payload: [
          { request_id: 'h0', label: 1, timestamp: '2024-01-01T05:00:00.000Z' },
          { request_id: 'zz', label: 0 },
        ],
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ accepted: 2, matched: 1, unmatched: ['zz'] });
      res = await app.inject({
        method: 'POST',
        url: '/api/v1/deployments/credit-api/feedback',
        payload: { feedback: [{ requestId: 'h1', row: 1, label: 'approved' }] },
      });
      expect(res.json()).toEqual({ accepted: 1, matched: 1, unmatched: [] });

      res = await app.inject({
        method: 'GET',
        url: `/api/v1/deployments/credit-api/predictions?labelled=true&from=${T0}&to=2024-01-02T00:00:00Z`,
      });
      expect(res.statusCode).toBe(200);
      expect(
        res
          .json()
          .predictions.map((p: { requestId: string; row: number; label: unknown }) => [
            p.requestId,
            p.row,
            p.label,
          ]),
      ).toEqual([
        ['h0', 0, 1],
        ['h1', 1, 'approved'],
      ]);
      res = await app.inject({
        method: 'GET',
        url: '/api/v1/deployments/credit-api/predictions?limit=1&version=1',
      });
      expect(res.json().predictions).toHaveLength(1);
      expect(res.json().nextPageToken).toMatch(/^\d+:\d+$/);

      res = await app.inject({ method: 'GET', url: '/api/v1/deployments/credit-api/windows?route=primary' });
      expect(
        res.json().windows.map((w: { rows: number; windowStart: number }) => [w.windowStart, w.rows]),
      ).toEqual([[T0, 4]]);
      res = await app.inject({ method: 'GET', url: '/api/v1/deployments/credit-api/segments' });
      expect(res.json().segments).toMatchObject([{ windowStart: T0, rows: 4, seen: 4 }]);
    });

    it('bad bodies are 400 naming the item; an unknown deployment is 404', async () => {
      let res = await app.inject({
        method: 'POST',
        url: '/api/v1/deployments/credit-api/feedback',
        payload: [{ request_id: 'a', label: 1 }, { request_id: 'b' }],
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'feedback[1].label' });
      res = await app.inject({
        method: 'POST',
        url: '/api/v1/deployments/credit-api/feedback',
        payload: { labels: [] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'feedback' });
      res = await app.inject({
        method: 'POST',
        url: '/api/v1/deployments/ghost/feedback',
        payload: [{ request_id: 'a', label: 1 }],
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('RESOURCE_DOES_NOT_EXIST');
      res = await app.inject({
        method: 'GET',
        url: '/api/v1/deployments/credit-api/predictions?labelled=maybe',
      });
      expect(res.statusCode).toBe(400);
      expect(await countRows(env.ctx, 'prediction_feedback')).toBe(0);
    });

    it('the SDK sends feedback and reads predictions, windows and segment rows', async () => {
      await logPredictions(env, ['k0']);
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const keel = new Keel({ url });
      expect(await keel.predictions.feedback('credit-api', [{ requestId: 'k0', label: 1 }])).toEqual({
        accepted: 1,
        matched: 1,
        unmatched: [],
      });
      const page = await keel.predictions.predictions('credit-api', { labelled: true, from: new Date(T0) });
      expect(page.predictions.map((p) => [p.requestId, p.label])).toEqual([['k0', 1]]);
      const windows = await keel.predictions.windows('credit-api');
      expect(windows[0]!.rows).toBe(2);
      const [segment] = await keel.predictions.segments('credit-api');
      expect((await keel.predictions.segmentRows(segment!)).map((r) => r.request_id)).toEqual(['k0', 'k0']);
    });
  });
});
