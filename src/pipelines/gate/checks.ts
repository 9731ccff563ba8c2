/**
 * The model checks of a gate, from both models' evaluations on the same rows: value bounds,
 * regression against the champion (TFX's GenericChangeThreshold: absolute or relative, in the
 * metric's own direction), fairness bounds and calibration. Pure: run.ts scores and stores.
 */
import type { FairnessReport, MetricValues } from '../../models/eval/index.js';
import { formatMetric, METRICS } from '../../models/eval/index.js';
import type { FairnessRule, GatePolicy, MetricRule } from './policy.js';
import { regressionBound } from './policy.js';
import type { GateCheck } from './types.js';

/** What one model scored on the held-out rows. */
export interface ModelEval {
  metrics: MetricValues;
  /** Fairness per sensitive column. */
  fairness: Map<string, FairnessReport>;
}

/** The compared version, or why there is none (its checks are skipped with that note). */
export type Champion = { ref: string; eval: ModelEval } | { ref: null; note: string };

// Metrics are sums of floats: 0.8 computed as 0.7999999999999999 must still meet `min: 0.8`.
const EPS = 1e-12;
const fmt = formatMetric;

/** Every metric, fairness and calibration check the policy asks for, in policy order. */
export function modelChecks(policy: GatePolicy, candidate: ModelEval, champion: Champion): GateCheck[] {
  const checks: GateCheck[] = [];
  for (const rule of policy.metrics) checks.push(...metricChecks(rule, candidate, champion));
  for (const rule of policy.fairness) checks.push(fairnessCheck(rule, candidate, champion));
  if (policy.calibration) checks.push(calibrationCheck(policy.calibration.max_ece, candidate, champion));
  return checks;
}

const championValue = (champion: Champion, metric: string): number | null =>
  champion.ref === null ? null : (champion.eval.metrics[metric] ?? null);

function metricChecks(rule: MetricRule, candidate: ModelEval, champion: Champion): GateCheck[] {
  const m = rule.metric;
  const value = candidate.metrics[m] ?? null;
  const champ = championValue(champion, m);
  const out: GateCheck[] = [];
  const undefinedReason = `${m} is undefined for the candidate on these rows (e.g. a class is absent)`;
  if (rule.min !== undefined) {
    const passed = value !== null && value >= rule.min - EPS;
    out.push({
      name: `${m} ≥ ${rule.min}`,
      kind: 'metric',
      value,
      champion: champ,
      threshold: rule.min,
      bound: 'min',
      passed,
      skipped: false,
      reason:
        value === null
          ? undefinedReason
          : passed
            ? `${m} ${fmt(value)} meets the minimum ${rule.min}`
            : `${m} ${fmt(value)} is below the minimum ${rule.min}`,
    });
  }
  if (rule.max !== undefined) {
    const passed = value !== null && value <= rule.max + EPS;
    out.push({
      name: `${m} ≤ ${rule.max}`,
      kind: 'metric',
      value,
      champion: champ,
      threshold: rule.max,
      bound: 'max',
      passed,
      skipped: false,
      reason:
        value === null
          ? undefinedReason
          : passed
            ? `${m} ${fmt(value)} is within the maximum ${rule.max}`
            : `${m} ${fmt(value)} is above the maximum ${rule.max}`,
    });
  }
  if (rule.max_regression !== undefined) out.push(regressionCheck(m, rule.max_regression, value, champion));
  return out;
}

