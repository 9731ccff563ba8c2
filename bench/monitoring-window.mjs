// Monitoring (c): evaluating one window from stored profiles, target < 1 s for a window of
// 1,000,000 logged predictions × 20 features ("profiles, not raw rows"). Setup, untimed:
//   - a reference sample of 100,000 rows × 20 float features (the shapes of monitoring-profile.mjs)
//     plus a binary classifier's `prediction.label` ('0'/'1', categorical) and `prediction.score`;
//     profiled first as a dataset version is (histograms derived from the sketch at finish), whose
//     feature edges then become the fixed edges of every window profile, the score's the fixed
//     SCORE_EDGES — as `referenceEdges` hands them to the prediction log worker; the baseline profile
//     is the same sample profiled again on those edges (as monitoring/baseline/build.ts does);
//   - a migrated SQLite store (temp dir) with 144 prediction_windows rows, one day of 10-minute log
//     windows of deployment 'bench' (model 'm', version 1, route 'primary'), together 1,000,000
//     rows (6,944 or 6,945 each), profiled on the fixed edges with `addColumns`; from window 96 on
//     (the last 8 hours) a few features drift (mean shift, scale change, a moved uniform range, a
//     flipped flag rate), so the score drifts too.
// Timed (median of 5 after a warm-up; the scheduler is a long-lived process): `routeProfiles(db,
// 'bench', dayStart, dayEnd)` — the SELECT of 144 rows, JSON.parse of each profile and the one-pass
// merge (each window's sketches decoded once, the result encoded once) — then `evaluateWindow` on
// the merged profile (drift, quality, CBPE estimation; no labels). For
// information, the same with 10,000 labelled rows (realised metrics), and the cold first run.
// KEEL_BENCH_MONITORING_WINDOW_ROWS sets the rows of the day (default 1,000,000).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { seededRandom } from '../dist/core/random.js';
import { realisedMetrics } from '../dist/monitoring/checks/performance.js';
import { evaluateWindow } from '../dist/monitoring/checks/window.js';
import { routeProfiles } from '../dist/monitoring/source.js';
import { SCORE_EDGES } from '../dist/serving/log/reference.js';
import { DatasetProfiler } from '../dist/stats/profile.js';
import { openStore } from '../dist/store/db.js';
import { migrate } from '../dist/store/migrate.js';
import { median, report, tempDir } from './lib.mjs';

const TOTAL_ROWS = Number(process.env.KEEL_BENCH_MONITORING_WINDOW_ROWS ?? 1_000_000);
const RUNS = 5;
const FEATURES = 20;
const REFERENCE_ROWS = 100_000;
const WINDOWS = 144; // one day of 10-minute log windows
const WINDOW_MS = 600_000;
const DAY_START = Date.UTC(2026, 0, 1);
const DAY_END = DAY_START + WINDOWS * WINDOW_MS;
const DRIFT_FROM = 96; // windows from here on (the last 8 hours) drift
const LABELLED = 10_000;
const LABEL = 'prediction.label';
const SCORE = 'prediction.score';

const normal = (rand) => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

/** The 20 served features (as in monitoring-profile.mjs); `d` = 1 draws the drifted variant. */
const GENERATORS = [
  (r, d) => 40 + 12 * normal(r) + d * 6, // age-like: mean +0.5σ
  (r) => normal(r),
  (r) => 0.5 + 0.1 * normal(r),
  (r, d) => -3 + (d ? 3 : 2) * normal(r), // scale ×1.5
  (r) => 1e4 + 2500 * normal(r),
  (r, d) => Math.exp(10 + (d ? 0.3 : 0) + 0.8 * normal(r)), // income-like, log-mean +0.3
  (r) => Math.exp(normal(r)),
  (r) => Math.exp(2 + 1.5 * normal(r)),
  (r) => Math.exp(-3 + 0.5 * normal(r)),
  (r) => r(),
  (r, d) => 100 * r() + d * 20, // uniform range moved by 20 %
  (r) => -50 + 100 * r(),
  (r) => -Math.log(1 - r()) * 3,
  (r) => -Math.log(1 - r()) * 250,
  (r) => (r() < 0.5 ? -2 : 2) + normal(r),
  (r) => Math.floor(r() * 5),
  (r, d) => (r() < (d ? 0.5 : 0.7) ? 0 : 1), // flag rate 30 % → 50 %
  (r) => Math.max(0, Math.round(12 + 4 * normal(r))),
  (r) => 1 + Math.floor(r() * 365),
  (r) => Math.round(500 + 100 * normal(r)),
];

