import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBlobStore } from '../../src/artifacts/index.js';
import { blobReferenced } from '../../src/artifacts/references.js';
import { type Context, closeContext } from '../../src/context.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { PredictionLog } from '../../src/serving/log/log.js';
import { readSegment } from '../../src/serving/log/persist.js';
import { listPredictions, listSegments, listWindows } from '../../src/serving/log/query.js';
import { mergeSamples, Reservoir } from '../../src/serving/log/reservoir.js';
import type { ModelIO } from '../../src/serving/types.js';
import type { ColumnProfile } from '../../src/stats/types.js';
import { openStore } from '../../src/store/db.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import {
  AGE_EDGES,
  countRows,
  creditEvent,
  creditIO,
  insertDeployment,
  insertModelWithReference,
  SPEC,
  T0,
} from './log-fixture.js';

const col = (cols: ColumnProfile[], name: string): ColumnProfile => {
  const c = cols.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
};

/** Counts of `ages` on AGE_EDGES (last bin closed), as the histogram should hold them. */
const binCounts = (ages: number[]): number[] => {
  const counts = new Array(AGE_EDGES.length - 1).fill(0);
  for (const a of ages) {
    let i = AGE_EDGES.findIndex((e, j) => j < AGE_EDGES.length - 1 && a >= e && a < AGE_EDGES[j + 1]!);
    if (i < 0 && a === AGE_EDGES[AGE_EDGES.length - 1]) i = AGE_EDGES.length - 2;
    counts[i]++;
  }
  return counts;
};

