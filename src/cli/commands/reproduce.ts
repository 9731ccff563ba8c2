import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import type { Table } from '../../data/table.js';
import { inspectOnnx } from '../../models/onnx/read.js';
import { loadModel } from '../../models/onnx/runtime.js';
import { type Scored, scoreTable } from '../../models/score.js';
import { readOnnxMeta, train } from '../../models/train/index.js';
import type { ModelVersion } from '../../registry/types.js';
import type { Keel } from '../../sdk/index.js';
import { withKeel } from '../connect.js';
import { loadDataset } from '../load-table.js';
import { fmtNumber, printJson } from '../output.js';

/** Largest probability/value difference that still counts as the same predictions. */
const TOLERANCE = 1e-6;

/**
 * `keel reproduce credit@champion`: re-runs the built-in training recorded in the model (trainer,
 * target, features, params, seed) on the recorded dataset version and checks that the new model
 * predicts the same on the evaluation data. Exit code 1 when it does not.
 */
export async function run(ref: string, opts: { data?: string; json?: boolean }, cmd: Command): Promise<void> {
  const ok = await withKeel(cmd, async ({ keel }) => {
    const v = await keel.models.resolve(ref);
    const label = `${v.name}@${v.version}`;
    if (!v.onnx) throw invalidParam(`${label} has no ONNX model`, 'model');
    const original = await keel.models.downloadOnnx(label);
    const meta = readOnnxMeta(inspectOnnx(original));
    if (!meta)
      throw invalidParam(
        `${label} was not trained by a Keel trainer; only built-in trainings can be re-run`,
        'model',
      );
    const trainedOn = await trainingData(keel, v);
    if (!trainedOn) throw invalidParam(`${label} records no training dataset version`, 'model');
    const { table: training } = await loadDataset(keel, trainedOn.ref);
    const started = Date.now();
    const again = train(training, {
      kind: meta.trainer,
      target: meta.target,
      features: meta.features.map((f) => f.name),
      params: Object.fromEntries(Object.entries(meta.params).map(([k, x]) => [k, String(x)])),
    });
    const seconds = (Date.now() - started) / 1000;
    const rebuilt = again.toOnnx();
    const evaluations = await keel.models.listEvaluations(v.name, v.version);
    const evalRef = opts.data ?? evaluations.at(-1)?.datasetRef ?? trainedOn.ref;
    const evalTable = evalRef === trainedOn.ref ? training : (await loadDataset(keel, evalRef)).table;
    const [a, b] = [await scoreBytes(original, evalTable), await scoreBytes(rebuilt, evalTable)];
    const cmp = compare(a, b);
    const sha = (x: Uint8Array) => createHash('sha256').update(x).digest('hex');
    const identical = sha(rebuilt) === v.onnx.sha256;
    const match = cmp.labelMismatches === 0 && cmp.maxAbsDiff <= TOLERANCE;
    const report = {
      model: label,
      trainer: meta.trainer,
      trainedOn: trainedOn.ref,
      evaluatedOn: evalRef,
      rows: evalTable.rows,
      seconds,
      identicalOnnx: identical,
      maxAbsDiff: cmp.maxAbsDiff,
      labelMismatches: cmp.labelMismatches,
      reproduced: match,
    };
    if (opts.json) printJson(report);
    else {
      process.stdout.write(
        `re-trained ${meta.trainer} for ${pc.bold(label)} on ${trainedOn.ref} in ${seconds.toFixed(1)} s\n` +
          `  ONNX ${identical ? 'bit-identical to the registered model' : 'differs from the registered bytes'}\n` +
          `  predictions on ${evalRef} (${evalTable.rows} rows): max |Δ| ${fmtNumber(cmp.maxAbsDiff)}, ${cmp.labelMismatches} label(s) differ\n` +
          (match ? pc.green('reproduced\n') : pc.red(`NOT reproduced (tolerance ${TOLERANCE})\n`)),
      );
    }
    return match;
  });
  if (!ok) process.exitCode = 1;
}

async function scoreBytes(onnx: Uint8Array, table: Table): Promise<Scored> {
  const session = await loadModel(onnx, { threads: 2 });
  try {
    return await scoreTable(session, inspectOnnx(onnx), table);
  } finally {
    await session.release();
  }
}

function compare(a: Scored, b: Scored): { maxAbsDiff: number; labelMismatches: number } {
  let maxAbsDiff = 0;
  const pa = a.probabilities ?? a.values;
  const pb = b.probabilities ?? b.values;
  if (!pa || !pb || pa.length !== pb.length)
    return { maxAbsDiff: Number.POSITIVE_INFINITY, labelMismatches: -1 };
  for (let i = 0; i < pa.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(pa[i]! - pb[i]!));
  let labelMismatches = 0;
  if (a.labels && b.labels)
    for (let i = 0; i < a.labels.length; i++) if (a.labels[i] !== b.labels[i]) labelMismatches++;
  return { maxAbsDiff, labelMismatches };
}

/**
 * The dataset version the model was trained on: the source run's input with context `training`
 * (name and content hash, so the exact version), else the first dataset the version records.
 */
async function trainingData(keel: Keel, v: ModelVersion): Promise<{ ref: string } | undefined> {
  if (v.runId) {
    const run = await keel.runs.get(v.runId);
    const input = run.inputs.datasetInputs.find((i) =>
      i.tags.some((t) => t.key === 'mlflow.data.context' && t.value === 'training'),
    );
    if (input) {
      const exact = await keel.datasets.get(`${input.dataset.name}@${input.dataset.digest}`);
      return { ref: exact.ref };
    }
  }
  return v.datasets[0];
}