const features = Array.from({ length: FEATURES }, (_, f) => ({ name: `f${f}`, type: 'float' }));
const columns = [...features, { name: LABEL, type: 'categorical' }, { name: SCORE, type: 'float' }];

/** Columns (schema order) of `rows` rows: 20 Float64Array features, the label strings, the score. */
function generate(seed, rows, drifted) {
  const rand = seededRandom(seed);
  const d = drifted ? 1 : 0;
  const cols = features.map(() => new Float64Array(rows));
  const label = new Array(rows);
  const score = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let z = 0;
    for (let f = 0; f < FEATURES; f++) {
      // Served tensors are float32: the logged values are too.
      const x = Math.fround(GENERATORS[f](rand, d));
      cols[f][r] = x;
      if (f < 4) z += 0.8 * (f === 0 ? (x - 40) / 12 : f === 2 ? (x - 0.5) / 0.1 : f === 3 ? (x + 3) / 2 : x);
    }
    const s = Math.fround(1 / (1 + Math.exp(-(z + 0.5 * normal(rand)))));
    score[r] = s;
    label[r] = s >= 0.5 ? '1' : '0';
  }
  return [...cols, label, score];
}

function profileOf(data, rows, edges) {
  const p = new DatasetProfiler(columns, edges ? { edges } : {});
  p.addColumns(data, rows);
  return p.finish();
}

/** Reference profile, window edges, baseline and monitor spec. */
function reference() {
  const data = generate(7, REFERENCE_ROWS, false);
  const stored = profileOf(data, REFERENCE_ROWS, { [SCORE]: SCORE_EDGES });
  const edges = { [SCORE]: [...SCORE_EDGES] };
  for (const c of stored.columns) if (c.type === 'float' && c.histogram) edges[c.name] = c.histogram.edges;
  const baseline = {
    source: 'bench reference (100,000 rows)',
    profile: profileOf(data, REFERENCE_ROWS, edges),
    features,
    task: 'binary',
    classes: [0, 1],
    calibration: null,
    metrics: { accuracy: 0.9, estimated_accuracy: 0.9 },
  };
  const spec = {
    window: { kind: 'time', ms: 86_400_000, text: '1d' },
    reference: { kind: 'training' },
    checks: {
      drift: { enabled: true, share: 0.5, columns: {}, exclude: [] },
      predictionDrift: true,
      quality: true,
      performance: true,
      estimation: true,
    },
    rules: [],
    delayMs: 60_000,
  };
  return { edges, baseline, spec };
}

/** A migrated SQLite store holding the day's 144 window profiles; returns the store and bytes stored. */
async function seed(dir, edges) {
  const config = { kind: 'sqlite', file: path.join(dir, 'keel.db') };
  const store = openStore(config);
  await migrate(store, config);
  const base = Math.floor(TOTAL_ROWS / WINDOWS);
  const extra = TOTAL_ROWS - base * WINDOWS; // the first `extra` windows take one more row
  let bytes = 0;
  let rows = 0;
  const values = [];
  for (let w = 0; w < WINDOWS; w++) {
    const n = base + (w < extra ? 1 : 0);
    const profile = profileOf(generate(1000 + w, n, w >= DRIFT_FROM), n, edges);
    const json = JSON.stringify(profile);
    bytes += json.length;
    rows += n;
    values.push({
      deployment: 'bench',
      model: 'm',
      version: 1,
      route: 'primary',
      window_start: DAY_START + w * WINDOW_MS,
      window_ms: WINDOW_MS,
      rows: n,
      profile: json,
      updated_at: DAY_START + (w + 1) * WINDOW_MS,
    });
  }
  for (let i = 0; i < values.length; i += 16)
    await store.db
      .insertInto('prediction_windows')
      .values(values.slice(i, i + 16))
      .execute();
  if (rows !== TOTAL_ROWS) throw new Error(`seeded ${rows} rows, expected ${TOTAL_ROWS}`);
  return { store, bytes };
}

/** Labelled rows as `labelledRows` returns them (prediction JSON joined with the feedback label). */
function labelledRows(n) {
  const rand = seededRandom(99);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const score = Math.round(rand() * 1000) / 1000;
    const label = score >= 0.5 ? 1 : 0;
    const actual = rand() < 0.9 ? label : 1 - label;
    out[i] = { prediction: { label, score, probabilities: { 0: 1 - score, 1: score } }, label: actual };
  }
  return out;
}

