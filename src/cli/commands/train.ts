import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import { parseParams, train } from '../../models/train/index.js';
import type { TrainerKind } from '../../models/train/types.js';
import { withKeel } from '../connect.js';
import { gitCommit } from '../git.js';
import { loadDataset } from '../load-table.js';
import { mlmodelYaml } from '../mlmodel.js';
import { fmtNumber, printJson, printTable } from '../output.js';
import { progressBar } from '../progress.js';

const TRAINERS: TrainerKind[] = ['gbdt', 'logistic', 'linear'];

export interface TrainCliOptions {
  data: string;
  target: string;
  features?: string;
  params?: string;
  seed?: string;
  experiment: string;
  runName?: string;
  register?: string;
  intendedUse?: string;
  json?: boolean;
}

/**
 * `keel train gbdt --data loans@3 --target approved --params lr=0.1,trees=200 --experiment credit`:
 * trains on a dataset version and logs one run — params, per-iteration losses, final metrics, the
 * ONNX model (with an MLflow `MLmodel` file) and the dataset version as its input.
 */
export async function run(trainer: string, opts: TrainCliOptions, cmd: Command): Promise<void> {
  if (!TRAINERS.includes(trainer as TrainerKind))
    throw invalidParam(`unknown trainer "${trainer}"; use one of ${TRAINERS.join(', ')}`, 'trainer');
  const seed = opts.seed === undefined ? undefined : Number(opts.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed))
    throw invalidParam(`--seed must be an integer, got "${opts.seed}"`, 'seed');
  // Parameters are checked before any data is fetched.
  const planned = parseParams(trainer as TrainerKind, opts.params);
  await withKeel(cmd, async ({ keel }) => {
    const { version, table } = await loadDataset(keel, opts.data);
    const started = Date.now();
    const total = 'trees' in planned ? planned.trees : 'maxIter' in planned ? planned.maxIter : 1;
    const bar = progressBar(`train ${trainer}`, total, { unit: 'iterations' });
    // Train before creating the run: a bad target or parameter leaves no half-logged run behind.
    let model: ReturnType<typeof train>;
    try {
      model = train(table, {
        onIteration: (m) => bar.update(m.iteration),
        kind: trainer as TrainerKind,
        target: opts.target,
        ...(opts.features ? { features: opts.features.split(',').map((f) => f.trim()) } : {}),
        ...(opts.params ? { params: opts.params } : {}),
        ...(seed !== undefined ? { seed } : {}),
      });
    } finally {
      bar.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    const onnx = model.toOnnx();
    const commit = gitCommit(process.cwd());
    const active = await keel.startRun({
      experimentName: opts.experiment,
      ...(opts.runName ? { runName: opts.runName } : {}),
      tags: {
        'keel.trainer': trainer,
        'keel.task': model.task,
        'mlflow.source.type': 'LOCAL',
        'mlflow.source.name': `keel train ${trainer}`,
        ...(commit ? { 'mlflow.source.git.commit': commit } : {}),
      },
    });
    try {
      await keel.datasets.logInput(active.runId, version.ref, 'training');
      active.logParams({
        trainer,
        target: model.target,
        features: model.features.map((f) => f.name).join(','),
        ...Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, String(v)])),
      });
      for (const it of model.history) {
        active.logMetrics(
          { train_loss: it.trainLoss, ...(it.validLoss !== undefined ? { valid_loss: it.validLoss } : {}) },
          it.iteration,
        );
      }
      active.logMetrics({ ...model.metrics, train_seconds: seconds });
      await active.flush();
      await keel.runs.uploadArtifact(active.runId, 'model/model.onnx', onnx);
      await keel.runs.uploadArtifact(active.runId, 'model/MLmodel', mlmodelYaml(active.runId, onnx));
      await active.end();
    } catch (e) {
      await active.end('FAILED').catch(() => undefined);
      throw e;
    }
    const registered = opts.register
      ? await keel.models.registerVersion({
          name: opts.register,
          runId: active.runId,
          artifactPath: 'model',
          createModel: true,
          ...(opts.intendedUse ? { tags: { intended_use: opts.intendedUse } } : {}),
        })
      : null;
    if (opts.json) {
      return printJson({
        runId: active.runId,
        task: model.task,
        rows: model.rows,
        features: model.features.map((f) => f.name),
        skipped: model.skipped,
        params: model.params,
        metrics: model.metrics,
        seconds,
        model: registered ? `${registered.name}@${registered.version}` : null,
      });
    }
    const out = process.stdout;
    out.write(
      `trained ${pc.bold(trainer)} (${model.task}) on ${version.ref}: ${model.rows.train} training rows` +
        `${model.rows.valid ? `, ${model.rows.valid} validation rows` : ''}, ${model.features.length} features, ${seconds.toFixed(1)} s\n`,
    );
    for (const s of model.skipped) out.write(pc.dim(`  skipped feature ${s.name}: ${s.reason}\n`));
    printTable(
      ['metric', 'value'],
      Object.entries(model.metrics).map(([k, v]) => [k, fmtNumber(v)]),
    );
    out.write(`run ${active.runId} in experiment '${opts.experiment}', model at model/model.onnx\n`);
    if (registered)
      out.write(`registered ${pc.bold(`${registered.name}@${registered.version}`)} (pending approval)\n`);
  });
}
