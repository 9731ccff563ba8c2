/**
 * Training on a dataset version and logging the result as an MLflow-style run: params,
 * per-iteration losses, final metrics, the ONNX model with its `MLmodel` file, and the dataset
 * version as the run's input. `keel train` and the `train` step both run exactly this.
 */
import { type ParamsInput, parseParams, type TrainedPipeline, train } from '../../../models/train/index.js';
import type { TrainerKind } from '../../../models/train/types.js';
import { ActiveRun, type DatasetVersion, type Keel } from '../../../sdk/index.js';
import { loadDataset } from './dataset-io.js';
import { mlmodelYaml } from './mlmodel.js';
import { noProgress, type ProgressFactory } from './progress.js';

export interface TrainSpec {
  /** Dataset version ref (`loans@3`, `loans`). */
  data: string;
  trainer: TrainerKind;
  target: string;
  features?: string[] | undefined;
  params?: ParamsInput;
  seed?: number | undefined;
}

/** Where the run goes: a new run in an experiment (created if missing), or an existing run. */
export type RunTarget =
  | { experiment: string; runName?: string | undefined; tags?: Record<string, string> }
  | { runId: string; tags?: Record<string, string> };

export interface TrainHooks {
  progress?: ProgressFactory;
  /** Checked between phases and after every iteration: an abort stops training with its reason. */
  signal?: AbortSignal;
}

export interface TrainOutcome {
  runId: string;
  /** The dataset version trained on. */
  version: DatasetVersion;
  model: TrainedPipeline;
  /** Wall-clock training time (fetching the data excluded). */
  seconds: number;
}

/**
 * Trains, then logs. Training comes first: a bad target or parameter leaves no half-logged run.
 * A run created here is ended (FAILED if logging fails); an existing run is left open for its owner.
 */
export async function trainAndLog(
  keel: Keel,
  spec: TrainSpec,
  target: RunTarget,
  hooks: TrainHooks = {},
): Promise<TrainOutcome> {
  const progress = hooks.progress ?? noProgress;
  const signal = hooks.signal;
  const planned = parseParams(spec.trainer, spec.params);
  const { version, table } = await loadDataset(keel, spec.data, progress);
  signal?.throwIfAborted();
  const started = Date.now();
  const total = 'trees' in planned ? planned.trees : 'maxIter' in planned ? planned.maxIter : 1;
  const bar = progress(`train ${spec.trainer}`, total, 'iterations');
  let model: TrainedPipeline;
  try {
    model = train(table, {
      onIteration: (m) => {
        signal?.throwIfAborted();
        bar.update(m.iteration);
      },
      kind: spec.trainer,
      target: spec.target,
      ...(spec.features ? { features: spec.features } : {}),
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    });
  } finally {
    bar.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  const onnx = model.toOnnx();
  const tags = { 'keel.trainer': spec.trainer, 'keel.task': model.task, ...target.tags };
  const owned = 'experiment' in target;
  let active: ActiveRun;
  if ('experiment' in target) {
    active = await keel.startRun({
      experimentName: target.experiment,
      ...(target.runName ? { runName: target.runName } : {}),
      tags,
    });
  } else {
    active = new ActiveRun(keel.runs, await keel.runs.get(target.runId));
    for (const [k, v] of Object.entries(tags)) active.setTag(k, v);
  }
  try {
    await keel.datasets.logInput(active.runId, version.ref, 'training');
    active.logParams({
      trainer: spec.trainer,
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
    // The MLmodel file goes last: its presence says the model is complete (see `loggedModel`).
    await keel.runs.uploadArtifact(active.runId, 'model/MLmodel', mlmodelYaml(active.runId, onnx));
    if (owned) await active.end();
  } catch (e) {
    if (owned) await active.end('FAILED').catch(() => undefined);
    throw e;
  }
  return { runId: active.runId, version, model, seconds };
}

/** Whether a run already holds a complete logged model (`model/model.onnx` and then `model/MLmodel`). */
export async function loggedModel(keel: Keel, runId: string): Promise<boolean> {
  const files = await keel.runs.listArtifacts(runId, 'model');
  return files.some((f) => f.path === 'model/MLmodel') && files.some((f) => f.path === 'model/model.onnx');
}
