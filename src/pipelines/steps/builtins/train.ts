/**
 * `uses: train`: trains a built-in model on a dataset version and logs it into the step's tracked
 * run (params, per-iteration losses, metrics, the ONNX model with its MLmodel file, the dataset as
 * input), exactly as `keel train` logs a run of its own.
 */
import { z } from 'zod';
import { parseParams } from '../../../models/train/index.js';
import type { TrainerKind } from '../../../models/train/types.js';
import type { Keel, Run } from '../../../sdk/index.js';
import { experimentOf } from '../../tracked.js';
import type { Builtin, BuiltinContext, BuiltinResult, StepOutputs } from '../types.js';
import { provenanceTags } from './provenance.js';
import { loggedModel, type TrainOutcome, trainAndLog } from './train-and-log.js';
import { asWithError, integer, names, parseWith, text } from './with.js';

const TRAINERS = ['gbdt', 'logistic', 'linear'] as const;

const Schema = z.strictObject({
  data: text,
  trainer: z.enum(TRAINERS, { error: `must be one of ${TRAINERS.join(', ')}` }),
  target: text,
  features: names.optional(),
  /** `lr=0.1,trees=200`, or a mapping of parameters. */
  params: z
    .union(
      [z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))],
      {
        error: 'must be "k=v,…" text or a mapping of parameters',
      },
    )
    .optional(),
  seed: integer.optional(),
  experiment: text.optional(),
});

export type TrainWith = {
  data: string;
  trainer: TrainerKind;
  target: string;
  features?: string[] | undefined;
  params?: string | Record<string, string> | undefined;
  seed?: number | undefined;
  /** Default `pipeline:<name>`, the experiment of the pipeline's tracked runs. */
  experiment?: string | undefined;
};

/** The experiment a train step's run belongs in. */
export const trainExperiment = (w: Pick<TrainWith, 'experiment'>, pipeline: string): string =>
  w.experiment ?? experimentOf(pipeline);

/** Per-iteration series: logged by step, not final figures. */
const ITERATION_METRICS = new Set(['train_loss', 'valid_loss']);

function outputsOf(runId: string, task: string, data: string, metrics: Record<string, number>): StepOutputs {
  return { run_id: runId, model_uri: `runs:/${runId}/model`, task, data, ...metrics };
}

/** A retried step whose first attempt already logged the model: its outputs, read back from the run. */
function fromRun(run: Run): BuiltinResult {
  const tag = (k: string) => run.data.tags.find((t) => t.key === k)?.value ?? '';
  const metrics = Object.fromEntries(
    run.data.metrics.filter((m) => !ITERATION_METRICS.has(m.key)).map((m) => [m.key, m.value]),
  );
  const source = run.inputs.datasetInputs[0]?.dataset.source ?? '';
  const data = source.startsWith('keel://') ? source.slice('keel://'.length) : source;
  return { outputs: outputsOf(run.info.runId, tag('keel.task'), data, metrics), metrics };
}

async function noteExperiment(keel: Keel, b: BuiltinContext & { with: TrainWith }, run: Run): Promise<void> {
  const wanted = trainExperiment(b.with, b.pipeline);
  const actual = await keel.experiments.get(run.info.experimentId);
  if (actual.name !== wanted)
    b.log(`note: the step's run is in experiment '${actual.name}', not '${wanted}' (the runner chose it)`);
}

function summary(o: TrainOutcome, trainer: string): string[] {
  const m = o.model;
  return [
    `trained ${trainer} (${m.task}) on ${o.version.ref}: ${m.rows.train} training rows` +
      `${m.rows.valid ? `, ${m.rows.valid} validation rows` : ''}, ${m.features.length} features, ${o.seconds.toFixed(1)} s`,
    ...m.skipped.map((s) => `  skipped feature ${s.name}: ${s.reason}`),
    `model logged at runs:/${o.runId}/model`,
  ];
}

export const trainStep: Builtin<TrainWith> = {
  name: 'train',
  description:
    'Train a built-in model (gbdt, logistic, linear) on a dataset version and log it as the step run',

  parse(withArgs, opts) {
    const { value, pending } = parseWith('train', Schema, withArgs, opts);
    if (value.params !== undefined && !pending.has('params') && !pending.has('trainer')) {
      try {
        parseParams(value.trainer, value.params, value.seed === undefined ? {} : { seed: value.seed });
      } catch (e) {
        throw asWithError('train', 'params', e);
      }
    }
    return value as TrainWith;
  },

  async fingerprint(b) {
    // `data: loans` names the latest version: the cache must see which content it resolved to.
    return `data:${(await b.keel.datasets.get(b.with.data)).contentHash}`;
  },

  async run(b) {
    const { keel, with: w } = b;
    const run = await keel.runs.get(b.trackedRunId);
    if (await loggedModel(keel, b.trackedRunId)) {
      b.log(`an earlier attempt already logged the model in run ${b.trackedRunId}: reusing it`);
      return fromRun(run);
    }
    await noteExperiment(keel, b, run);
    let outcome: TrainOutcome;
    try {
      outcome = await trainAndLog(
        keel,
        {
          data: w.data,
          trainer: w.trainer,
          target: w.target,
          features: w.features,
          params: w.params,
          seed: w.seed,
        },
        { runId: b.trackedRunId, tags: provenanceTags(b) },
        { signal: b.signal },
      );
    } catch (e) {
      const field = (e as { details?: { field?: string } }).details?.field;
      throw field === 'target' || field === 'features' ? asWithError('train', field, e) : e;
    }
    for (const line of summary(outcome, w.trainer)) b.log(line);
    const metrics = { ...outcome.model.metrics, train_seconds: outcome.seconds };
    return { outputs: outputsOf(outcome.runId, outcome.model.task, outcome.version.ref, metrics), metrics };
  },
};
