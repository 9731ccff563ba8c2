// A user's training script: a hyperparameter sweep of logistic regression (plain SGD) on loan
// applicants, logged to Keel with the SDK — params, a metric per epoch, the model as an artifact.
// Usage: node examples/sweep.mjs <keel-url> [experiment-name]

import { Keel } from 'keel';
import { sample } from '../dist/data/generators/agrawal.js';

const FEATURES = ['salary', 'commission', 'age', 'elevel', 'car', 'zipcode', 'hvalue', 'hyears', 'loan'];

function standardiser(rows) {
  const stats = FEATURES.map((f) => {
    const xs = rows.map((r) => r[f]);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length) || 1;
    return { mean, sd };
  });
  return (r) => FEATURES.map((f, i) => (r[f] - stats[i].mean) / stats[i].sd);
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

function evaluate(w, b, X, y) {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < X.length; i++) {
    const p = sigmoid(X[i].reduce((s, x, j) => s + x * w[j], b));
    loss -= y[i] ? Math.log(Math.max(p, 1e-12)) : Math.log(Math.max(1 - p, 1e-12));
    correct += (p >= 0.5 ? 1 : 0) === y[i] ? 1 : 0;
  }
  return { loss: loss / X.length, accuracy: correct / X.length };
}

/** Trains one configuration and logs it as one run. */
async function trainRun(keel, experimentName, data, { lr, l2, epochs }, datasetRef) {
  const run = await keel.startRun({ experimentName, runName: `lr${lr}-l2${l2}`, tags: { model: 'logreg' } });
  // Lineage: the run records which dataset version it trained on.
  if (datasetRef) await keel.datasets.logInput(run.runId, datasetRef, 'training');
  run.logParams({
    lr: String(lr),
    l2: String(l2),
    epochs: String(epochs),
    features: FEATURES.join(','),
    dataset: 'agrawal-f7',
  });
  const { Xtr, ytr, Xva, yva } = data;
  const w = new Array(FEATURES.length).fill(0);
  let b = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = 0; i < Xtr.length; i++) {
      const x = Xtr[i];
      const g = sigmoid(x.reduce((s, v, j) => s + v * w[j], b)) - ytr[i];
      for (let j = 0; j < w.length; j++) w[j] -= lr * (g * x[j] + l2 * w[j]);
      b -= lr * g;
    }
    const tr = evaluate(w, b, Xtr, ytr);
    const va = evaluate(w, b, Xva, yva);
    // Cheap, synchronous calls: the SDK batches them in the background.
    run.logMetrics({ train_loss: tr.loss, val_loss: va.loss, val_accuracy: va.accuracy }, epoch);
  }
  await keel.runs.uploadArtifact(
    run.runId,
    'model/weights.json',
    JSON.stringify({ features: FEATURES, w, b }, null, 2),
  );
  await run.end();
  return run.runId;
}

/** The applicants the sweep trains on (the demo also stores them as dataset `loans@1`). */
export const trainingRows = () => sample({ seed: 2024, fn: 7, labelNoise: 0.05 }, 3000);

export async function sweep(url, experimentName = 'loan-approval', datasetRef) {
  const keel = new Keel({ url, token: process.env.KEEL_TOKEN });
  const rows = trainingRows();
  const toX = standardiser(rows.slice(0, 2400));
  const X = rows.map(toX);
  const y = rows.map((r) => r.approved);
  const data = { Xtr: X.slice(0, 2400), ytr: y.slice(0, 2400), Xva: X.slice(2400), yva: y.slice(2400) };
  const grid = [];
  for (const lr of [0.1, 0.03, 0.01]) for (const l2 of [0, 0.001]) grid.push({ lr, l2, epochs: 25 });
  const ids = [];
  for (const cfg of grid) {
    ids.push(await trainRun(keel, experimentName, data, cfg, datasetRef));
    process.stdout.write(`  trained lr=${cfg.lr} l2=${cfg.l2}\n`);
  }
  return ids;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.argv[2] ?? process.env.KEEL_URL;
  if (!url) {
    console.error('usage: node examples/sweep.mjs <keel-url> [experiment-name]');
    process.exit(2);
  }
  await sweep(url, process.argv[3]);
}
