/**
 * Scoring a registered version on a table and evaluating the predictions, client-side through
 * the API: `keel eval` and the `evaluate` step run exactly this.
 */
import { invalidParam } from '../../../core/errors.js';
import { column, type Table } from '../../../data/table.js';
import { type EvalResult, evaluate } from '../../../models/eval/index.js';
import { inspectOnnx } from '../../../models/onnx/read.js';
import { loadModel } from '../../../models/onnx/runtime.js';
import { withoutZipMap } from '../../../models/onnx/zipmap.js';
import { type Scored, scoreTable } from '../../../models/score.js';
import type { Task } from '../../../models/train/types.js';
import type { ModelVersion } from '../../../registry/types.js';
import type { Keel } from '../../../sdk/index.js';

/** How errors name the options, so each caller's user reads their own spelling (`--target`, `with.target`). */
export interface OptionNames {
  target: string;
  positive: string;
}

const CLI_NAMES: OptionNames = { target: '--target', positive: '--positive' };

/** How to read a model the registry cannot fully describe (a foreign ONNX export). */
export interface ReadModelOptions {
  target?: string;
  task?: Task;
  classes?: string;
  /** Comma-separated feature columns feeding a single [N, F] input, in order. */
  features?: string;
  names?: OptionNames;
}

/** A registered version, its ONNX bytes and its predictions on a table. */
export interface ScoredVersion {
  version: ModelVersion;
  onnx: Uint8Array;
  target: string;
  scored: Scored;
}

/** Resolves `ref`, downloads its ONNX and scores `table` with it (onnxruntime, 2 threads). */
export async function scoreVersion(
  keel: Keel,
  ref: string,
  table: Table,
  opts: ReadModelOptions = {},
): Promise<ScoredVersion> {
  const names = opts.names ?? CLI_NAMES;
  const version = await keel.models.resolve(ref);
  if (!version.onnx)
    throw invalidParam(`${version.name}@${version.version} has no ONNX model to evaluate`, 'model');
  const onnx = await keel.models.downloadOnnx(`${version.name}@${version.version}`);
  // ZipMap's seq(map) output cannot be read from onnxruntime-node: score its probability tensor.
  const unzipped = withoutZipMap(onnx);
  const runnable = unzipped?.bytes ?? onnx;
  const info = inspectOnnx(runnable);
  const classes = opts.classes ? parseClasses(opts.classes) : (unzipped?.classes ?? undefined);
  const target = opts.target ?? info.metadataProps['keel.target'];
  if (!target)
    throw invalidParam(
      `${version.name}@${version.version} does not record its target column; pass ${names.target}`,
      'target',
    );
  column(table, target, 'target');
  const session = await loadModel(runnable, { threads: 2 });
  try {
    const scored = await scoreTable(session, info, table, {
      ...(opts.features
        ? { features: opts.features.split(',').map((f) => f.trim()) }
        : version.featureSchema
          ? { features: version.featureSchema.map((f) => f.name) }
          : {}),
      ...(opts.task ? { task: opts.task } : {}),
      ...(classes ? { classes } : {}),
    });
    return { version, onnx, target, scored };
  } finally {
    await session.release();
  }
}

/** Evaluates scored predictions against the table's target, with optional slices and fairness. */
export function evaluateScored(
  s: ScoredVersion,
  table: Table,
  opts: { sliceBy?: string; sensitive?: string; positive?: string; names?: OptionNames } = {},
): EvalResult {
  // evaluate() matches booleans and numeric strings to the model's classes (true → 1, '1' → 1).
  const actual = column(table, s.target, 'target');
  const names = opts.names ?? CLI_NAMES;
  return evaluate({
    task: s.scored.task,
    classes: s.scored.classes,
    actual,
    predicted: { labels: s.scored.labels, probabilities: s.scored.probabilities, values: s.scored.values },
    ...(opts.positive !== undefined
      ? { positiveClass: matchClass(opts.positive, s.scored.classes, names.positive) }
      : {}),
    ...(opts.sliceBy
      ? { sliceBy: { name: opts.sliceBy, values: column(table, opts.sliceBy, 'slice-by') } }
      : {}),
    ...(opts.sensitive
      ? { sensitive: { name: opts.sensitive, values: column(table, opts.sensitive, 'sensitive') } }
      : {}),
  });
}

function matchClass(raw: string, classes: (string | number)[] | null, option: string): string | number {
  const hit = classes?.find((c) => String(c) === raw);
  if (hit === undefined)
    throw invalidParam(
      `${option} ${raw} is not one of the classes (${(classes ?? []).join(', ')})`,
      'positive',
    );
  return hit;
}

function parseClasses(raw: string): (string | number)[] {
  const parts = raw.split(',').map((s) => s.trim());
  return parts.every((p) => /^-?\d+$/.test(p)) ? parts.map(Number) : parts;
}
