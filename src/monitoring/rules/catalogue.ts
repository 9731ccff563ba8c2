/**
 * The metric catalogue: every name an alert rule may test, what it needs (a column or not, which
 * column types, which model tasks) and which way is better. Window evaluation writes metrics under
 * `metricKey`, rules read them under the same key, and rule validation checks rules against this
 * table so a typo is rejected when the monitor is created rather than silently never firing.
 */
import { isNumericType } from '../../stats/drift/bins.js';
import type { ColumnType } from '../../stats/types.js';

export type Task = 'binary' | 'multiclass' | 'regression';

/** Column types a column metric accepts: numeric (incl. datetime), categorical (incl. boolean, text), any. */
export type ColumnKind = 'numeric' | 'categorical' | 'any';

export interface MetricInfo {
  name: string;
  /** Model tasks the metric exists for. */
  tasks: readonly Task[] | 'any';
  /** Which way is better: the worst value of an episode and the wording of messages follow it. */
  higherIsBetter: boolean;
  /** A share or score in [0, 1] (or bounded by 1), where "drops 5 points" means 0.05. */
  rate: boolean;
  /** Whether the metric is per column (`psi(salary)`) or per dataset (`drift_share`). */
  column: boolean;
  kind: ColumnKind;
  /** Drift metrics also take prediction columns (`prediction.score`) and exclude text columns. */
  drift: boolean;
}

/** Prediction output columns drift metrics may name, as window evaluation keys them, and their types. */
export const PREDICTION_COLUMN_TYPES: ReadonlyMap<string, ColumnType> = new Map([
  ['prediction.score', 'float'],
  ['prediction.label', 'categorical'],
  ['prediction.value', 'float'],
  ['prediction.confidence', 'float'],
]);

/** Alternative spellings, normalised at parse time so stored rules and metric keys agree. */
export const METRIC_ALIASES: ReadonlyMap<string, string> = new Map([['jensenshannon', 'js']]);

const CLASSIFIER: readonly Task[] = ['binary', 'multiclass'];
const BINARY: readonly Task[] = ['binary'];
const MULTICLASS: readonly Task[] = ['multiclass'];
const REGRESSION: readonly Task[] = ['regression'];

/** [tasks, which way is better, a rate in [0, 1] (so "points" make sense), column kind, drift metric]. */
type Spec = [
  tasks: readonly Task[] | 'any',
  better: 'high' | 'low',
  rate: boolean,
  kind?: ColumnKind,
  drift?: boolean,
];

const COLUMN_SPECS: Record<string, Spec> = {
  drift: ['any', 'low', false, 'any', true],
  drift_p: ['any', 'high', true, 'any', true],
  drifted: ['any', 'low', true, 'any', true],
  psi: ['any', 'low', false, 'any', true],
  js: ['any', 'low', true, 'any', true],
  wasserstein: ['any', 'low', false, 'numeric', true],
  ks: ['any', 'low', true, 'numeric', true],
  missing_rate: ['any', 'low', true],
  out_of_range_rate: ['any', 'low', true, 'numeric'],
  new_category_rate: ['any', 'low', true, 'categorical'],
  new_categories: ['any', 'low', false, 'categorical'],
};

const DATASET_SPECS: Record<string, Spec> = {
  drift_share: ['any', 'low', true],
  drifted_columns: ['any', 'low', false],
  dataset_drift: ['any', 'low', true],
  prediction_drift: ['any', 'low', false],
  prediction_drifted: ['any', 'low', true],
  missing_rate: ['any', 'low', true],
  out_of_range_rate: ['any', 'low', true],
  schema_violations: ['any', 'low', false],
  missing_features: ['any', 'low', false],
  extra_features: ['any', 'low', false],
  rows: ['any', 'high', false],
  labelled_rows: ['any', 'high', false],
  label_coverage: ['any', 'high', true],
  accuracy: [CLASSIFIER, 'high', true],
  precision: [BINARY, 'high', true],
  recall: [BINARY, 'high', true],
  f1: [BINARY, 'high', true],
  roc_auc: [BINARY, 'high', true],
  pr_auc: [BINARY, 'high', true],
  log_loss: [CLASSIFIER, 'low', false],
  ece: [CLASSIFIER, 'low', true],
  precision_macro: [MULTICLASS, 'high', true],
  recall_macro: [MULTICLASS, 'high', true],
  f1_macro: [MULTICLASS, 'high', true],
  f1_weighted: [MULTICLASS, 'high', true],
  roc_auc_ovr: [MULTICLASS, 'high', true],
  pr_auc_macro: [MULTICLASS, 'high', true],
  rmse: [REGRESSION, 'low', false],
  mae: [REGRESSION, 'low', false],
  // Bounded above by 1 and read like a score, so "drops 5 points" is meaningful.
  r2: [REGRESSION, 'high', true],
  estimated_accuracy: [CLASSIFIER, 'high', true],
  estimated_precision: [BINARY, 'high', true],
  estimated_recall: [BINARY, 'high', true],
  estimated_f1: [BINARY, 'high', true],
};

const build = (specs: Record<string, Spec>, column: boolean): ReadonlyMap<string, MetricInfo> =>
  new Map(
    Object.entries(specs).map(([name, [tasks, better, rate, kind = 'any', drift = false]]) => [
      name,
      { name, tasks, higherIsBetter: better === 'high', rate, column, kind, drift },
    ]),
  );

/** Metrics of one column, keyed `metric(column)`. */
export const COLUMN_METRICS = build(COLUMN_SPECS, true);
/** Metrics of the whole window, keyed `metric`. */
export const DATASET_METRICS = build(DATASET_SPECS, false);

