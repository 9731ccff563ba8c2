/**
 * `evaluate()`: a model's predictions against the truth — the task's metrics overall, per slice,
 * and fairness across a sensitive attribute. Pure: no I/O, the caller scores and stores.
 */
import { invalidParam } from '../../core/errors.js';
import { calibration } from './calibration.js';
import { accuracy, averagedScores, binaryScores, confusionMatrix } from './classification.js';
import { fairness } from './fairness.js';
import { distinctLabels, isMissing, LabelIndex } from './labels.js';
import { logLoss } from './log-loss.js';
import { averagePrecision, oneVsRestMacro, rocAuc } from './ranking.js';
import { regressionScores } from './regression.js';
import { groupRows } from './slices.js';
import type { Calibration, ConfusionMatrix, EvalCell, EvalInput, EvalResult, MetricValues } from './types.js';

/** Classification rows after skipping missing actuals: label indices and probabilities. */
interface ClassRows {
  multiclass: boolean;
  labels: LabelIndex;
  /** The model's classes: probability columns 0 … classes−1. */
  classes: number;
  actual: Int32Array;
  predicted: Int32Array;
  /** N×classes, or null when the model gave none. */
  probabilities: Float64Array | null;
  /** Binary (and fairness): the positive class's index; −1 when not needed. */
  positive: number;
}

/** Evaluates predictions against the truth; see the metric keys in metrics.ts. */
export function evaluate(input: EvalInput): EvalResult {
  const n = input.actual.length;
  checkLength(input.sliceBy?.values, n, 'sliceBy');
  checkLength(input.sensitive?.values, n, 'sensitive');
  if (input.task === 'regression') return evaluateRegression(input);
  if (input.task !== 'binary' && input.task !== 'multiclass')
    throw invalidParam(`unknown task ${JSON.stringify(input.task)}`, 'task');
  return evaluateClassification(input);
}

function checkLength(values: ArrayLike<unknown> | null | undefined, n: number, field: string): void {
  if (values && values.length !== n)
    throw invalidParam(`${field} has ${values.length} values for ${n} rows`, field);
}

function evaluateRegression(input: EvalInput): EvalResult {
  const n = input.actual.length;
  const values = input.predicted.values;
  if (!values) throw invalidParam('a regression evaluation needs predicted values', 'predicted.values');
  if (input.sensitive) throw invalidParam('fairness needs a classification model', 'sensitive');
  checkLength(values, n, 'predicted.values');
  const kept: number[] = [];
  const actual: number[] = [];
  const predicted: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = toNumber(input.actual[i], i);
    if (Number.isNaN(a)) continue;
    const p = values[i]!;
    if (!Number.isFinite(p)) throw invalidParam(`predicted value of row ${i} is ${p}`, 'predicted.values');
    kept.push(i);
    actual.push(a);
    predicted.push(p);
  }
  const y = Float64Array.from(actual);
  const yhat = Float64Array.from(predicted);
  const source = Int32Array.from(kept);
  const metrics = (rows: number[] | null): MetricValues => {
    if (!rows) return { ...regressionScores(y, yhat) };
    const a = new Float64Array(rows.length);
    const p = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      a[i] = y[r]!;
      p[i] = yhat[r]!;
    });
    return { ...regressionScores(a, p) };
  };
  const result: EvalResult = {
    task: 'regression',
    rows: y.length,
    skipped: n - y.length,
    metrics: metrics(null),
  };
  if (input.sliceBy) {
    result.slices = {
      column: input.sliceBy.name,
      groups: groupRows(input.sliceBy.values, source).map((g) => ({
        value: g.value,
        rows: g.rows.length,
        metrics: metrics(g.rows),
      })),
    };
  }
  return result;
}

/** A regression target as a number; NaN when missing (skipped), an error when not a number. */
function toNumber(v: EvalCell, row: number): number {
  if (isMissing(v)) return Number.NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const x = typeof v === 'number' ? v : Number(v.trim());
  if (Number.isNaN(x))
    throw invalidParam(`actual value of row ${row} is not a number: ${JSON.stringify(v)}`, 'actual');
  return Number.isFinite(x) ? x : Number.NaN;
}

function evaluateClassification(input: EvalInput): EvalResult {
  const rows = prepareClassification(input);
  const { metrics, confusion, calibration } = classificationMetrics(rows);
  const result: EvalResult = {
    task: input.task,
    rows: rows.actual.length,
    skipped: input.actual.length - rows.actual.length,
    metrics,
    confusion,
  };
  if (calibration) result.calibration = calibration;
  const source = rows.source;
  if (input.sliceBy) {
    result.slices = {
      column: input.sliceBy.name,
      groups: groupRows(input.sliceBy.values, source).map((g) => ({
        value: g.value,
        rows: g.rows.length,
        metrics: classificationMetrics(subset(rows, g.rows)).metrics,
      })),
    };
  }
  if (input.sensitive) {
    if (rows.positive < 0)
      throw invalidParam(
        'fairness of a multiclass model needs positiveClass (one class against the rest)',
        'positiveClass',
      );
    result.fairness = fairness(
      input.sensitive.name,
      rows.labels.labels[rows.positive]!,
      groupRows(input.sensitive.values, source),
      rows.actual,
      rows.predicted,
      rows.positive,
    );
  }
  return result;
}

