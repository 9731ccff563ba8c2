/**
 * Training pipeline: from a typed table and a target to a trained, exportable model. It infers the
 * task from the target, drops rows without a target, splits off a seeded validation set (GBDT early
 * stopping), fits the preprocessing on the training rows, trains the model, computes metrics, and
 * gives predictions identical to the exported ONNX graph's.
 */
import { invalidParam } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { checkFeatureNames, exportOnnx } from './export.js';
import { trainGbdt } from './gbdt/index.js';
import { sigmoid, trainLinear, trainLogistic } from './linear.js';
import { EARLY_STOPPING_AUTO_ROWS, type ParamsByKind, paramsRecord, parseParams } from './params.js';
import {
  buildMatrix,
  encodingFor,
  fitFeatures,
  numericValue,
  type Skipped,
  selectFeatures,
} from './preprocess.js';
import { isNull, schemaColumn, type TrainTable, tableColumn } from './table.js';
import type { CoreModel, FittedFeature, IterationMetrics, Matrix, Task, TrainerKind } from './types.js';

/** An integer target with at most this many distinct values is a class label. */
export const MAX_INTEGER_CLASSES = 20;
/** Classification targets may have at most this many classes. */
export const MAX_CLASSES = 100;

export interface TrainOptions {
  kind: TrainerKind;
  target: string;
  /** Feature columns; default: every column but the target that is numeric, boolean or categorical. */
  features?: string[];
  /** `lr=0.1,trees=200` or a record of raw strings (see params.ts). */
  params?: string | Record<string, string>;
  /** Default for the `seed` parameter (0). */
  seed?: number;
  onIteration?: (m: IterationMetrics) => void;
}

/** Predictions for a table's rows; which fields are set depends on the task. */
export interface Prediction {
  /** Predicted class per row (classification). */
  labels: (string | number)[] | null;
  /** N×C class probabilities, row-major, classes in `classes` order (classification). */
  probabilities: Float64Array | null;
  /** Predicted value per row (regression). */
  values: Float64Array | null;
}

export interface TrainedPipeline {
  kind: TrainerKind;
  task: Task;
  target: string;
  features: FittedFeature[];
  /** Columns left out of the features, with the reason. */
  skipped: Skipped[];
  /** Class values in probability-column order: numbers for an integer target, else strings. */
  classes: (string | number)[] | null;
  /** Parameters under their canonical keys, defaults and resolved `early_stopping` included. */
  params: Record<string, number | string | boolean>;
  history: IterationMetrics[];
  /** train_/valid_ accuracy and log_loss (classification) or rmse, mae and r2 (regression), and more. */
  metrics: Record<string, number>;
  /** Training and validation rows, and rows dropped for a missing target. */
  rows: { train: number; valid: number; dropped: number };
  predict(table: TrainTable): Prediction;
  toOnnx(): Uint8Array;
}

/** Trains a pipeline (preprocessing + model) on `table`. Errors are invalidParam with a clear message. */
export function train(table: TrainTable, opts: TrainOptions): TrainedPipeline {
  const { kind, target } = opts;
  if (!['gbdt', 'logistic', 'linear'].includes(kind)) {
    throw invalidParam(`unknown trainer '${String(kind)}' (trainers: gbdt, logistic, linear)`, 'kind');
  }
  if (table.rows === 0) throw invalidParam('the table is empty: there is nothing to train on', 'data');
  const params = parseParams(kind, opts.params, opts.seed !== undefined ? { seed: opts.seed } : {});
  const targetType = schemaColumn(table, target, 'target').type;
  const targetValues = tableColumn(table, target, 'target');
  const kept: number[] = [];
  for (let i = 0; i < table.rows; i++) if (!isNull(targetValues[i])) kept.push(i);
  if (kept.length === 0)
    throw invalidParam(`target '${target}' has no value in ${table.rows} rows`, 'target');
  const { task, classes, y } = targetOf(kind, target, targetType, targetValues, kept);

  const split = splitRows(kind, params, task, y, kept);
  const encoding = encodingFor(kind);
  const chosen = selectFeatures(table, target, opts.features);
  const fitted = fitFeatures(table, chosen.names, encoding, split.train);
  const skipped = [...chosen.skipped, ...fitted.skipped];
  const features = fitted.features;
  if (features.length === 0) {
    const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
    throw invalidParam(`no usable features for target '${target}'${why ? ` (${why})` : ''}`, 'features');
  }
  checkFeatureNames(features);
  const X = buildMatrix(features, encoding, table, split.train);
  const yTrain = pick(y, split.trainPos);
  const valid = split.valid.length
    ? { X: buildMatrix(features, encoding, table, split.valid), y: pick(y, split.validPos) }
    : undefined;

  const history: IterationMetrics[] = [];
  const onIteration = (m: IterationMetrics): void => {
    history.push(m);
    opts.onIteration?.(m);
  };
  const nClasses = classes?.length ?? 1;
  let model: CoreModel;
  const extra: Record<string, number> = {};
  if (kind === 'gbdt') {
    const p = params as ParamsByKind['gbdt'];
    const { earlyStopping: _e, validationFraction: _v, seed: _s, ...core } = p;
    const m = trainGbdt(X, yTrain, task, nClasses, core, { ...(valid ? { valid } : {}), onIteration });
    extra['trees'] = m.bestIteration;
    model = m;
  } else if (kind === 'logistic') {
    const p = params as ParamsByKind['logistic'];
    const m = trainLogistic(X, yTrain, nClasses, { l2: p.l2, maxIter: p.maxIter, tol: p.tol, onIteration });
    extra['iterations'] = m.iterations;
    extra['converged'] = m.converged ? 1 : 0;
    model = m;
  } else {
    model = trainLinear(X, yTrain, { l2: (params as ParamsByKind['linear']).l2, onIteration });
  }

  const resolved = paramsRecord(kind, params);
  if (kind === 'gbdt') resolved['early_stopping'] = split.valid.length > 0;
  const score = (M: Matrix): Prediction => toPrediction(task, classes, model.raw(M));
  const metrics = {
    ...scoreMetrics('train', task, score(X), yTrain),
    ...(valid ? scoreMetrics('valid', task, score(valid.X), valid.y) : {}),
    ...extra,
  };
  return {
    kind,
    task,
    target,
    features,
    skipped,
    classes,
    params: resolved,
    history,
    metrics,
    rows: { train: split.train.length, valid: split.valid.length, dropped: table.rows - kept.length },
    predict: (t) => score(buildMatrix(features, encoding, t)),
    toOnnx: () => exportOnnx({ trainer: kind, task, target, features, classes, params: resolved, model }),
  };
}

