import { beforeAll, describe, expect, it } from 'vitest';
// Worker threads need compiled JS: the runtime is imported from dist/ (npm run build; npm test does it).
import { type BatchedResult, ServedModel } from '../../dist/serving/runtime/index.js';
import { diff, type Fixture, feedsFor, fixture, SCORE } from './runtime-fixture.js';

let gbdt: Fixture;
let logistic: Fixture;

beforeAll(async () => {
  [gbdt, logistic] = await Promise.all([fixture('gbdt'), fixture('logistic')]);
});

const probs = (r: BatchedResult): Float32Array => r.outputs.probabilities!.data as Float32Array;

describe('ServedModel hot swap', () => {
  it('20 swaps under 2000 concurrent requests: none fails, outputs switch to the new model', async () => {
    const warmup = feedsFor(gbdt.pipeline, SCORE, 0);
    const m = await ServedModel.start(gbdt.bytes, {
      workers: 2,
      warmup,
      maxBatchRows: 32,
      maxQueueRows: 4096,
      outputs: ['probabilities'],
    });
    // The two models must disagree on the probe rows, or "switched" would prove nothing.
    expect(diff(logistic.expected.slice(0, 20), gbdt.expected, 0)).toBeGreaterThan(1e-3);
    const requests: Promise<{ row: number; r: BatchedResult }>[] = [];
    let stop = false;
    // Waves of 50 concurrent requests (at least 2000) for as long as a loop swaps gbdt ↔ logistic 20 times.
    const load = (async () => {
      for (let wave = 0; wave < 40 || !stop; wave++) {
        const batch = Array.from({ length: 50 }, (_, i) => {
          const row = (wave * 50 + i) % SCORE.rows;
          return m.infer(feedsFor(gbdt.pipeline, SCORE, row)).then((r) => ({ row, r }));
        });
        requests.push(...batch);
        await Promise.all(batch);
      }
    })();
    const models = [logistic, gbdt];
    for (let s = 0; s < 20; s++) await m.swap(models[s % 2]!.bytes);
    stop = true;
    await load;
    const settled = await Promise.allSettled(requests);
    const failed = settled.filter((s) => s.status === 'rejected');
    expect(failed).toEqual([]);
    // Every answer is exactly one of the two models' outputs for its row.
    let fromGbdt = 0;
    let fromLogistic = 0;
    for (const s of settled) {
      const { row, r } = (s as PromiseFulfilledResult<{ row: number; r: BatchedResult }>).value;
      if (diff(probs(r), gbdt.expected, row) <= 1e-6) fromGbdt++;
      else if (diff(probs(r), logistic.expected, row) <= 1e-6) fromLogistic++;
    }
    expect(fromGbdt + fromLogistic).toBe(settled.length);
    expect(fromLogistic).toBeGreaterThan(0);
    expect(fromGbdt).toBeGreaterThan(0);
    expect(settled.length).toBeGreaterThanOrEqual(2000);
    expect(m.generation).toBe(21);
    // 20 swaps end on gbdt; one more ends on logistic, and every new request sees it.
    await m.swap(logistic.bytes);
    const after = await m.infer(feedsFor(gbdt.pipeline, SCORE, 9));
    expect(diff(probs(after), logistic.expected, 9)).toBeLessThanOrEqual(1e-6);
    await m.close();
  });

  it('a model that fails to load is refused and the old one keeps serving', async () => {
    const m = await ServedModel.start(gbdt.bytes, {
      warmup: feedsFor(gbdt.pipeline, SCORE, 0),
      outputs: ['probabilities'],
    });
    const inflight = Array.from({ length: 100 }, (_, i) => m.infer(feedsFor(gbdt.pipeline, SCORE, i)));
    const garbage = new TextEncoder().encode('not an onnx model');
    await expect(m.swap(garbage)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    // A valid ONNX model whose inputs differ fails its warm-up: refused the same way.
    const other = await fixture('logistic');
    const badWarmup = { x: { type: 'float32', dims: [1, 1], data: new Float32Array(1) } };
    await expect(m.swap(other.bytes, { warmup: badWarmup })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    expect(m.generation).toBe(1);
    const results = await Promise.all(inflight);
    results.forEach((r, i) => {
      expect(diff(probs(r), gbdt.expected, i)).toBeLessThanOrEqual(1e-6);
    });
    const next = await m.infer(feedsFor(gbdt.pipeline, SCORE, 11));
    expect(diff(probs(next), gbdt.expected, 11)).toBeLessThanOrEqual(1e-6);
    await m.close();
  });
});
