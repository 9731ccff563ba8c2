// Prediction log benchmark (not wired into bench/run.mjs): 1,000,000 single-row events of 9 float
// features + a binary classifier's outputs pushed through PredictionLog.record() as fast as a serving
// path would (chunks of 1000, yielding to the event loop between chunks), then a paced phase at the
// serving target (10,000 events/s). Prints the main-thread cost per record() call, the main-thread
// cost of packing and posting batches, end-to-end rows/s profiled and written by the worker, and drops.
// Needs a build: npm run build && node bench/prediction-log.mjs. KEEL_BENCH_LOG_EVENTS sets the event
// count (default 1e6), KEEL_BENCH_LOG_PACED_SECONDS the paced phase (default 5 s, 0 = skip),
// KEEL_BENCH_LOG_DIALECT=postgres runs it on PostgreSQL (KEEL_BENCH_POSTGRES_URL) instead of SQLite.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep, setImmediate as yieldLoop } from 'node:timers/promises';
import { closeContext, openContext } from '../dist/context.js';
import { seededRandom } from '../dist/core/random.js';
import { PredictionLog } from '../dist/serving/log/log.js';
import { dropSchema, median, PG_URL, tempDir } from './lib.mjs';

const EVENTS = Number(process.env.KEEL_BENCH_LOG_EVENTS ?? 1_000_000);
const PACED_SECONDS = Number(process.env.KEEL_BENCH_LOG_PACED_SECONDS ?? 5);
const DIALECT = process.env.KEEL_BENCH_LOG_DIALECT ?? 'sqlite';
const FEATURES = 9;
const CHUNK = 1000;
const T0 = Date.UTC(2024, 0, 1);

const feature = (f) => `f${f}`;
const io = {
  model: 'bench',
  version: 1,
  inputs: Array.from({ length: FEATURES }, (_, f) => ({
    name: feature(f),
    kind: 'tensor',
    elemType: 'float',
    shape: [null, 1],
    type: 'tensor(float)',
    docString: '',
  })),
  outputs: [],
  featureSchema: Array.from({ length: FEATURES }, (_, f) => ({ name: feature(f), type: 'float' })),
  packedFeatures: null,
  task: 'binary',
  classes: [0, 1],
  labelOutput: 'label',
  probabilitiesOutput: 'probabilities',
  valueOutput: null,
};
const spec = { enabled: true, windowSeconds: 600, sampleRows: 2000 };

// Tensors come from a pool: the log keeps references only until the next batch is packed.
const rnd = seededRandom(7);
const pool = Array.from({ length: 4096 }, () => {
  const inputs = {};
  for (let f = 0; f < FEATURES; f++) {
    inputs[feature(f)] = { type: 'float32', dims: [1, 1], data: new Float32Array([rnd() * 2 - 1]) };
  }
  const p = rnd();
  return {
    inputs,
    outputs: {
      label: { type: 'int64', dims: [1], data: new BigInt64Array([p >= 0.5 ? 1n : 0n]) },
      probabilities: { type: 'float32', dims: [1, 2], data: new Float32Array([1 - p, p]) },
    },
  };
});

let seq = 0;
/** The next event; event time advances 1 ms per event (a 600 s window every 600,000 events). */
function nextEvent() {
  const t = pool[seq % pool.length];
  const i = seq++;
  return {
    deployment: 'bench',
    model: 'bench',
    version: 1,
    route: i % 10 === 0 ? 'canary' : 'primary',
    requestId: `req-${i}`,
    eventTime: T0 + i,
    latencyUs: 180,
    inputs: t.inputs,
    outputs: t.outputs,
  };
}

async function main() {
  const dir = tempDir('log');
  const schema = `keel_bench_log_${process.pid}`;
  const config = {
    dataDir: dir,
    database:
      DIALECT === 'postgres'
        ? { kind: 'postgres', url: PG_URL, schema }
        : { kind: 'sqlite', file: path.join(dir, 'keel.db') },
    artifacts: { kind: 'fs', root: path.join(dir, 'artifacts') },
  };
  const ctx = await openContext(config);
  const log = new PredictionLog(config);
  // Time the batches' packing and posting too: main-thread work outside record(). The first post
  // also starts the worker thread, timed apart.
  let postUs = 0;
  let postedEvents = 0;
  let startUs = 0;
  const perBatch = [];
  const post = log.post.bind(log);
  log.post = () => {
    const n = log.events.length;
    const t = process.hrtime.bigint();
    post();
    const us = Number(process.hrtime.bigint() - t) / 1000;
    if (n === 0) return;
    if (startUs === 0) {
      startUs = us;
      return;
    }
    postUs += us;
    postedEvents += n;
    perBatch.push(us / n);
  };

  console.log(
    `prediction log: ${EVENTS.toLocaleString()} events × (${FEATURES} features + label, probabilities) on ${DIALECT}`,
  );
  const perCall = [];
  const start = performance.now();
  for (let done = 0; done < EVENTS; done += CHUNK) {
    const n = Math.min(CHUNK, EVENTS - done);
    const events = Array.from({ length: n }, nextEvent);
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) log.record(events[i], io, spec);
    perCall.push(Number(process.hrtime.bigint() - t) / 1000 / n);
    await yieldLoop();
  }
  const recorded = performance.now() - start;
  await log.flush();
  const total = performance.now() - start;
  const s = log.stats();
  const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0);
  const rec = await ctx.store.db
    .selectFrom('prediction_records')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  console.log(
    `  record():               ${median(perCall).toFixed(3)} µs per call (median of ${perCall.length} chunks)`,
  );
  console.log(
    `  pack + post (main):     ${median(perBatch).toFixed(3)} µs per event (median of ${perBatch.length} batches), ` +
      `${(postUs / (postedEvents || 1)).toFixed(3)} µs mean with GC pauses; worker start ${(startUs / 1000).toFixed(1)} ms`,
  );
  console.log(
    `  offered:                ${((EVENTS / recorded) * 1000).toFixed(0)} events/s on the main thread`,
  );
  console.log(
    `  end to end:             ${((s.written / total) * 1000).toFixed(0)} rows/s profiled + written (${s.written.toLocaleString()} rows in ${(total / 1000).toFixed(1)} s)`,
  );
  console.log(`  dropped:                ${dropped.toLocaleString()} ${JSON.stringify(s.dropped)}`);
  console.log(`  records in the database: ${Number(rec.n).toLocaleString()}`);

  if (PACED_SECONDS > 0) {
    const rate = 10_000;
    const before = log.stats();
    const lag = [];
    const pacedStart = performance.now();
    let sent = 0;
    while (performance.now() - pacedStart < PACED_SECONDS * 1000) {
      const due = Math.floor(((performance.now() - pacedStart) / 1000) * rate);
      for (; sent < due; sent++) log.record(nextEvent(), io, spec);
      lag.push(log.stats().pendingRows);
      await sleep(5);
    }
    await log.flush();
    const after = log.stats();
    const pacedDropped =
      Object.values(after.dropped).reduce((a, b) => a + b, 0) -
      Object.values(before.dropped).reduce((a, b) => a + b, 0);
    console.log(
      `  paced ${rate.toLocaleString()} events/s for ${PACED_SECONDS} s: ${sent.toLocaleString()} events, dropped ${pacedDropped}, ` +
        `pending rows p50 ${median(lag)} max ${Math.max(...lag)}`,
    );
  }

  await log.close();
  await closeContext(ctx);
  if (DIALECT === 'postgres') await dropSchema(schema);
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