/** Resolves classes, the positive class, predicted labels and probabilities; skips missing actuals. */
function prepareClassification(input: EvalInput): ClassRows & { source: Int32Array } {
  const n = input.actual.length;
  const multiclass = input.task === 'multiclass';
  const { labels: predictedLabels, probabilities } = input.predicted;
  if (!predictedLabels && !probabilities)
    throw invalidParam('a classification evaluation needs predicted labels or probabilities', 'predicted');
  checkLength(predictedLabels, n, 'predicted.labels');
  if (probabilities && !input.classes)
    throw invalidParam('probabilities need the classes that order their columns', 'classes');
  const labels = new LabelIndex(input.classes ?? distinctLabels(input.actual, predictedLabels));
  const classes = labels.classes;

  let positive = -1;
  if (input.positiveClass !== undefined) {
    positive = labels.find(input.positiveClass);
    if (positive < 0 || positive >= classes)
      throw invalidParam(
        `positiveClass ${JSON.stringify(input.positiveClass)} is not one of the classes`,
        'positiveClass',
      );
  }
  if (!multiclass) {
    if (classes !== 2)
      throw invalidParam(`a binary evaluation needs exactly two classes, got ${classes}`, 'classes');
    if (positive < 0) positive = 1;
  }

  let probs: Float64Array | null = null;
  if (probabilities) {
    if (probabilities.length === n * classes) probs = probabilities;
    else if (!multiclass && probabilities.length === n) {
      // N×1: the positive class's probability.
      probs = new Float64Array(n * 2);
      for (let i = 0; i < n; i++) {
        probs[i * 2 + positive] = probabilities[i]!;
        probs[i * 2 + 1 - positive] = 1 - probabilities[i]!;
      }
    } else
      throw invalidParam(
        `probabilities has ${probabilities.length} values for ${n} rows × ${classes} classes`,
        'predicted.probabilities',
      );
  }

  const source: number[] = [];
  const actual: number[] = [];
  const predicted: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = input.actual[i];
    if (isMissing(a)) continue;
    if (probs) {
      for (let k = 0; k < classes; k++)
        if (Number.isNaN(probs[i * classes + k]))
          throw invalidParam(`probability of row ${i} is NaN`, 'predicted.probabilities');
    }
    let p: number;
    if (predictedLabels) {
      const v = predictedLabels[i];
      if (isMissing(v)) throw invalidParam(`predicted label of row ${i} is missing`, 'predicted.labels');
      p = labels.intern(v as string | number);
    } else p = argmax(probs!, i, classes);
    source.push(i);
    actual.push(labels.intern(a as string | number | boolean));
    predicted.push(p);
  }
  let kept = probs;
  if (probs && source.length < n) {
    kept = new Float64Array(source.length * classes);
    for (let i = 0; i < source.length; i++) {
      const r = source[i]!;
      kept.set(probs.subarray(r * classes, (r + 1) * classes), i * classes);
    }
  }
  return {
    multiclass,
    labels,
    classes,
    actual: Int32Array.from(actual),
    predicted: Int32Array.from(predicted),
    probabilities: kept,
    positive,
    source: Int32Array.from(source),
  };
}

/** The first class with the highest probability (numpy's argmax, so a 0.5/0.5 tie is the first class). */
function argmax(probs: Float64Array, row: number, classes: number): number {
  let best = 0;
  for (let k = 1; k < classes; k++) if (probs[row * classes + k]! > probs[row * classes + best]!) best = k;
  return best;
}

function subset(rows: ClassRows, idx: number[]): ClassRows {
  const c = rows.classes;
  const probs = rows.probabilities;
  let sub: Float64Array | null = null;
  if (probs) {
    sub = new Float64Array(idx.length * c);
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i]!;
      sub.set(probs.subarray(r * c, (r + 1) * c), i * c);
    }
  }
  return {
    ...rows,
    actual: Int32Array.from(idx, (r) => rows.actual[r]!),
    predicted: Int32Array.from(idx, (r) => rows.predicted[r]!),
    probabilities: sub,
  };
}

function classificationMetrics(rows: ClassRows): {
  metrics: MetricValues;
  confusion: ConfusionMatrix;
  calibration: Calibration | null;
} {
  const { labels, classes, actual, predicted, probabilities: probs } = rows;
  const m = confusionMatrix(actual, predicted, labels.labels.length);
  const confusion = { labels: [...labels.labels], matrix: m };
  const cal = probs && actual.length > 0 ? calibration(probs, classes, actual) : null;
  const probabilityMetrics = {
    log_loss: probs ? logLoss(probs, classes, actual) : null,
    ece: cal ? cal.ece : null,
  };
  const calibrationOut = cal ? { bins: cal.bins } : null;
  if (rows.multiclass) {
    return {
      metrics: {
        accuracy: accuracy(m),
        ...averagedScores(m),
        roc_auc_ovr: probs ? oneVsRestMacro(rocAuc, probs, classes, actual) : null,
        pr_auc_macro: probs ? oneVsRestMacro(averagePrecision, probs, classes, actual) : null,
        ...probabilityMetrics,
      },
      confusion,
      calibration: calibrationOut,
    };
  }
  let roc: number | null = null;
  let ap: number | null = null;
  if (probs) {
    const n = actual.length;
    const scores = new Float64Array(n);
    const positive = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = probs[i * classes + rows.positive]!;
      positive[i] = actual[i] === rows.positive ? 1 : 0;
    }
    roc = rocAuc(scores, positive);
    ap = averagePrecision(scores, positive);
  }
  return {
    metrics: {
      accuracy: accuracy(m),
      ...binaryScores(m, rows.positive),
      roc_auc: roc,
      pr_auc: ap,
      ...probabilityMetrics,
    },
    confusion,
    calibration: calibrationOut,
  };
}
