// Monitoring (a): profiling on the serving path, target ≥ 1,000,000 feature values per second per
// core. The compiled DatasetProfiler used exactly as the prediction log worker uses it: 20 float
// features (normal, lognormal, uniform, exponential, bimodal and a few integer-valued ones, all
// float32 as served tensors hand them over) plus a binary classifier's `prediction.score`; the
// profiler is created with fixed edges — the features' from a reference profile built first on a
// different sample (as `referenceEdges` takes them from the training dataset's profile), the score's
// the fixed twenty bins over [0, 1] — then `addRow(cells)` per row on one reused cells array (the
// worker's `w.cells`), then `finish()`. One thread; median of 5 runs after a warm-up run.
// KEEL_BENCH_MONITORING_ROWS sets the rows per run (default 200,000).
import { pathToFileURL } from 'node:url';
import { seededRandom } from '../dist/core/random.js';
import { SCORE_EDGES } from '../dist/serving/log/reference.js';
import { DatasetProfiler } from '../dist/stats/profile.js';
import { median, report } from './lib.mjs';

const ROWS = Number(process.env.KEEL_BENCH_MONITORING_ROWS ?? 200_000);
const RUNS = 5;
const FEATURES = 20;
const REFERENCE_ROWS = 100_000;
const SCORE = 'prediction.score';

// Box–Muller standard normal from a uniform source.
const normal = (rand) => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

/** Generators of the 20 served features: a realistic mix of shapes and scales. */
const GENERATORS = [
  (r) => 40 + 12 * normal(r), // age-like
  (r) => normal(r), // standardised feature
  (r) => 0.5 + 0.1 * normal(r),
  (r) => -3 + 2 * normal(r),
  (r) => 1e4 + 2500 * normal(r),
  (r) => Math.exp(10 + 0.8 * normal(r)), // income-like, lognormal
  (r) => Math.exp(normal(r)),
  (r) => Math.exp(2 + 1.5 * normal(r)),
  (r) => Math.exp(-3 + 0.5 * normal(r)),
  (r) => r(), // uniform [0, 1)
  (r) => 100 * r(),
  (r) => -50 + 100 * r(),
  (r) => -Math.log(1 - r()) * 3, // exponential, e.g. a duration
  (r) => -Math.log(1 - r()) * 250,
  (r) => (r() < 0.5 ? -2 : 2) + normal(r), // bimodal
  (r) => Math.floor(r() * 5), // integer 0..4 (a small enum encoded as a number)
  (r) => (r() < 0.7 ? 0 : 1), // binary flag
  (r) => Math.max(0, Math.round(12 + 4 * normal(r))), // count, ~30 distinct values
  (r) => 1 + Math.floor(r() * 365), // day of year
  (r) => Math.round(500 + 100 * normal(r)), // integer score, hundreds of distinct values
];

const columns = [
  ...Array.from({ length: FEATURES }, (_, f) => ({ name: `f${f}`, type: 'float' })),
  { name: SCORE, type: 'float' },
];
const WIDTH = columns.length;

/** Row-major float32 values (what a served float tensor holds), score last (sigmoid of a linear score). */
function generate(seed, rows) {
  const rand = seededRandom(seed);
  const out = new Float32Array(rows * WIDTH);
  for (let r = 0; r < rows; r++) {
    const at = r * WIDTH;
    let z = 0;
    for (let f = 0; f < FEATURES; f++) {
      const x = GENERATORS[f](rand);
      out[at + f] = x;
      if (f < 4) z += 0.8 * (f === 0 ? (x - 40) / 12 : f === 2 ? (x - 0.5) / 0.1 : f === 3 ? (x + 3) / 2 : x);
    }
    out[at + FEATURES] = 1 / (1 + Math.exp(-(z + 0.5 * normal(rand))));
  }
  return out;
}

/** Edges as the worker gets them: the reference profile's feature histograms, the fixed score edges. */
function referenceEdges() {
  const data = generate(7, REFERENCE_ROWS);
  const features = columns.slice(0, FEATURES);
  const profiler = new DatasetProfiler(features);
  const cells = new Array(FEATURES);
  for (let r = 0; r < REFERENCE_ROWS; r++) {
    for (let c = 0; c < FEATURES; c++) cells[c] = data[r * WIDTH + c];
    profiler.addRow(cells);
  }
  const edges = { [SCORE]: [...SCORE_EDGES] };
  for (const c of profiler.finish().columns) edges[c.name] = c.histogram.edges;
  return edges;
}

/** One run: a fresh profiler on the edges, every row through addRow, then finish; wall and CPU ms. */
function run(data, rows, edges) {
  const cells = new Array(WIDTH); // the worker reuses one array per window (w.cells)
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const profiler = new DatasetProfiler(columns, { edges });
  for (let r = 0; r < rows; r++) {
    const at = r * WIDTH;
    for (let c = 0; c < WIDTH; c++) cells[c] = data[at + c];
    profiler.addRow(cells);
  }
  const profile = profiler.finish();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (profile.rows !== rows) throw new Error(`profiled ${profile.rows} rows, expected ${rows}`);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** The same loop without the profiler: what filling the cells costs (included in the figure). */
function fillOnly(data, rows) {
  const cells = new Array(WIDTH);
  let sink = 0;
  const t0 = performance.now();
  for (let r = 0; r < rows; r++) {
    const at = r * WIDTH;
    for (let c = 0; c < WIDTH; c++) cells[c] = data[at + c];
    sink += cells[r % WIDTH];
  }
  const ms = performance.now() - t0;
  if (Number.isNaN(sink)) console.log('');
  return ms;
}

export async function benchMonitoringProfile() {
  const edges = referenceEdges();
  const data = generate(42, ROWS);
  run(data, Math.min(ROWS, 50_000), edges); // warm-up: the worker is long-lived, its code is hot
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(run(data, ROWS, edges));
  const ms = median(runs.map((r) => r.ms));
  const cpuMs = median(runs.map((r) => r.cpuMs));
  const values = ROWS * WIDTH;
  const perSecond = values / (ms / 1000);
  // CPU time includes V8's GC helper threads; on a busy machine it shows what one core does undisturbed.
  console.log(
    `  monitoring profile: ${ROWS.toLocaleString('en')} rows × ${WIDTH} columns (20 float features + score) ` +
      `on reference edges: median ${ms.toFixed(0)} ms wall (runs ${runs.map((r) => r.ms.toFixed(0)).join(', ')} ms), ` +
      `${((ms * 1e6) / values).toFixed(0)} ns/value; median CPU ${cpuMs.toFixed(0)} ms ` +
      `(${(values / (cpuMs / 1000) / 1e6).toFixed(1)} M values per CPU-second); ` +
      `filling the cells alone ${fillOnly(data, ROWS).toFixed(0)} ms`,
  );
  return [
    report(
      `monitoring: profiling served rows (${WIDTH} columns, fixed edges, 1 thread)`,
      perSecond,
      'values/s (median of 5)',
      1_000_000,
      true,
    ),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchMonitoringProfile();
