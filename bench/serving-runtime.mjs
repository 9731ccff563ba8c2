// Serving runtime micro-benchmark (not wired into bench/run.mjs): a GBDT of 100 trees of depth 6
// over 9 numeric features, trained with train() and exported with toOnnx(), served by ServedModel
// (worker threads + dynamic batcher) to 32 closed-loop clients each keeping one single-row request
// in flight. Prints throughput, latency percentiles and batch sizes, next to the in-process
// session.run time for one row — the headroom for the serving issue's targets (≥ 10,000 single-row
// req/s with p99 < 10 ms; the HTTP path within 3× a direct session.run).
// Needs a build: npm run build && node bench/serving-runtime.mjs. KEEL_BENCH_SERVING_SECONDS sets
// the measured window (default 3 s), KEEL_BENCH_SERVING_WORKERS the worker count (default: cores, ≤ 2).
import os from 'node:os';
import { Tensor } from 'onnxruntime-node';
import { seededRandom } from '../dist/core/random.js';
import { loadModel } from '../dist/models/onnx/runtime.js';
import { train } from '../dist/models/train/index.js';
import { ServedModel } from '../dist/serving/runtime/index.js';

const FEATURES = 9;
const CLIENTS = 32;
const SECONDS = Number(process.env.KEEL_BENCH_SERVING_SECONDS ?? 3);
const WORKERS = Number(process.env.KEEL_BENCH_SERVING_WORKERS ?? Math.max(1, Math.min(2, os.cpus().length)));

function table(rows, seed) {
  const rnd = seededRandom(seed);
  const columns = { y: new Array(rows) };
  const schema = [];
  for (let f = 0; f < FEATURES; f++) {
    columns[`f${f}`] = new Array(rows);
    schema.push({ name: `f${f}`, type: 'float', nullable: false });
  }
  schema.push({ name: 'y', type: 'boolean', nullable: false });
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let f = 0; f < FEATURES; f++) {
      const v = rnd() * 2 - 1;
      columns[`f${f}`][i] = v;
      z += (f % 2 ? 1 : -0.6) * v + Math.sin(3 * v) * 0.3;
    }
    columns.y[i] = z + (rnd() - 0.5) > 0;
  }
  return { rows, schema: { columns: schema }, columns };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** One random row as wire feeds: f0..f8, each a [1, 1] float32 tensor. */
function rowFeeds(rnd) {
  const feeds = {};
  for (let f = 0; f < FEATURES; f++) {
    feeds[`f${f}`] = { type: 'float32', dims: [1, 1], data: new Float32Array([rnd() * 2 - 1]) };
  }
  return feeds;
}

async function inProcess(bytes) {
  const session = await loadModel(bytes, { threads: 1 });
  const rnd = seededRandom(3);
  const tensors = () => {
    const t = {};
    for (let f = 0; f < FEATURES; f++) t[`f${f}`] = new Tensor('float32', new Float32Array([rnd()]), [1, 1]);
    return t;
  };
  for (let i = 0; i < 2000; i++) await session.run(tensors(), ['probabilities']);
  const n = 20_000;
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const feeds = tensors();
    const t = performance.now();
    await session.run(feeds, ['probabilities']);
    times[i] = (performance.now() - t) * 1000;
  }
  times.sort();
  return { p50: pct(times, 50), p99: pct(times, 99), mean: times.reduce((a, b) => a + b, 0) / n };
}

async function throughBatcher(bytes, clientCount, seconds) {
  const rnd = seededRandom(5);
  const served = await ServedModel.start(bytes, {
    workers: WORKERS,
    threads: 1,
    warmup: rowFeeds(rnd),
    maxBatchRows: 64,
    maxQueueRows: 4096,
    outputs: ['probabilities'],
  });
  const lat = [];
  let batchRows = 0;
  let queueUs = 0;
  let computeUs = 0;
  let measuring = false;
  let done = false;
  const client = async () => {
    while (!done) {
      const t = performance.now();
      const r = await served.infer(rowFeeds(rnd));
      if (measuring) {
        lat.push((performance.now() - t) * 1000);
        batchRows += r.batchRows;
        queueUs += r.queueUs;
        computeUs += r.computeUs;
      }
    }
  };
  const clients = Array.from({ length: clientCount }, client);
  await new Promise((r) => setTimeout(r, 500));
  const before = served.stats();
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const secs = (performance.now() - t0) / 1000;
  const after = served.stats();
  done = true;
  await Promise.all(clients);
  await served.close();
  lat.sort((a, b) => a - b);
  const n = lat.length;
  return {
    rps: n / secs,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    meanBatch: batchRows / n,
    batchesPerSec: (after.batches - before.batches) / secs,
    queueUs: queueUs / n,
    computeUs: computeUs / n,
  };
}

const data = table(20_000, 1);
let t = performance.now();
const pipeline = train(data, { kind: 'gbdt', target: 'y', params: 'trees=100,depth=6,early_stopping=false' });
const bytes = pipeline.toOnnx();
console.log(
  `GBDT ${pipeline.metrics.trees} trees, depth 6, ${FEATURES} features: trained in ${(performance.now() - t).toFixed(0)} ms, ` +
    `${(bytes.length / 1024).toFixed(0)} KiB ONNX; ${os.cpus().length} cores, ${WORKERS} worker(s) × 1 intra-op thread`,
);
t = performance.now();
const direct = await inProcess(bytes);
console.log(
  `in-process session.run, 1 row: p50 ${direct.p50.toFixed(1)} µs, p99 ${direct.p99.toFixed(1)} µs, mean ${direct.mean.toFixed(1)} µs` +
    ` (≈ ${(1e6 / direct.mean).toFixed(0)} runs/s on one thread)`,
);
const one = await throughBatcher(bytes, 1, 1);
console.log(
  `through ServedModel, 1 request in flight: ${one.rps.toFixed(0)} req/s, latency p50 ${one.p50.toFixed(0)} µs, ` +
    `p99 ${one.p99.toFixed(0)} µs (${(one.p50 / direct.p50).toFixed(1)}× the direct session.run p50: ` +
    `the worker round trip; HTTP parsing and JSON come on top)`,
);
const b = await throughBatcher(bytes, CLIENTS, SECONDS);
console.log(
  `through ServedModel (batcher + ${WORKERS} worker(s)), ${CLIENTS} in flight, single-row requests: ` +
    `${b.rps.toFixed(0)} req/s, latency p50 ${(b.p50 / 1000).toFixed(2)} ms, p99 ${(b.p99 / 1000).toFixed(2)} ms; ` +
    `mean batch ${b.meanBatch.toFixed(1)} rows (${b.batchesPerSec.toFixed(0)} batches/s), ` +
    `mean queue ${b.queueUs.toFixed(0)} µs, mean compute (round trip to the worker) ${b.computeUs.toFixed(0)} µs`,
);
console.log(
  `targets before HTTP: ≥ 10,000 req/s ${b.rps >= 10_000 ? 'met' : 'NOT met'}, p99 < 10 ms ${b.p99 < 10_000 ? 'met' : 'NOT met'}`,
);
