/** Both models' evaluations on the held-out rows, and the policy's fit to the model's task. */
import { invalidParam } from '../../core/errors.js';
import type { Table } from '../../data/table.js';
import {
  BINARY_METRICS,
  type EvalResult,
  type EvalTask,
  evaluate,
  MULTICLASS_METRICS,
  REGRESSION_METRICS,
} from '../../models/eval/index.js';
import type { Scored } from '../../models/score.js';
import type { ModelEval } from './checks.js';
import type { GatePolicy } from './policy.js';

const TASK_METRICS: Record<EvalTask, string[]> = {
  binary: BINARY_METRICS,
  multiclass: MULTICLASS_METRICS,
  regression: REGRESSION_METRICS,
};

/** Refuses a policy the model cannot be judged by (a regression model has no accuracy). */
export function checkFits(policy: GatePolicy, task: EvalTask, ref: string): void {
  const known = TASK_METRICS[task];
  policy.metrics.forEach((m, i) => {
    if (!known.includes(m.metric))
      throw invalidParam(
        `metrics[${i}].metric: ${ref} is a ${task} model, which reports no ${m.metric} (it reports ${known.join(', ')})`,
        `metrics[${i}].metric`,
      );
  });
  if (task === 'regression') {
    if (policy.fairness.length > 0)
      throw invalidParam(
        `fairness: ${ref} is a regression model; fairness bounds need a classifier`,
        'fairness',
      );
    if (policy.calibration)
      throw invalidParam(
        `calibration: ${ref} is a regression model; calibration needs a classifier`,
        'calibration',
      );
    if (policy.positive !== undefined)
      throw invalidParam(`positive: ${ref} is a regression model and has no classes`, 'positive');
  }
  if (task === 'multiclass' && policy.fairness.length > 0 && policy.positive === undefined)
    throw invalidParam(
      `positive: fairness of a multiclass model (${ref}) is judged on one class against the rest; name it with positive:`,
      'positive',
    );
}

/** A model's metrics on the rows, and its fairness per sensitive column the policy names. */
export function evaluateModel(
  s: Scored,
  table: Table,
  target: string,
  policy: GatePolicy,
): { result: EvalResult; eval: ModelEval } {
  const positiveClass = policy.positive === undefined ? undefined : matchClass(policy.positive, s.classes);
  const input = {
    task: s.task,
    classes: s.classes,
    actual: table.columns[target]!,
    predicted: { labels: s.labels, probabilities: s.probabilities, values: s.values },
    ...(positiveClass !== undefined ? { positiveClass } : {}),
  };
  const result = evaluate(input);
  const fairness = new Map<string, NonNullable<EvalResult['fairness']>>();
  for (const name of new Set(policy.fairness.map((f) => f.sensitive))) {
    const r = evaluate({ ...input, sensitive: { name, values: table.columns[name]! } });
    fairness.set(name, r.fairness!);
  }
  const first = fairness.values().next();
  if (!first.done) result.fairness = first.value;
  return { result, eval: { metrics: result.metrics, fairness } };
}

function matchClass(raw: string | number, classes: (string | number)[] | null): string | number {
  const hit = classes?.find((c) => String(c) === String(raw));
  if (hit === undefined)
    throw invalidParam(
      `positive: ${JSON.stringify(raw)} is not one of the classes (${(classes ?? []).join(', ')})`,
      'positive',
    );
  return hit;
}