/** One evaluation: read + merge, then evaluate; ms of each part. */
async function run(db, baseline, spec, labelled) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const routes = await routeProfiles(db, 'bench', DAY_START, DAY_END);
  const t1 = performance.now();
  const primary = routes.find((r) => r.route === 'primary');
  const result = evaluateWindow({
    monitor: 'bench',
    route: primary.route,
    windowStart: DAY_START,
    windowEnd: DAY_END,
    versions: primary.versions,
    rows: primary.rows,
    profile: primary.profile,
    baseline,
    io: { task: 'binary', classes: [0, 1] },
    labelled,
    spec,
    computedAt: Date.now(),
  });
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  if (primary.rows !== TOTAL_ROWS || primary.profile.rows !== TOTAL_ROWS)
    throw new Error(`merged ${primary.profile.rows} rows, expected ${TOTAL_ROWS}`);
  return { read: t1 - t0, evaluate: t2 - t1, total: t2 - t0, cpu: (cpu.user + cpu.system) / 1000, result };
}

const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(', ');

export async function benchMonitoringWindow() {
  const dir = tempDir('monitoring-window');
  let store;
  try {
    const s0 = performance.now();
    const { edges, baseline, spec } = reference();
    const seeded = await seed(dir, edges);
    store = seeded.store;
    const setupMs = performance.now() - s0;
    const db = store.db;
    const cold = await run(db, baseline, spec, []);
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run(db, baseline, spec, []));
    const labelled = labelledRows(LABELLED);
    await run(db, baseline, spec, labelled);
    const withLabels = [];
    for (let i = 0; i < RUNS; i++) withLabels.push(await run(db, baseline, spec, labelled));

    const total = median(runs.map((r) => r.total));
    const read = median(runs.map((r) => r.read));
    const evaluate = median(runs.map((r) => r.evaluate));
    const m = runs[0].result.metrics;
    const drifted = runs[0].result.drift.filter((d) => d.drifted).map((d) => d.column);
    console.log(
      `  monitoring window: ${WINDOWS} stored window profiles (${TOTAL_ROWS.toLocaleString('en')} rows × ` +
        `${FEATURES} features + label + score, ${(seeded.bytes / 2 ** 20).toFixed(1)} MiB of JSON, ` +
        `${(seeded.bytes / WINDOWS / 1024).toFixed(0)} KiB each; setup ${(setupMs / 1000).toFixed(1)} s): ` +
        `median ${total.toFixed(0)} ms = routeProfiles (read + parse + merge) ${read.toFixed(0)} ms ` +
        `+ evaluateWindow ${evaluate.toFixed(0)} ms (runs ${fmt(runs.map((r) => r.total))} ms; ` +
        `median CPU ${median(runs.map((r) => r.cpu)).toFixed(0)} ms; ` +
        `cold first run ${cold.total.toFixed(0)} ms = ${cold.read.toFixed(0)} + ${cold.evaluate.toFixed(0)})`,
    );
    console.log(
      `  result: drift_share ${m.drift_share?.toFixed(2)}, drifted ${drifted.join(', ') || 'none'}; ` +
        `estimated_accuracy ${m.estimated_accuracy?.toFixed(3) ?? 'n/a'}, ${Object.keys(m).length} metrics`,
    );
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      realisedMetrics(labelled, { task: 'binary', classes: [0, 1] });
      times.push(performance.now() - t0);
    }
    const realisedMs = median(times);
    const lt = median(withLabels.map((r) => r.total));
    const le = median(withLabels.map((r) => r.evaluate));
    const lm = withLabels[0].result.metrics;
    console.log(
      `  with ${LABELLED.toLocaleString('en')} labelled rows: median ${lt.toFixed(0)} ms total, ` +
        `evaluateWindow ${le.toFixed(0)} ms, of which realisedMetrics alone ${realisedMs.toFixed(1)} ms (` +
        `accuracy ${lm.accuracy?.toFixed(3)}, roc_auc ${lm.roc_auc?.toFixed(3) ?? 'n/a'})`,
    );
    return [
      report(
        `monitoring: evaluating a 1-day window (${TOTAL_ROWS.toLocaleString('en')} rows × ${FEATURES} features, ${WINDOWS} stored profiles, SQLite)`,
        total,
        'ms (median of 5)',
        1000,
        false,
      ),
    ];
  } finally {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchMonitoringWindow();