describe.each(DIALECTS)('prediction log (%s)', (dialect) => {
  let env: TestEnv;
  let log: PredictionLog | null = null;
  beforeEach(async () => {
    env = await testEnv(dialect);
    await insertDeployment(env.ctx);
    await insertModelWithReference(env.ctx);
  });
  afterEach(async () => {
    await log?.close();
    log = null;
    await env.cleanup();
  });

  it('profiles inputs and outputs per version, route and event-time window; two flushes merge', async () => {
    log = new PredictionLog(env.config, { flushMs: 5 });
    const io1 = creditIO(1);
    const io2 = creditIO(2);
    const first = [
      [10, 30, 50, 70],
      [15, 35, 55, 75],
      [90, 95, 100, 5],
    ];
    for (const [i, ages] of first.entries()) log.record(creditEvent({ requestId: `a${i}`, ages }), io1, SPEC);
    log.record(creditEvent({ requestId: 'c0', ages: [40, 60], version: 2, route: 'canary' }), io2, SPEC);
    // Event time, not arrival: this one belongs to the next minute's window.
    log.record(creditEvent({ requestId: 'n0', ages: [20, 21, 22], eventTime: T0 + 61_000 }), io1, SPEC);
    await log.flush();

    let windows = await listWindows(env.ctx, 'credit-api');
    expect(windows.map((w) => [w.version, w.route, w.windowStart, w.windowMs, w.rows])).toEqual([
      [1, 'primary', T0, 60_000, 12],
      [2, 'canary', T0, 60_000, 2],
      [1, 'primary', T0 + 60_000, 60_000, 3],
    ]);
    const w0 = windows[0]!;
    expect(w0.model).toBe('credit');
    expect(w0.profile.columns.map((c) => c.name)).toEqual([
      'age',
      'region',
      'prediction.label',
      'prediction.score',
    ]);
    const age = col(w0.profile.columns, 'age');
    // Binned on the training dataset's edges, so windows merge exactly.
    expect(age.histogram).toMatchObject({ edges: AGE_EDGES, fixed: true, counts: binCounts(first.flat()) });
    expect(age.moments!.count).toBe(12);
    expect(age.moments!.max).toBe(100);
    expect(Object.fromEntries(col(w0.profile.columns, 'region').top!.items)).toEqual({ south: 6, north: 6 });
    const label = col(w0.profile.columns, 'prediction.label');
    expect(Object.fromEntries(label.top!.items)).toEqual({ '0': 5, '1': 7 });
    const score = col(w0.profile.columns, 'prediction.score');
    expect(score.histogram!.edges).toHaveLength(21);
    expect(score.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(12);
    // Version 2 has no registered reference: its histograms derive from the window's own sketch.
    expect(col(windows[1]!.profile.columns, 'age').histogram!.fixed).toBeUndefined();

    const second = [
      [25, 45, 65, 85],
      [11, 12, 13, 14],
    ];
    for (const [i, ages] of second.entries()) {
      log.record(creditEvent({ requestId: `b${i}`, ages, eventTime: T0 + 59_999 }), io1, SPEC);
    }
    await log.flush();
    windows = await listWindows(env.ctx, 'credit-api', { version: 1, route: 'primary', to: T0 + 60_000 });
    expect(windows).toHaveLength(1);
    expect(windows[0]!.rows).toBe(20);
    const merged = col(windows[0]!.profile.columns, 'age');
    expect(merged.count).toBe(20);
    expect(merged.histogram!.counts).toEqual(binCounts([...first.flat(), ...second.flat()]));
    expect(merged.moments!.mean).toBeCloseTo(
      [...first.flat(), ...second.flat()].reduce((a, b) => a + b) / 20,
      4,
    );
    expect(col(windows[0]!.profile.columns, 'prediction.label').count).toBe(20);

    expect(log.stats()).toEqual({ accepted: 25, dropped: {}, pendingRows: 0, written: 25 });
  });

  it('writes one record per predicted row with its prediction, route and event time', async () => {
    log = new PredictionLog(env.config, { flushMs: 5 });
    log.record(creditEvent({ requestId: 'r1', ages: [80, 20] }), creditIO(1), SPEC);
    log.record(
      creditEvent({ requestId: 'r1', ages: [80, 20], version: 2, route: 'shadow', eventTime: T0 + 5000 }),
      creditIO(2),
      SPEC,
    );
    await log.flush();
    expect(await countRows(env.ctx, 'prediction_records')).toBe(4);
    const { predictions } = await listPredictions(env.ctx, 'credit-api');
    expect(predictions[0]).toEqual({
      requestId: 'r1',
      row: 0,
      model: 'credit',
      version: 1,
      route: 'primary',
      eventTime: T0 + 1000,
      latencyUs: 250,
      prediction: {
        label: 1,
        score: Math.fround(0.8),
        probabilities: { '0': 1 - Math.fround(0.8), '1': Math.fround(0.8) },
      },
      label: null,
      labelTime: null,
    });
    expect(predictions[1]).toMatchObject({ row: 1, prediction: { label: 0 } });
    expect(predictions.slice(2).map((p) => [p.version, p.route, p.eventTime])).toEqual([
      [2, 'shadow', T0 + 5000],
      [2, 'shadow', T0 + 5000],
    ]);
    const shadow = await listPredictions(env.ctx, 'credit-api', { route: 'shadow', limit: 1 });
    expect(shadow.predictions).toHaveLength(1);
    const next = await listPredictions(env.ctx, 'credit-api', {
      route: 'shadow',
      pageToken: shadow.nextPageToken,
    });
    expect(next.predictions.map((p) => p.row)).toEqual([1]);
    expect(next.nextPageToken).toBeUndefined();
  });

  it('keeps a bounded uniform sample per window in JSON-lines segments, merged across flushes', async () => {
    log = new PredictionLog(env.config, { flushMs: 5 });
    const io = creditIO(1);
    const ids = new Set<string>();
    for (let i = 0; i < 10; i++) {
      ids.add(`s${i}`);
      log.record(creditEvent({ requestId: `s${i}`, ages: [i, i + 10] }), io, SPEC);
    }
    log.record(creditEvent({ requestId: 'late', ages: [33], eventTime: T0 + 120_000 }), io, SPEC);
    await log.flush();
    let segments = await listSegments(env.ctx, 'credit-api');
    expect(segments.map((s) => [s.windowStart, s.windowMs, s.rows, s.seen])).toEqual([
      [T0, 60_000, 5, 20],
      [T0 + 120_000, 60_000, 1, 1],
    ]);
    const rows = await readSegment(env.ctx.blobs, segments[0]!.sha256);
    expect(rows).toHaveLength(5);
    for (const r of rows) {
      expect(ids.has(r.request_id)).toBe(true);
      expect(r).toMatchObject({ model: 'credit', version: 1, route: 'primary', event_time: T0 + 1000 });
      expect(Object.keys(r.inputs)).toEqual(['age', 'region']);
      expect(typeof r.inputs.age).toBe('number');
      const p = r.prediction as { label: number; score: number };
      expect(p.score).toBeCloseTo((r.inputs.age as number) / 100, 5);
    }
    const before = segments[0]!.sha256;
    expect(await blobReferenced(env.ctx.store.db, before)).toBe(true);

    for (let i = 0; i < 10; i++) log.record(creditEvent({ requestId: `t${i}`, ages: [50] }), io, SPEC);
    await log.flush();
    segments = await listSegments(env.ctx, 'credit-api', { to: T0 + 60_000 });
    expect(segments.map((s) => [s.rows, s.seen])).toEqual([[5, 30]]);
    expect(segments[0]!.sha256).not.toBe(before);
    // The replaced sample's blob is gone: nothing refers to it any more.
    expect(await env.ctx.blobs.head(before)).toBeNull();
    const after = await readSegment(env.ctx.blobs, segments[0]!.sha256);
    expect(after).toHaveLength(5);
    expect(new Set(after.map((r) => `${r.request_id}/${r.row}`)).size).toBe(5);
  });

  it('maps a packed [N, F] input to feature columns, regression outputs to prediction.value', async () => {
    log = new PredictionLog(env.config, { flushMs: 5 });
    const io: ModelIO = {
      ...creditIO(3),
      inputs: [
        {
          name: 'x',
          kind: 'tensor',
          elemType: 'double',
          shape: [null, 3],
          type: 'tensor(double)',
          docString: '',
        },
      ],
      outputs: [
        {
          name: 'y',
          kind: 'tensor',
          elemType: 'float',
          shape: [null, 1],
          type: 'tensor(float)',
          docString: '',
        },
      ],
      featureSchema: [
        { name: 'income', type: 'float' },
        { name: 'years', type: 'integer' },
        { name: 'debt', type: 'float' },
      ],
      packedFeatures: ['income', 'years', 'debt'],
      task: 'regression',
      classes: null,
      labelOutput: null,
      probabilitiesOutput: null,
      valueOutput: 'y',
    };
    const event = (rid: string, packed: boolean) => ({
      ...creditEvent({ requestId: rid, ages: [1] }),
      inputs: { x: { type: 'float64', dims: [2, 3], data: Float64Array.from([100, 2, 7, 200, 4, 9]) } },
      outputs: { y: { type: 'float32', dims: [2, 1], data: Float32Array.from([1.5, 2.5]) } },
      deployment: packed ? 'credit-api' : 'raw',
    });
    log.record(event('p1', true), io, SPEC);
    // Without feature names the columns are x_0, x_1, …
    log.record(event('p2', false), { ...io, packedFeatures: null }, SPEC);
    await log.flush();
    await insertDeployment(env.ctx, 'raw');
    const [w] = await listWindows(env.ctx, 'credit-api');
    expect(w!.profile.columns.map((c) => [c.name, c.type])).toEqual([
      ['income', 'float'],
      ['years', 'integer'],
      ['debt', 'float'],
      ['prediction.value', 'float'],
    ]);
    expect(col(w!.profile.columns, 'years').moments).toMatchObject({ count: 2, mean: 3 });
    expect(col(w!.profile.columns, 'prediction.value').moments).toMatchObject({ count: 2, mean: 2 });
    const [raw] = await listWindows(env.ctx, 'raw');
    expect(raw!.profile.columns.map((c) => c.name)).toEqual(['x_0', 'x_1', 'x_2', 'prediction.value']);
    const { predictions } = await listPredictions(env.ctx, 'credit-api');
    expect(predictions.map((p) => p.prediction)).toEqual([{ value: 1.5 }, { value: 2.5 }]);
  });

  it('drops and counts when too much is pending, without throwing or blocking', async () => {
    log = new PredictionLog(env.config, { flushMs: 5, maxPendingRows: 10 });
    const seen: [string, string, number][] = [];
    log.onDrop((d, reason, rows) => seen.push([d, reason, rows]));
    const io = creditIO(1);
    for (let i = 0; i < 5; i++) log.record(creditEvent({ requestId: `d${i}`, ages: [1, 2, 3, 4] }), io, SPEC);
    log.record(creditEvent({ requestId: 'x', ages: [1], deployment: 'other' }), io, SPEC);
    expect(log.stats()).toMatchObject({ accepted: 9, pendingRows: 9, dropped: { backlog: 12 } });
    expect(seen).toEqual([
      ['credit-api', 'backlog', 4],
      ['credit-api', 'backlog', 4],
      ['credit-api', 'backlog', 4],
    ]);
    expect(log.droppedByDeployment()).toEqual([{ deployment: 'credit-api', reason: 'backlog', rows: 12 }]);
    // A disabled log takes nothing and counts nothing.
    log.record(creditEvent({ requestId: 'off', ages: [1] }), io, { ...SPEC, enabled: false });
    await log.flush();
    expect(log.stats()).toEqual({ accepted: 9, pendingRows: 0, dropped: { backlog: 12 }, written: 9 });
    expect(await countRows(env.ctx, 'prediction_records')).toBe(9);
    // Room again once the worker took the backlog in.
    log.record(creditEvent({ requestId: 'again', ages: [1, 2, 3, 4] }), io, SPEC);
    expect(log.stats().accepted).toBe(13);
  });

  it('close() writes everything accepted; later records are dropped as closed', async () => {
    // A long flush interval: everything is still buffered on the main thread when close() runs.
    log = new PredictionLog(env.config, { flushMs: 60_000, maxBatchEvents: 100_000 });
    const io = creditIO(1);
    for (let i = 0; i < 3000; i++) {
      log.record(
        creditEvent({ requestId: `q${i}`, ages: [i % 100, (i * 7) % 100], eventTime: T0 + i * 100 }),
        io,
        SPEC,
      );
    }
    await log.close();
    log.record(creditEvent({ requestId: 'after', ages: [1] }), io, SPEC);
    expect(log.stats()).toMatchObject({
      accepted: 6000,
      written: 6000,
      pendingRows: 0,
      dropped: { closed: 1 },
    });
    // A new connection, as after a restart (no migration: another run may be dropping schemas).
    const fresh: Context = {
      store: openStore(env.config.database),
      blobs: createBlobStore(env.config.artifacts),
      clock: systemClock,
      logger: createLogger('silent'),
      config: env.config,
    };
    try {
      expect(await countRows(fresh, 'prediction_records')).toBe(6000);
      const windows = await listWindows(fresh, 'credit-api', { limit: 1000 });
      expect(windows).toHaveLength(5);
      expect(windows.reduce((a, w) => a + w.rows, 0)).toBe(6000);
      const segments = await listSegments(fresh, 'credit-api');
      expect(segments.map((s) => s.seen)).toEqual([1200, 1200, 1200, 1200, 1200]);
      expect(segments.every((s) => s.rows === 5)).toBe(true);
    } finally {
      await closeContext(fresh);
    }
  });

  it('a second writer (replica, restart) merges into the same window profile and sample', async () => {
    const io = creditIO(1);
    for (const [n, tag] of [
      [6, 'a'],
      [4, 'b'],
    ] as const) {
      const replica = new PredictionLog(env.config, { flushMs: 5 });
      for (let i = 0; i < n; i++)
        replica.record(creditEvent({ requestId: `${tag}${i}`, ages: [i * 10] }), io, SPEC);
      await replica.close();
    }
    const [w] = await listWindows(env.ctx, 'credit-api');
    expect(w!.rows).toBe(10);
    expect(col(w!.profile.columns, 'age').histogram!.counts).toEqual(
      binCounts([0, 10, 20, 30, 40, 50, 0, 10, 20, 30]),
    );
    const [segment] = await listSegments(env.ctx, 'credit-api');
    expect([segment!.rows, segment!.seen]).toEqual([5, 10]);
    expect(await countRows(env.ctx, 'prediction_records')).toBe(10);
  });

  it('a script awaiting close() runs to its end (the worker keeps the process alive until it is written)', () => {
    // In a plain script nothing else holds the event loop open while close() waits for the worker.
    const script = `
      import { PredictionLog } from ${JSON.stringify(new URL('../../dist/serving/log/log.js', import.meta.url).href)};
      const log = new PredictionLog(JSON.parse(process.env.KEEL_TEST_CONFIG));
      const io = JSON.parse(process.env.KEEL_TEST_IO);
      const inputs = { age: { type: 'float32', dims: [1, 1], data: new Float32Array([30]) }, region: { type: 'string', dims: [1, 1], data: ['north'] } };
      const outputs = { label: { type: 'int64', dims: [1], data: new BigInt64Array([1n]) }, probabilities: { type: 'float32', dims: [1, 2], data: new Float32Array([0.4, 0.6]) } };
      log.record({ deployment: 'credit-api', model: 'credit', version: 1, route: 'primary', requestId: 'script', eventTime: ${T0}, latencyUs: 5, inputs, outputs }, io, { enabled: true, windowSeconds: 60, sampleRows: 5 });
      await log.close();
      console.log('done', log.stats().written);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        ...process.env,
        KEEL_TEST_CONFIG: JSON.stringify(env.config),
        KEEL_TEST_IO: JSON.stringify(creditIO(1)),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect([r.status, r.stdout.trim()], r.stderr).toEqual([0, 'done 1']);
  });

  it('starts no worker until something is recorded', async () => {
    log = new PredictionLog(env.config);
    await log.flush();
    expect((log as unknown as { worker: unknown }).worker).toBeNull();
    await log.close();
    expect(log.stats()).toEqual({ accepted: 0, dropped: {}, pendingRows: 0, written: 0 });
  });
});

describe('reservoir sampling', () => {
  const rng = (seed: number) => {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  };

  it('keeps at most capacity items, each item equally likely', () => {
    const hits = new Array(20).fill(0);
    const random = rng(1);
    for (let trial = 0; trial < 4000; trial++) {
      const r = new Reservoir<number>(5, random);
      for (let i = 0; i < 20; i++) r.offer(() => i);
      expect(r.sample).toHaveLength(5);
      expect(r.seen).toBe(20);
      for (const x of r.sample) hits[x]++;
    }
    // Each item is kept with probability 5/20: 1000 of 4000 trials (±15 %).
    for (const h of hits) expect(Math.abs(h - 1000)).toBeLessThan(150);
  });

  it('merging two samples is a uniform sample of the union', () => {
    const random = rng(2);
    let fromA = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const a = new Reservoir<string>(10, random);
      const b = new Reservoir<string>(10, random);
      for (let i = 0; i < 90; i++) a.offer(() => `a${i}`);
      for (let i = 0; i < 10; i++) b.offer(() => `b${i}`);
      const m = mergeSamples(a, b, 10, random);
      expect(m.seen).toBe(100);
      expect(m.sample).toHaveLength(10);
      expect(new Set(m.sample).size).toBe(10);
      fromA += m.sample.filter((x) => x.startsWith('a')).length;
    }
    // 90 % of the union came from a.
    expect(fromA / 20_000).toBeGreaterThan(0.88);
    expect(fromA / 20_000).toBeLessThan(0.92);
    // Small populations: everything is kept.
    expect(
      mergeSamples({ sample: [1, 2], seen: 2 }, { sample: [3], seen: 1 }, 10, random).sample.sort(),
    ).toEqual([1, 2, 3]);
  });
});
