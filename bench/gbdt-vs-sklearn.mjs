// GBDT accuracy (issue note): Keel's histogram GBDT vs scikit-learn's HistGradientBoostingClassifier
// with the same settings (100 trees, depth 6, learning rate 0.1, min 20 rows per leaf, 255 bins,
// no L2, no early stopping) on the same deterministic 80/20 splits. Prints both held-out
// accuracies, the difference in points and the training times. Run after `npm run build`:
//   node bench/gbdt-vs-sklearn.mjs
// Needs /usr/bin/python3 with scikit-learn (Debian: python3-sklearn); without it the comparison is
// skipped (Keel's figures are still printed) and the script exits 0.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../dist/core/random.js';
import { sample } from '../dist/data/generators/agrawal.js';
import { trainGbdt } from '../dist/models/train/gbdt/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const ROWS = Number(process.env.KEEL_BENCH_GBDT_ROWS ?? 50_000);
const PARAMS = {
  trees: 100,
  learningRate: 0.1,
  maxDepth: 6,
  minSamplesLeaf: 20,
  maxBins: 255,
  l2: 0,
  nIterNoChange: 10,
};
const AGRAWAL_COLUMNS = [
  'salary',
  'commission',
  'age',
  'elevel',
  'car',
  'zipcode',
  'hvalue',
  'hyears',
  'loan',
];

/** Agrawal loan applicants (all nine attributes as numbers), label = approved. */
function agrawalData(fn, labelNoise, seed) {
  const rows = sample({ seed, fn, labelNoise }, ROWS);
  const F = AGRAWAL_COLUMNS.length;
  const data = new Float64Array(ROWS * F);
  const y = new Float64Array(ROWS);
  rows.forEach((a, r) => {
    AGRAWAL_COLUMNS.forEach((c, f) => {
      data[r * F + f] = Math.fround(a[c]);
    });
    y[r] = a.approved;
  });
  return {
    name: `agrawal f${fn} (${labelNoise * 100}% label noise)`,
    task: 'binary',
    classes: 2,
    X: { rows: ROWS, cols: F, data },
    y,
  };
}

/** Four classes from a noisy non-linear score over 4 of 10 features (6 are distractors). */
function multiclassData(seed) {
  const rnd = seededRandom(seed);
  const F = 10;
  const data = new Float64Array(ROWS * F);
  const y = new Float64Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    const x = [];
    for (let f = 0; f < F; f++) {
      const v = Math.fround(f % 3 === 0 ? rnd() * 100 : rnd() * 2 - 1);
      data[r * F + f] = v;
      x.push(v);
    }
    const z = Math.sin(x[1] * 3) + x[2] * x[4] * 2 + (x[3] > 50 ? 0.8 : -0.2) + (rnd() - 0.5) * 0.8;
    y[r] = z < -0.6 ? 0 : z < 0.2 ? 1 : z < 0.9 ? 2 : 3;
  }
  return {
    name: 'synthetic 4-class (10 features, noisy)',
    task: 'multiclass',
    classes: 4,
    X: { rows: ROWS, cols: F, data },
    y,
  };
}

/** The first 80% of the rows and the rest (the generators are i.i.d. streams, so this is a fair split). */
function split(d) {
  const n = Math.floor(d.X.rows * 0.8);
  const F = d.X.cols;
  const part = (a, b) => ({
    X: { rows: b - a, cols: F, data: d.X.data.slice(a * F, b * F) },
    y: d.y.slice(a, b),
  });
  return [part(0, n), part(n, d.X.rows)];
}

function accuracy(model, test, classes) {
  const raw = model.raw(test.X);
  const k = model.outputs;
  let ok = 0;
  for (let i = 0; i < test.X.rows; i++) {
    let pred;
    if (classes === 2) pred = raw[i] > 0 ? 1 : 0;
    else {
      pred = 0;
      for (let c = 1; c < k; c++) if (raw[i * k + c] > raw[i * k + pred]) pred = c;
    }
    if (pred === test.y[i]) ok++;
  }
  return ok / test.X.rows;
}

function writeCsv(file, part) {
  const F = part.X.cols;
  const lines = [[...Array.from({ length: F }, (_, f) => `x${f}`), 'y'].join(',')];
  for (let r = 0; r < part.X.rows; r++) {
    const row = [];
    for (let f = 0; f < F; f++) row.push(String(part.X.data[r * F + f]));
    row.push(String(part.y[r]));
    lines.push(row.join(','));
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

function sklearnAvailable() {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} not found`;
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'pipe' });
    return null;
  } catch {
    return 'scikit-learn is not installed (apt-get install python3-sklearn)';
  }
}

function runSklearn(dir, train, test) {
  const trainCsv = path.join(dir, 'train.csv');
  const testCsv = path.join(dir, 'test.csv');
  writeCsv(trainCsv, train);
  writeCsv(testCsv, test);
  const out = execFileSync(PYTHON, [path.join(HERE, 'gbdt_sklearn.py'), trainCsv, testCsv], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop());
}

const skip = sklearnAvailable();
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}`);
console.log(
  `settings: ${PARAMS.trees} trees, depth ${PARAMS.maxDepth}, learning rate ${PARAMS.learningRate}, ` +
    `min ${PARAMS.minSamplesLeaf} rows/leaf, ${PARAMS.maxBins} bins, l2 0, no early stopping; ${ROWS} rows, 80/20 split`,
);
if (skip) console.log(`scikit-learn comparison skipped: ${skip}`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-gbdt-'));
let worst = 0;
try {
  for (const d of [agrawalData(2, 0.05, 1), agrawalData(5, 0.05, 2), multiclassData(3)]) {
    const [train, test] = split(d);
    const t0 = performance.now();
    const model = trainGbdt(train.X, train.y, d.task, d.classes, PARAMS);
    const keelSeconds = (performance.now() - t0) / 1000;
    const keelAcc = accuracy(model, test, d.classes);
    let line = `${d.name}: keel ${(keelAcc * 100).toFixed(2)}% (${keelSeconds.toFixed(2)} s, 1 thread)`;
    if (!skip) {
      const sk = runSklearn(dir, train, test);
      if (sk.skipped) line += `; sklearn skipped: ${sk.skipped}`;
      else {
        const diff = (keelAcc - sk.accuracy) * 100;
        worst = Math.max(worst, Math.abs(diff));
        line +=
          ` | sklearn ${sk.sklearn} HistGradientBoostingClassifier ${(sk.accuracy * 100).toFixed(2)}% ` +
          `(${sk.trainSeconds.toFixed(2)} s, ${sk.threads} threads) | difference ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} points`;
      }
    }
    console.log(line);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
if (!skip) console.log(`largest accuracy difference: ${worst.toFixed(2)} points (target: within 1 point)`);
