/**
 * Realised performance of a window: the evaluation issue's metrics over the logged predictions
 * whose labels arrived through feedback.
 */
import { evaluate } from '../../models/eval/index.js';
import type { Label } from '../../serving/feedback.js';
import type { RowPrediction } from '../../serving/types.js';
import type { MetricMap } from '../types.js';

export interface LabelledRow {
  prediction: RowPrediction & { outputs?: Record<string, unknown> };
  label: Label;
}

export interface TaskInfo {
  task: 'binary' | 'multiclass' | 'regression' | null;
  classes: (string | number)[] | null;
  positiveClass?: string | number | undefined;
}

/** The task's metrics over labelled rows; null when there are none or the model's task is unknown. */
export function realisedMetrics(rows: readonly LabelledRow[], t: TaskInfo): MetricMap | null {
  if (rows.length === 0 || t.task === null) return null;
  const actual = rows.map((r) => (typeof r.label === 'boolean' ? Number(r.label) : r.label));
  if (t.task === 'regression') {
    const values = Float64Array.from(rows, (r) => r.prediction.value ?? Number.NaN);
    return evaluate({
      task: 'regression',
      classes: null,
      actual,
      predicted: { labels: null, probabilities: null, values },
    }).metrics;
  }
  const classes = t.classes;
  let probabilities: Float64Array | null = null;
  if (classes && rows.every((r) => r.prediction.probabilities)) {
    probabilities = new Float64Array(rows.length * classes.length);
    rows.forEach((r, i) => {
      classes.forEach((c, j) => {
        probabilities![i * classes.length + j] = r.prediction.probabilities![String(c)] ?? 0;
      });
    });
  }
  const labels = rows.every((r) => r.prediction.label !== undefined)
    ? rows.map((r) => r.prediction.label!)
    : null;
  if (!labels && !probabilities) return null;
  return evaluate({
    task: t.task,
    classes,
    actual,
    predicted: { labels, probabilities, values: null },
    ...(t.positiveClass !== undefined ? { positiveClass: t.positiveClass } : {}),
  }).metrics;
}
