import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Worker threads need compiled JS: the runtime is imported from dist/ (npm run build; npm test does it).
import {
  DynamicBatcher,
  ModelPool,
  type QueueFullError,
  type RequestTimeoutError,
  ServedModel,
  type Tensors,
} from '../../dist/serving/runtime/index.js';
import { diff, type Fixture, feedsFor, fixture, SCORE } from './runtime-fixture.js';

let gbdt: Fixture;
let pool: ModelPool;

beforeAll(async () => {
  gbdt = await fixture('gbdt');
  pool = await ModelPool.start(gbdt.bytes, { workers: 2, warmup: feedsFor(gbdt.pipeline, SCORE, 0) });
});
afterAll(() => pool?.close());

const rejection = async (p: Promise<unknown>): Promise<Record<string, unknown>> => {
  try {
    await p;
  } catch (e) {
    return e as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
};

describe('ModelPool (worker threads, real onnxruntime)', () => {
  it('a single request equals in-process predict(), all outputs', async () => {
    const r = await pool.run(feedsFor(gbdt.pipeline, SCORE, 5, 3));
    expect(r.outputs.probabilities!.dims).toEqual([3, 2]);
    expect(r.outputs.probabilities!.data).toBeInstanceOf(Float32Array);
    expect(diff(r.outputs.probabilities!.data as Float32Array, gbdt.expected, 5)).toBeLessThanOrEqual(1e-6);
    expect(Object.keys(r.outputs).sort()).toEqual(['label', 'probabilities']);
    expect(r.runUs).toBeGreaterThan(0);
  });

  it('malformed requests get INVALID_PARAMETER_VALUE and the workers keep serving', async () => {
    // pool.run transfers the feeds' buffers, so each request gets fresh arrays.
    const good = (): Tensors => feedsFor(gbdt.pipeline, SCORE, 0);
    const wrongType = { ...good(), age: { type: 'float64', dims: [1, 1], data: new Float64Array([30]) } };
    const wrongWidth = { ...good(), age: { type: 'float32', dims: [1, 2], data: new Float32Array([30, 1]) } };
    const missing = good();
    delete missing.age;
    const badData = {
      ...good(),
      age: { type: 'float32', dims: [1, 1], data: [1] as unknown as Float32Array },
    };
    const sent = good();
    await pool.run(sent);
    const detached = sent; // its buffers now belong to the worker
    for (const feeds of [wrongType, wrongWidth, missing, badData, detached]) {
      const e = await rejection(pool.run(feeds));
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.status).toBe(400);
    }
    const r = await pool.run(feedsFor(gbdt.pipeline, SCORE, 7), ['probabilities']);
    expect(diff(r.outputs.probabilities!.data as Float32Array, gbdt.expected, 7)).toBeLessThanOrEqual(1e-6);
    expect(pool.size).toBe(2);
  });

  it('a model that cannot load rejects ready, with a typed error', async () => {
    const e = await rejection(ModelPool.start(new Uint8Array([1, 2, 3]), { warmup: {} }));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(String(e.message)).toMatch(/cannot load/);
  });
});

