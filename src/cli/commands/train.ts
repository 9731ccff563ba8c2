import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import { parseParams } from '../../models/train/index.js';
import type { TrainerKind } from '../../models/train/types.js';
import { trainAndLog } from '../../pipelines/steps/builtins/train-and-log.js';
import { withKeel } from '../connect.js';
import { gitCommit } from '../git.js';
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
  parseParams(trainer as TrainerKind, opts.params);
  await withKeel(cmd, async ({ keel }) => {
    const commit = gitCommit(process.cwd());
    const { runId, version, model, seconds } = await trainAndLog(
      keel,
      {
        data: opts.data,
        trainer: trainer as TrainerKind,
        target: opts.target,
        ...(opts.features ? { features: opts.features.split(',').map((f) => f.trim()) } : {}),
        ...(opts.params ? { params: opts.params } : {}),
        ...(seed !== undefined ? { seed } : {}),
      },
      {
        experiment: opts.experiment,
        runName: opts.runName,
        tags: {
          'mlflow.source.type': 'LOCAL',
          'mlflow.source.name': `keel train ${trainer}`,
          ...(commit ? { 'mlflow.source.git.commit': commit } : {}),
        },
      },
      { progress: (label, total, unit) => progressBar(label, total, { unit }) },
    );
    const registered = opts.register
      ? await keel.models.registerVersion({
          name: opts.register,
          runId,
          artifactPath: 'model',
          createModel: true,
          ...(opts.intendedUse ? { tags: { intended_use: opts.intendedUse } } : {}),
        })
      : null;
    if (opts.json) {
      return printJson({
        runId,
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
    out.write(`run ${runId} in experiment '${opts.experiment}', model at model/model.onnx\n`);
    if (registered)
      out.write(`registered ${pc.bold(`${registered.name}@${registered.version}`)} (pending approval)\n`);
  });
}