/** The task, the classes and the training target (class index, or value) of the kept rows. */
function targetOf(
  kind: TrainerKind,
  target: string,
  type: string,
  values: ArrayLike<unknown>,
  kept: number[],
): { task: Task; classes: (string | number)[] | null; y: Float64Array } {
  if (type === 'datetime') {
    throw invalidParam(
      `target '${target}' is a datetime column; a target must be a class or a number`,
      'target',
    );
  }
  const numeric = type === 'integer' || type === 'float';
  let distinct: Set<string | number> | null = null;
  if (type !== 'float') {
    distinct = new Set();
    for (const i of kept) {
      const v = values[i];
      distinct.add(type === 'integer' ? numericValue(v as number) : String(v));
      if (type === 'integer' && distinct.size > MAX_INTEGER_CLASSES) break;
    }
  }
  const classLike = type !== 'float' && !(type === 'integer' && distinct!.size > MAX_INTEGER_CLASSES);
  if (kind === 'logistic' && !classLike) {
    const why =
      type === 'float' ? 'a float column' : `an integer column with over ${MAX_INTEGER_CLASSES} values`;
    throw invalidParam(
      `logistic regression needs a classification target; '${target}' is ${why} (use linear or gbdt)`,
      'target',
    );
  }
  if (kind === 'linear' && !numeric) {
    throw invalidParam(
      `linear regression needs a numeric target; '${target}' is a ${type} column (use logistic or gbdt)`,
      'target',
    );
  }
  if (kind === 'linear' || !classLike) {
    const y = Float64Array.from(kept, (i) => numericValue(values[i] as number));
    return { task: 'regression', classes: null, y };
  }
  const classes = [...distinct!].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number'
      ? a - b
      : String(a) < String(b)
        ? -1
        : String(a) > String(b)
          ? 1
          : 0,
  );
  if (classes.length < 2) {
    throw invalidParam(
      `target '${target}' has a single class (${String(classes[0])}) in ${kept.length} rows`,
      'target',
    );
  }
  if (classes.length > MAX_CLASSES) {
    throw invalidParam(
      `target '${target}' has ${classes.length} classes; at most ${MAX_CLASSES} are supported`,
      'target',
    );
  }
  const index = new Map<string | number, number>(classes.map((c, k) => [c, k]));
  const y = Float64Array.from(kept, (i) => {
    const v = values[i];
    return index.get(type === 'integer' ? numericValue(v as number) : String(v))!;
  });
  return { task: classes.length === 2 ? 'binary' : 'multiclass', classes, y };
}

/** Training and validation rows (table indices) and their positions among the kept rows. */
interface Split {
  train: number[];
  valid: number[];
  trainPos: number[];
  validPos: number[];
}

/**
 * GBDT with early stopping holds out `validation_fraction` of the rows, chosen by a seeded shuffle
 * and stratified by class for classification, so every class keeps its share on both sides.
 */