function regressionCheck(
  m: string,
  raw: number | string,
  value: number | null,
  champion: Champion,
): GateCheck {
  const { amount, relative } = regressionBound(raw);
  const allowed = relative ? `${amount * 100}%` : String(amount);
  const base = {
    name: `${m} regression ≤ ${allowed}`,
    kind: 'regression' as const,
    value,
    threshold: amount,
    bound: 'max_regression' as const,
    relative,
  };
  if (champion.ref === null)
    return { ...base, champion: null, regression: null, passed: true, skipped: true, reason: champion.note };
  const champ = championValue(champion, m);
  const fail = (reason: string): GateCheck => ({
    ...base,
    champion: champ,
    regression: null,
    passed: false,
    skipped: false,
    reason,
  });
  if (value === null) return fail(`${m} is undefined for the candidate on these rows`);
  if (champ === null) return fail(`${m} is undefined for the champion ${champion.ref} on these rows`);
  const higher = METRICS[m]?.better !== 'lower';
  const drop = higher ? champ - value : value - champ;
  let regression = drop;
  if (relative) {
    if (champ === 0 && drop > 0)
      return fail(`the champion's ${m} is 0: a relative regression from it is unbounded`);
    regression = champ === 0 ? 0 : drop / Math.abs(champ);
  }
  const passed = regression <= amount + EPS;
  const shown = relative ? `${fmtPct(Math.abs(regression))}` : fmt(Math.abs(drop));
  const versus = `${m} ${fmt(value)} vs champion ${champion.ref} ${fmt(champ)}`;
  const reason =
    drop <= 0
      ? `${versus}: no worse than the champion`
      : passed
        ? `${versus}: ${shown} worse, within the allowed ${allowed}`
        : `${versus}: ${shown} worse, more than the allowed ${allowed}`;
  return { ...base, champion: champ, regression, passed, skipped: false, reason };
}

const fmtPct = (x: number): string => `${Number((x * 100).toPrecision(3))}%`;

function fairnessValue(report: FairnessReport | undefined, metric: FairnessRule['metric']): number | null {
  if (!report) return null;
  return metric === 'demographic_parity_difference'
    ? report.demographicParityDifference
    : report.equalOpportunityDifference;
}

function fairnessCheck(rule: FairnessRule, candidate: ModelEval, champion: Champion): GateCheck {
  const report = candidate.fairness.get(rule.sensitive);
  const value = fairnessValue(report, rule.metric);
  const champ =
    champion.ref === null ? null : fairnessValue(champion.eval.fairness.get(rule.sensitive), rule.metric);
  const passed = value !== null && value <= rule.max + EPS;
  let reason: string;
  const what = `${rule.metric} by ${rule.sensitive}`;
  if (value === null) reason = `${what} is undefined: no group of ${rule.sensitive} has actual positives`;
  else
    reason = `${what} ${fmt(value)} ${passed ? 'is within' : 'exceeds'} the maximum ${rule.max}${spread(report!, rule.metric)}`;
  return {
    name: `${what} ≤ ${rule.max}`,
    kind: 'fairness',
    value,
    champion: champ,
    threshold: rule.max,
    bound: 'max',
    passed,
    skipped: false,
    reason,
  };
}

/** The groups at both ends of the rate the metric spans, e.g. ` (highest 'young' 0.81, lowest 'old' 0.42)`. */
function spread(report: FairnessReport, metric: FairnessRule['metric']): string {
  const rate = (g: FairnessReport['groups'][number]) =>
    metric === 'demographic_parity_difference' ? g.selectionRate : g.truePositiveRate;
  const groups = report.groups.filter((g) => rate(g) !== null);
  if (groups.length < 2) return '';
  let hi = groups[0]!;
  let lo = groups[0]!;
  for (const g of groups) {
    if (rate(g)! > rate(hi)!) hi = g;
    if (rate(g)! < rate(lo)!) lo = g;
  }
  if (rate(hi) === rate(lo)) return '';
  return ` (highest '${hi.value}' ${fmt(rate(hi))}, lowest '${lo.value}' ${fmt(rate(lo))})`;
}

function calibrationCheck(max: number, candidate: ModelEval, champion: Champion): GateCheck {
  const value = candidate.metrics['ece'] ?? null;
  const passed = value !== null && value <= max + EPS;
  return {
    name: `ece ≤ ${max}`,
    kind: 'calibration',
    value,
    champion: championValue(champion, 'ece'),
    threshold: max,
    bound: 'max',
    passed,
    skipped: false,
    reason:
      value === null
        ? 'the candidate gives no class probabilities: its calibration error cannot be computed'
        : `expected calibration error ${fmt(value)} ${passed ? 'is within' : 'exceeds'} the maximum ${max}`,
  };
}
