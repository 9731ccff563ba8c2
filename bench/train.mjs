// Training (built-in tabular trainers): GBDT on 100,000 rows × 10 features (7 numeric with missing
// values, 3 categorical), binary target, 100 trees of depth 6, no early stopping — training < 10 s,
// ONNX export < 1 s; then 1,000,000 rows scored through the exported model with onnxruntime-node
// ≥ 500,000 rows/s. Scoring feeds the model's raw named inputs (float32 and string [N,1] tensors
// built from typed columns by onnxFeeds) in batches of 100,000 rows and reads the probabilities back.
//
// Where scoring time goes (1 core, per row): onnxruntime's tree walks ≈ 2.8 µs for 100 depth-6 trees
// (branch-bound; ~3 µs as a two-class TreeEnsembleClassifier, hence export.ts's margin regressor),
// the graph's preprocessing ≈ 0.3 µs (string marshalling and LabelEncoder lookups), building feeds
// ≈ 0.05 µs. One session is therefore ~290k rows/s; with 2 intra-op threads only the tree node runs
// in parallel (~460k rows/s). The measured setup runs one single-threaded
// session per core in worker threads (as serving does), each scoring its own half of the rows —
// every stage runs on both cores. Both single-session figures are printed for comparison.
// KEEL_BENCH_TRAIN_ROWS / KEEL_BENCH_SCORE_ROWS shrink it.
import os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { seededRandom } from '../dist/core/random.js';
import { loadModel, predict } from '../dist/models/onnx/runtime.js';
import { onnxFeeds, train } from '../dist/models/train/index.js';
import { median, report } from './lib.mjs';

const TRAIN_ROWS = Number(process.env.KEEL_BENCH_TRAIN_ROWS ?? 100_000);
const SCORE_ROWS = Number(process.env.KEEL_BENCH_SCORE_ROWS ?? 1_000_000);
const BATCH = 100_000;
const WORKER_ROLE = 'keel-bench-train-score';
const CATS = [
  ['north', 'south', 'east', 'west', 'centre'],
  ['basic', 'plus', 'pro', 'team', 'enterprise', 'edu', 'trial', 'legacy'],
  Array.from({ length: 20 }, (_, i) => `branch-${i}`),
];

/** A loans-like table: num0..num6 (2% missing), cat0..cat2, and a boolean `approved`. */
function table(rows, seed) {
  const rnd = seededRandom(seed);
  const cols = {};
  const schema = [];
  for (let c = 0; c < 7; c++) {
    cols[`num${c}`] = new Array(rows);
    schema.push({ name: `num${c}`, type: c < 2 ? 'integer' : 'float', nullable: true });
  }
  for (let c = 0; c < 3; c++) {
    cols[`cat${c}`] = new Array(rows);
    schema.push({ name: `cat${c}`, type: 'categorical', nullable: true });
  }
  cols.approved = new Array(rows);
  schema.push({ name: 'approved', type: 'boolean', nullable: false });
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let c = 0; c < 7; c++) {
      const v = c < 2 ? Math.floor(rnd() * 100) : Math.round((rnd() * 2 - 1) * 1e4) / 100;
      z += (c < 2 ? (v - 50) / 25 : v / 50) * (c % 2 ? 1 : -0.7);
      cols[`num${c}`][i] = rnd() < 0.02 ? null : v;
    }
    for (let c = 0; c < 3; c++) {
      const k = Math.floor(rnd() * CATS[c].length);
      z += ((k % 3) - 1) * 0.8;
      cols[`cat${c}`][i] = CATS[c][k];
    }
    cols.approved[i] = z + Math.sin(z * 3) + (rnd() - 0.5) * 2 > 0;
  }
  return { rows, schema: { columns: schema }, columns: cols };
}

const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Scores every batch through `session`: feeds from the typed columns, run, probabilities back.
 * Labels follow from the probabilities (classes[p > 0.5]); fetching the string `label` tensor as
 * well would add ~0.2 µs/row of string marshalling for what the probabilities already say.
 */