function splitRows(
  kind: TrainerKind,
  params: ParamsByKind[TrainerKind],
  task: Task,
  y: Float64Array,
  kept: number[],
): Split {
  const all: Split = { train: kept, valid: [], trainPos: kept.map((_, p) => p), validPos: [] };
  if (kind !== 'gbdt') return all;
  const p = params as ParamsByKind['gbdt'];
  const on = p.earlyStopping === 'auto' ? kept.length > EARLY_STOPPING_AUTO_ROWS : p.earlyStopping;
  if (!on) return all;
  const order = kept.map((_, pos) => pos);
  const rnd = seededRandom(p.seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const isValid = new Uint8Array(kept.length);
  if (task === 'regression') {
    const want = Math.round(kept.length * p.validationFraction);
    for (let i = 0; i < want; i++) isValid[order[i]!] = 1;
  } else {
    const quota = stratifiedQuota(y, p.validationFraction);
    for (const pos of order) {
      const q = quota.get(y[pos]!)!;
      if (q > 0) {
        isValid[pos] = 1;
        quota.set(y[pos]!, q - 1);
      }
    }
  }
  const split: Split = { train: [], valid: [], trainPos: [], validPos: [] };
  for (let pos = 0; pos < kept.length; pos++) {
    if (isValid[pos]) {
      split.valid.push(kept[pos]!);
      split.validPos.push(pos);
    } else {
      split.train.push(kept[pos]!);
      split.trainPos.push(pos);
    }
  }
  if (split.valid.length === 0 || split.train.length === 0) return all;
  return split;
}

/**
 * Validation rows per class: round(n × fraction) in all, shared by largest remainder so each class
 * gets its share to within one row.
 */
function stratifiedQuota(y: Float64Array, fraction: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const v of y) counts.set(v, (counts.get(v) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const quota = new Map(classes.map((c) => [c, Math.floor(counts.get(c)! * fraction)]));
  let left = Math.round(y.length * fraction) - [...quota.values()].reduce((a, b) => a + b, 0);
  const byRemainder = [...classes].sort((a, b) => {
    const ra = counts.get(a)! * fraction - quota.get(a)!;
    const rb = counts.get(b)! * fraction - quota.get(b)!;
    return rb - ra || a - b;
  });
  for (const c of byRemainder) {
    if (left-- <= 0) break;
    quota.set(c, quota.get(c)! + 1);
  }
  return quota;
}

const pick = (y: Float64Array, pos: number[]): Float64Array => Float64Array.from(pos, (p) => y[p]!);

/** Raw scores to predictions: probabilities by the logistic / softmax function, labels by argmax. */
function toPrediction(task: Task, classes: (string | number)[] | null, raw: Float64Array): Prediction {
  if (task === 'regression' || !classes) return { labels: null, probabilities: null, values: raw };
  const C = classes.length;
  const n = task === 'binary' ? raw.length : raw.length / C;
  const probabilities = new Float64Array(n * C);
  const labels = new Array<string | number>(n);
  for (let i = 0; i < n; i++) {
    if (task === 'binary') {
      const p = sigmoid(raw[i]!);
      probabilities[2 * i] = 1 - p;
      probabilities[2 * i + 1] = p;
      labels[i] = classes[raw[i]! > 0 ? 1 : 0]!;
      continue;
    }
    const o = i * C;
    let max = Number.NEGATIVE_INFINITY;
    let arg = 0;
    for (let k = 0; k < C; k++) {
      if (raw[o + k]! > max) {
        max = raw[o + k]!;
        arg = k;
      }
    }
    let sum = 0;
    for (let k = 0; k < C; k++) sum += Math.exp(raw[o + k]! - max);
    for (let k = 0; k < C; k++) probabilities[o + k] = Math.exp(raw[o + k]! - max) / sum;
    labels[i] = classes[arg]!;
  }
  return { labels, probabilities, values: null };
}

/** Accuracy and log loss, or RMSE, MAE and R², prefixed with the split's name. */
function scoreMetrics(split: string, task: Task, pred: Prediction, y: Float64Array): Record<string, number> {
  const n = y.length;
  if (task === 'regression') {
    const v = pred.values!;
    let se = 0;
    let ae = 0;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i]! / n;
    let tss = 0;
    for (let i = 0; i < n; i++) {
      se += (v[i]! - y[i]!) ** 2;
      ae += Math.abs(v[i]! - y[i]!);
      tss += (y[i]! - mean) ** 2;
    }
    return {
      [`${split}_rmse`]: Math.sqrt(se / n),
      [`${split}_mae`]: ae / n,
      [`${split}_r2`]: tss > 0 ? 1 - se / tss : 0,
    };
  }
  const p = pred.probabilities!;
  const C = p.length / n;
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const k = y[i]!;
    let arg = 0;
    for (let c = 1; c < C; c++) if (p[i * C + c]! > p[i * C + arg]!) arg = c;
    if (arg === k) correct++;
    loss -= Math.log(Math.min(1 - 1e-15, Math.max(1e-15, p[i * C + k]!)));
  }
  return { [`${split}_accuracy`]: correct / n, [`${split}_log_loss`]: loss / n };
}