/** A few headline metrics, listed when a rule names an unknown one and nothing is spelled close. */
export const FEATURED_METRICS: readonly string[] = [
  'drift_share',
  'dataset_drift',
  'drift(<column>)',
  'psi(<column>)',
  'missing_rate',
  'schema_violations',
  'accuracy',
  'f1',
  'roc_auc',
  'f1_macro',
  'rmse',
  'r2',
  'estimated_accuracy',
];

/** Every metric name, column and dataset ones together, sorted (for suggestions in messages). */
export const METRIC_NAMES: readonly string[] = [
  ...new Set([...COLUMN_METRICS.keys(), ...DATASET_METRICS.keys()]),
].sort();

/** The catalogue entry for a metric used with (`column` true) or without a column; undefined if none. */
export function metricInfo(metric: string, column: boolean): MetricInfo | undefined {
  return (column ? COLUMN_METRICS : DATASET_METRICS).get(metric);
}

/** The key a metric is stored under in a window's `MetricMap`: `psi(salary)` or `accuracy`. */
export function metricKey(metric: string, column: string | null): string {
  return column === null ? metric : `${metric}(${column})`;
}

/** What a rule is validated against: the model version the monitor watches. */
export interface RuleTarget {
  task: Task | null;
  features: { name: string; type: ColumnType }[];
  predictionColumns: string[];
}

/**
 * Why a metric (with or without a column) cannot be watched on this model, or null when it can.
 * The wording names the offending name and lists what would work, since it reaches users as is.
 */
export function metricProblem(metric: string, column: string | null, target: RuleTarget): string | null {
  const info = metricInfo(metric, column !== null);
  if (info === undefined) {
    if (metricInfo(metric, column === null)?.column) {
      return `${metric} is a column metric and needs a column, e.g. ${metric}(${target.features[0]?.name ?? 'age'})`;
    }
    if (metricInfo(metric, false)) return `${metric} is a dataset metric and takes no column`;
    const close = closest(metric, METRIC_NAMES);
    const featured = FEATURED_METRICS.filter((m) => {
      const known = metricInfo(m.replace('(<column>)', ''), m.includes('('));
      return known !== undefined && appliesToTask(known, target.task);
    });
    return `unknown metric '${metric}' (${close ? `did you mean ${close}? ` : ''}metrics include ${listed(featured)})`;
  }
  if (!appliesToTask(info, target.task)) {
    const alt = [`${metric}_macro`, `${metric}_ovr`].find((m) => {
      const other = metricInfo(m, false);
      return other !== undefined && appliesToTask(other, target.task);
    });
    const model = target.task === 'regression' ? 'a regression model' : `a ${target.task} classifier`;
    return `${metric} applies to ${taskNoun(info.tasks)}; this model is ${model}${alt ? ` (use ${alt})` : ''}`;
  }
  return column === null ? null : columnProblem(info, column, target);
}

function columnProblem(info: MetricInfo, column: string, target: RuleTarget): string | null {
  let type = target.features.find((f) => f.name === column)?.type;
  if (
    type === undefined &&
    (PREDICTION_COLUMN_TYPES.has(column) || target.predictionColumns.includes(column))
  ) {
    if (!info.drift) return `${info.name} takes a model feature; '${column}' is a prediction column`;
    if (!target.predictionColumns.includes(column)) {
      return `unknown prediction column '${column}' (this model has ${listed(target.predictionColumns)})`;
    }
    type = PREDICTION_COLUMN_TYPES.get(column) ?? 'float';
  }
  if (type === undefined) {
    const names = target.features.map((f) => f.name);
    const close = closest(column, names);
    const outputs =
      info.drift && target.predictionColumns.length > 0
        ? `; prediction columns: ${listed(target.predictionColumns)}`
        : '';
    return `unknown feature '${column}' (${close ? `did you mean ${close}? ` : ''}features: ${listed(names)}${outputs})`;
  }
  if (info.drift && type === 'text') return `${info.name} is not computed for text column '${column}'`;
  if (!fitsKind(info.kind, type))
    return `${info.name} applies to ${info.kind} columns; '${column}' is ${type}`;
  return null;
}

const taskNoun = (tasks: readonly Task[] | 'any'): string => {
  if (tasks === 'any') return 'any model';
  if (tasks.length === 2) return 'classifiers';
  return tasks[0] === 'regression' ? 'regression models' : `${tasks[0]} classifiers`;
};

/** Whether a metric exists for a task; an unknown task (null) cannot rule anything out. */
export function appliesToTask(info: MetricInfo, task: Task | null): boolean {
  return info.tasks === 'any' || task === null || info.tasks.includes(task);
}

/** Whether a column of this type fits a metric's column kind. */
export function fitsKind(kind: ColumnKind, type: ColumnType): boolean {
  if (kind === 'any') return true;
  return (kind === 'numeric') === isNumericType(type);
}

/** A list for an error message, cut after `max` names. */
export const listed = (names: readonly string[], max = 10): string =>
  names.length === 0
    ? 'none'
    : names.length > max
      ? `${names.slice(0, max).join(', ')}, …`
      : names.join(', ');

/** Names within a small edit distance (or differing only in case), for "did you mean" hints. */
export function closest(name: string, candidates: readonly string[]): string | null {
  const limit = Math.max(1, Math.floor(name.length / 4));
  const near = candidates
    .map((c) => ({ c, d: c.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, c) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 3);
  return near.length === 0 ? null : near.map((x) => `'${x.c}'`).join(' or ');
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