async function scoreAll(session, features, batches) {
  let positives = 0;
  for (const batch of batches) {
    const out = await predict(session, onnxFeeds(features, batch), { outputs: ['probabilities'] });
    const p = out.probabilities.data;
    for (let i = 1; i < p.length; i += 2) if (p[i] > 0.5) positives++;
  }
  return positives;
}

/** `rows` rows as batches of BATCH rows (as a reader yields row groups). */
function batches(rows, seed) {
  return range(0, Math.ceil(rows / BATCH)).map((b) =>
    table(Math.min(BATCH, rows - b * BATCH), seed * 1000 + b),
  );
}

/** Worker: loads the model (1 thread), builds its own share of the rows, scores them on 'go'. */
async function scoringWorker({ bytes, features, rows, seed }) {
  const session = await loadModel(bytes, { threads: 1 });
  const data = batches(rows, seed);
  await predict(session, onnxFeeds(features, table(100, 1)));
  parentPort.postMessage({ ready: true });
  parentPort.once('message', async () => {
    const positives = await scoreAll(session, features, data);
    parentPort.postMessage({ positives });
  });
}

async function scoreInWorkers(bytes, features, workers) {
  const per = Math.ceil(SCORE_ROWS / workers);
  const pool = range(0, workers).map(
    (w) =>
      new Worker(new URL(import.meta.url), {
        workerData: {
          role: WORKER_ROLE,
          bytes,
          features,
          rows: Math.min(per, SCORE_ROWS - w * per),
          seed: 100 + w,
        },
      }),
  );
  const next = (w) =>
    new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  try {
    await Promise.all(pool.map(next));
    const t = performance.now();
    const done = Promise.all(pool.map(next));
    for (const w of pool) w.postMessage('go');
    const results = await done;
    return { ms: performance.now() - t, positives: results.reduce((a, r) => a + r.positives, 0) };
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

export async function benchTrain() {
  const results = [];
  const data = table(TRAIN_ROWS, 1);
  let t = performance.now();
  const pipeline = train(data, {
    kind: 'gbdt',
    target: 'approved',
    params: 'trees=100,depth=6,early_stopping=false',
  });
  const trainMs = performance.now() - t;
  console.log(
    `  gbdt: ${pipeline.features.length} features, ${pipeline.metrics.trees} trees, train accuracy ` +
      `${pipeline.metrics.train_accuracy.toFixed(3)}, log loss ${pipeline.metrics.train_log_loss.toFixed(3)}`,
  );
  results.push(
    report(
      `GBDT train ${TRAIN_ROWS}×10 (7 numeric + 3 categorical), 100 trees, depth 6`,
      trainMs,
      'ms',
      10_000,
      false,
    ),
  );

  const exportTimes = [];
  let bytes;
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    bytes = pipeline.toOnnx();
    exportTimes.push(performance.now() - t);
  }
  console.log(`  model: ${(bytes.length / 1024).toFixed(0)} KiB`);
  results.push(report('GBDT ONNX export (toOnnx, median of 3)', median(exportTimes), 'ms', 1000, false));

  const cores = os.cpus().length;
  const single = batches(SCORE_ROWS, 2);
  for (const threads of [...new Set([1, Math.min(2, cores)])]) {
    const session = await loadModel(bytes, { threads });
    await predict(session, onnxFeeds(pipeline.features, table(100, 1)));
    t = performance.now();
    await scoreAll(session, pipeline.features, single);
    const rate = SCORE_ROWS / ((performance.now() - t) / 1000);
    console.log(`  for comparison: one session, ${threads} intra-op thread(s): ${rate.toFixed(0)} rows/s`);
  }
  const workers = Math.max(1, Math.min(2, cores));
  const scored = await scoreInWorkers(bytes, pipeline.features, workers);
  console.log(
    `  ${((scored.positives / SCORE_ROWS) * 100).toFixed(1)}% of the scored rows predicted approved`,
  );
  results.push(
    report(
      `batch scoring ${SCORE_ROWS} rows through the exported model (onnxruntime-node, ${workers} worker sessions, batches of ${BATCH})`,
      SCORE_ROWS / (scored.ms / 1000),
      'rows/s',
      500_000,
      true,
    ),
  );
  return results;
}

if (!isMainThread && workerData?.role === WORKER_ROLE) await scoringWorker(workerData);