describe('DynamicBatcher', () => {
  it('batches concurrent single-row requests; each result equals predict() on its row', async () => {
    const b = new DynamicBatcher(pool, { maxBatchRows: 16, outputs: ['probabilities'] });
    const n = SCORE.rows;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => b.submit(feedsFor(gbdt.pipeline, SCORE, i))),
    );
    let worst = 0;
    results.forEach((r, i) => {
      expect(r.outputs.probabilities!.dims).toEqual([1, 2]);
      worst = Math.max(worst, diff(r.outputs.probabilities!.data as Float32Array, gbdt.expected, i));
      expect(r.queueUs).toBeGreaterThanOrEqual(0);
      expect(r.computeUs).toBeGreaterThan(0);
    });
    expect(worst).toBeLessThanOrEqual(1e-6);
    expect(Math.max(...results.map((r) => r.batchRows))).toBeGreaterThan(1);
    expect(Math.max(...results.map((r) => r.batchRows))).toBeLessThanOrEqual(16);
    expect(b.stats().rows).toBe(n);
    expect(b.stats().batches).toBeLessThan(n);
  });

  it('spreads a burst over the idle workers instead of filling one batch', async () => {
    const b = new DynamicBatcher(pool, { maxBatchRows: 64, outputs: ['probabilities'] });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => b.submit(feedsFor(gbdt.pipeline, SCORE, i))),
    );
    expect(results.map((r) => r.batchRows)).toEqual(new Array(20).fill(10));
    expect(b.stats()).toMatchObject({ batches: 2, rows: 20 });
  });

  it('multi-row requests split back by row counts; a malformed one fails alone', async () => {
    const b = new DynamicBatcher(pool, { maxBatchRows: 64, outputs: ['probabilities'] });
    const good = feedsFor(gbdt.pipeline, SCORE, 0);
    const wide = { ...good, age: { type: 'float32', dims: [1, 2], data: new Float32Array([30, 1]) } };
    const p = [
      b.submit(feedsFor(gbdt.pipeline, SCORE, 10, 5)),
      b.submit(wide),
      b.submit(feedsFor(gbdt.pipeline, SCORE, 20, 7)),
    ];
    const [r1, bad, r2] = await Promise.allSettled(p);
    expect(bad!.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason.code).toBe('INVALID_PARAMETER_VALUE');
    const a = (r1 as PromiseFulfilledResult<Awaited<(typeof p)[0]>>).value;
    const c = (r2 as PromiseFulfilledResult<Awaited<(typeof p)[0]>>).value;
    expect(a.outputs.probabilities!.dims).toEqual([5, 2]);
    expect(c.outputs.probabilities!.dims).toEqual([7, 2]);
    expect(diff(a.outputs.probabilities!.data as Float32Array, gbdt.expected, 10)).toBeLessThanOrEqual(1e-6);
    expect(diff(c.outputs.probabilities!.data as Float32Array, gbdt.expected, 20)).toBeLessThanOrEqual(1e-6);
    // Inconsistent rows across inputs are refused before queueing.
    const ragged = { ...good, age: { type: 'float32', dims: [2, 1], data: new Float32Array(2) } };
    expect((await rejection(b.submit(ragged))).code).toBe('INVALID_PARAMETER_VALUE');
    const next = await b.submit(feedsFor(gbdt.pipeline, SCORE, 3));
    expect(diff(next.outputs.probabilities!.data as Float32Array, gbdt.expected, 3)).toBeLessThanOrEqual(
      1e-6,
    );
  });

  it('a full queue rejects at once with TEMPORARILY_UNAVAILABLE and a retry-after', async () => {
    const b = new DynamicBatcher(pool, { maxBatchRows: 4, maxQueueRows: 10, outputs: ['probabilities'] });
    const all = Array.from({ length: 30 }, (_, i) => b.submit(feedsFor(gbdt.pipeline, SCORE, i)));
    const settled = await Promise.allSettled(all);
    const ok = settled.filter((s) => s.status === 'fulfilled').length;
    const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    expect(ok).toBe(10);
    expect(rejected).toHaveLength(20);
    const e = rejected[0]!.reason as QueueFullError;
    expect(e.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(e.status).toBe(503);
    expect(e.reason).toBe('queue_full');
    expect(e.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(b.stats().queuedRows).toBe(0);
    // A request larger than the whole queue can never fit: a 400, not a retry-after.
    const huge = await rejection(b.submit(feedsFor(gbdt.pipeline, SCORE, 0, 11)));
    expect(huge.code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('a request that waits past its timeout is rejected and its rows never run', async () => {
    const b = new DynamicBatcher(pool, { maxBatchRows: 64, maxDelayUs: 300_000, outputs: ['probabilities'] });
    const t0 = performance.now();
    const late = b.submit(feedsFor(gbdt.pipeline, SCORE, 0, 2), { timeoutMs: 20 });
    const e = (await rejection(late)) as unknown as RequestTimeoutError;
    expect(e.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(e.reason).toBe('timeout');
    expect(e.dispatched).toBe(false);
    expect(performance.now() - t0).toBeLessThan(250);
    expect(b.stats()).toMatchObject({ queuedRows: 0, batches: 0, rows: 0 });
    // The delay still applies to the next request: it waits for the batch window, then runs.
    const r = await b.submit(feedsFor(gbdt.pipeline, SCORE, 4));
    expect(r.queueUs).toBeGreaterThanOrEqual(250_000);
    expect(b.stats()).toMatchObject({ batches: 1, rows: 1 });
  });

  it('close() runs every queued request, then refuses new ones', async () => {
    const b = new DynamicBatcher(pool, {
      maxBatchRows: 8,
      maxDelayUs: 1_000_000,
      outputs: ['probabilities'],
    });
    const queued = Array.from({ length: 20 }, (_, i) => b.submit(feedsFor(gbdt.pipeline, SCORE, i)));
    await b.close();
    const results = await Promise.all(queued);
    results.forEach((r, i) => {
      expect(diff(r.outputs.probabilities!.data as Float32Array, gbdt.expected, i)).toBeLessThanOrEqual(1e-6);
    });
    expect((await rejection(b.submit(feedsFor(gbdt.pipeline, SCORE, 0)))).code).toBe(
      'TEMPORARILY_UNAVAILABLE',
    );
  });
});

describe('ModelPool.close', () => {
  it('drains in-flight runs before terminating the workers', async () => {
    const p = await ModelPool.start(gbdt.bytes, { workers: 1, warmup: feedsFor(gbdt.pipeline, SCORE, 0) });
    const runs = Array.from({ length: 50 }, (_, i) =>
      p.run(feedsFor(gbdt.pipeline, SCORE, i, 4), ['probabilities']),
    );
    await p.close();
    const results = await Promise.all(runs);
    results.forEach((r, i) => {
      expect(diff(r.outputs.probabilities!.data as Float32Array, gbdt.expected, i)).toBeLessThanOrEqual(1e-6);
    });
    expect(p.size).toBe(0);
    expect((await rejection(p.run(feedsFor(gbdt.pipeline, SCORE, 0)))).code).toBe('TEMPORARILY_UNAVAILABLE');
  });

  it('ServedModel.close drains the batcher and the pool', async () => {
    const m = await ServedModel.start(gbdt.bytes, {
      warmup: feedsFor(gbdt.pipeline, SCORE, 0),
      outputs: ['probabilities'],
    });
    const reqs = Array.from({ length: 40 }, (_, i) => m.infer(feedsFor(gbdt.pipeline, SCORE, i)));
    await m.close();
    expect((await Promise.all(reqs)).length).toBe(40);
  });
});
