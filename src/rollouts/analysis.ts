/**
 * Canary analysis of one step: the canary's error rate, p99 latency, prediction distribution and
 * realised performance against the primary's, each against the policy's threshold. Pure: the
 * controller gathers the statistics from the log, this decides, and the verdict (with every
 * figure) is the decision's evidence.
 */
import { higherIsBetter } from '../models/eval/index.js';
import { alignCounts, chiSquareSf, jensenShannonDistance, psiFromCounts } from '../stats/drift/index.js';
import { quantileEdges } from '../stats/histogram.js';
import { histogramFromSketch, QuantileSketch } from '../stats/quantiles.js';
import { errorRate, p99, type RouteStats, StatsBuilder, totalRows } from './stats.js';
import type { CheckResult, Evidence, RolloutPolicy, SideSummary } from './types.js';

/** Quantile bins of the primary's prediction the canary's is compared on (PSI's deciles). */
const DRIFT_BINS = 10;
/**
 * A drift beyond the threshold fails only when the two samples differ significantly at this level
 * (chi-squared test of homogeneity on the same bins): on a few hundred rows, identical models show
 * PSI around 0.1–0.3 from sampling noise alone, and a rollout must not be rolled back for that.
 */
const DRIFT_ALPHA = 0.001;

/** p-value of the chi-squared test that two count vectors come from one distribution. */
export function homogeneityPValue(a: readonly number[], b: readonly number[]): number {
  const na = a.reduce((x, y) => x + y, 0);
  const nb = b.reduce((x, y) => x + y, 0);
  const n = na + nb;
  let stat = 0;
  let df = -1;
  for (let i = 0; i < a.length; i++) {
    const col = a[i]! + b[i]!;
    if (col === 0) continue;
    df++;
    const ea = (col * na) / n;
    const eb = (col * nb) / n;
    stat += (a[i]! - ea) ** 2 / ea + (b[i]! - eb) ** 2 / eb;
  }
  return df < 1 || na === 0 || nb === 0 ? 1 : chiSquareSf(stat, df);
}

/** Realised metrics of each side over the rollout's labelled rows (gathered by the caller). */
export interface PerformanceInput {
  metric: string;
  canary: { labelled: number; value: number | null };
  primary: { labelled: number; value: number | null };
}

export interface StepInput {
  policy: RolloutPolicy;
  step: number;
  candidate: number;
  baseline: number;
  canary: RouteStats;
  /** The primary during this step. */
  stepPrimary: RouteStats;
  /** The primary during the earlier steps of the rollout. */
  earlierPrimary: RouteStats;
  eventTime: { from: number | null; to: number | null };
  performance: PerformanceInput | null;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const num = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(3));

function result(
  check: CheckResult['check'],
  status: CheckResult['status'],
  message: string,
  v: { value?: number | null; threshold?: number | null; baseline?: number | null } = {},
  details: CheckResult['details'] = {},
): CheckResult {
  return {
    check,
    status,
    value: v.value ?? null,
    threshold: v.threshold ?? null,
    baseline: v.baseline ?? null,
    message,
    details,
  };
}

/** The primary traffic the canary is compared with: this step's if it has enough, else the rollout's. */
export function chooseBaseline(
  stepPrimary: RouteStats,
  earlierPrimary: RouteStats,
  minRows: number,
): { stats: RouteStats | null; span: Evidence['baselineSpan'] } {
  if (totalRows(stepPrimary) >= minRows) return { stats: stepPrimary, span: 'step' };
  const all = new StatsBuilder(earlierPrimary);
  all.merge(stepPrimary);
  const merged = all.toJSON();
  return totalRows(merged) >= minRows ? { stats: merged, span: 'rollout' } : { stats: null, span: 'none' };
}

function errorRateCheck(policy: RolloutPolicy, canary: RouteStats, base: RouteStats | null): CheckResult {
  const c = policy.checks.error_rate!;
  const rate = errorRate(canary);
  if (rate === null) return result('error_rate', 'skipped', 'no canary traffic');
  const baseRate = base ? errorRate(base) : null;
  const relative = baseRate === null ? null : baseRate + c.max_increase;
  const threshold = relative === null ? c.max : Math.min(c.max, relative);
  const details = { failedRows: canary.failedRows, rows: totalRows(canary), ...canary.reasons };
  const v = { value: rate, threshold, baseline: baseRate };
  if (rate > c.max)
    return result(
      'error_rate',
      'failed',
      `canary error rate ${pct(rate)} is above the maximum ${pct(c.max)}`,
      v,
      details,
    );
  if (relative !== null && rate > relative)
    return result(
      'error_rate',
      'failed',
      `canary error rate ${pct(rate)} is above the primary's ${pct(baseRate!)} + ${pct(c.max_increase)}`,
      v,
      details,
    );
  return result(
    'error_rate',
    'passed',
    `canary error rate ${pct(rate)} (primary ${baseRate === null ? 'n/a' : pct(baseRate)})`,
    v,
    details,
  );
}

function latencyCheck(policy: RolloutPolicy, canary: RouteStats, base: RouteStats | null): CheckResult {
  const c = policy.checks.latency!;
  const cp = p99(canary);
  if (cp === null) return result('latency', 'skipped', 'no answered canary requests');
  const bp = base ? p99(base) : null;
  const v = { value: cp, threshold: bp === null ? c.max_p99_ms : bp * c.max_p99_ratio, baseline: bp };
  const details = { maxRatio: c.max_p99_ratio, slackMs: c.slack_ms, maxP99Ms: c.max_p99_ms };
  if (c.max_p99_ms !== null && cp > c.max_p99_ms)
    return result(
      'latency',
      'failed',
      `canary p99 ${ms(cp)} is above the maximum ${ms(c.max_p99_ms)}`,
      { ...v, threshold: c.max_p99_ms },
      details,
    );
  if (bp !== null && cp > bp * c.max_p99_ratio && cp - bp > c.slack_ms)
    return result(
      'latency',
      'failed',
      `canary p99 ${ms(cp)} is more than ${c.max_p99_ratio}× the primary's ${ms(bp)} (and ${ms(cp - bp)} slower)`,
      v,
      details,
    );
  if (bp === null && c.max_p99_ms === null)
    return result(
      'latency',
      'skipped',
      `canary p99 ${ms(cp)}; no primary traffic to compare with`,
      v,
      details,
    );
  return result(
    'latency',
    'passed',
    `canary p99 ${ms(cp)} (primary ${bp === null ? 'n/a' : ms(bp)})`,
    v,
    details,
  );
}

/** Aligned counts of the two sides' prediction on the primary's quantile bins, or per label. */
function predictionCounts(
  canary: RouteStats,
  base: RouteStats,
): { ref: number[]; cur: number[]; column: string } | null {
  if (canary.numeric !== null && base.numeric !== null) {
    const ref = QuantileSketch.fromBase64(base.numeric);
    const cur = QuantileSketch.fromBase64(canary.numeric);
    const edges = quantileEdges(ref, DRIFT_BINS);
    if (edges.length < 2) return null;
    const hr = histogramFromSketch(ref, edges);
    const hc = histogramFromSketch(cur, edges);
    const r = [hr.underflow, ...hr.counts, hr.overflow];
    const c = [hc.underflow, ...hc.counts, hc.overflow];
    const keep = r.map((x, i) => x > 0 || c[i]! > 0);
    return { ref: r.filter((_, i) => keep[i]), cur: c.filter((_, i) => keep[i]), column: 'score/value' };
  }
  const refLabels = Object.keys(base.labels).length + base.otherLabels;
  const curLabels = Object.keys(canary.labels).length + canary.otherLabels;
  if (refLabels === 0 || curLabels === 0) return null;
  const a = alignCounts(new Map(Object.entries(base.labels)), new Map(Object.entries(canary.labels)));
  if (base.otherLabels > 0 || canary.otherLabels > 0) {
    a.ref.push(base.otherLabels);
    a.cur.push(canary.otherLabels);
  }
  return { ref: a.ref, cur: a.cur, column: 'label' };
}

function driftCheck(policy: RolloutPolicy, canary: RouteStats, base: RouteStats | null): CheckResult {
  const c = policy.checks.drift!;
  if (base === null) return result('drift', 'skipped', 'no primary traffic to compare the predictions with');
  const counts = predictionCounts(canary, base);
  if (counts === null)
    return result('drift', 'skipped', 'the predictions carry no label, score or value to compare');
  const value =
    c.method === 'psi'
      ? psiFromCounts(counts.ref, counts.cur)
      : jensenShannonDistance(counts.ref, counts.cur);
  const name = c.method === 'psi' ? 'PSI' : 'Jensen–Shannon distance';
  const pValue = homogeneityPValue(counts.ref, counts.cur);
  const v = { value, threshold: c.max };
  const details = {
    method: c.method,
    column: counts.column,
    bins: counts.ref.length,
    pValue,
    alpha: DRIFT_ALPHA,
  };
  const message = `prediction drift vs the primary: ${name} ${num(value)}`;
  if (value > c.max && pValue < DRIFT_ALPHA)
    return result('drift', 'failed', `${message} is above ${c.max}`, v, details);
  const noise =
    value > c.max ? ` (above ${c.max}, but within sampling noise on these rows: p = ${num(pValue)})` : '';
  return result('drift', 'passed', `${message}${noise}`, v, details);
}

/** Whether the performance check still lacks labels (so a policy that requires it keeps waiting). */
export function lacksLabels(policy: RolloutPolicy, perf: PerformanceInput | null): boolean {
  const c = policy.checks.performance;
  if (!c) return false;
  if (!perf) return true;
  return perf.canary.labelled < c.min_labels || perf.primary.labelled < c.min_labels;
}

function performanceCheck(policy: RolloutPolicy, perf: PerformanceInput | null): CheckResult {
  const c = policy.checks.performance!;
  if (perf === null)
    return result('performance', 'skipped', 'the model has no task to measure realised performance on');
  const details = {
    metric: perf.metric,
    canaryLabelled: perf.canary.labelled,
    primaryLabelled: perf.primary.labelled,
    maxRegression: c.max_regression,
  };
  if (lacksLabels(policy, perf))
    return result(
      'performance',
      'skipped',
      `not enough labels yet: canary ${perf.canary.labelled}, primary ${perf.primary.labelled} (${c.min_labels} each needed)`,
      {},
      details,
    );
  const cv = perf.canary.value;
  const bv = perf.primary.value;
  if (cv === null || bv === null)
    return result(
      'performance',
      'skipped',
      `${perf.metric} cannot be computed on the labelled rows`,
      {},
      details,
    );
  const higher = higherIsBetter(perf.metric) ?? true;
  const regression = higher ? bv - cv : cv - bv;
  const threshold = higher ? bv - c.max_regression : bv + c.max_regression;
  const v = { value: cv, threshold, baseline: bv };
  return regression > c.max_regression
    ? result(
        'performance',
        'failed',
        `canary ${perf.metric} ${num(cv)} is worse than the primary's ${num(bv)} by more than ${c.max_regression}`,
        v,
        details,
      )
    : result('performance', 'passed', `canary ${perf.metric} ${num(cv)} (primary ${num(bv)})`, v, details);
}

function side(version: number, s: RouteStats | null, labelled: number): SideSummary {
  return {
    version,
    rows: s?.rows ?? 0,
    failedRows: s?.failedRows ?? 0,
    errorRate: s ? errorRate(s) : null,
    p99LatencyMs: s ? p99(s) : null,
    labelled,
  };
}

/** Every enabled check on the step; it passes when none failed (skipped checks do not count). */
export function analyseStep(input: StepInput): Evidence {
  const { policy } = input;
  const base = chooseBaseline(input.stepPrimary, input.earlierPrimary, policy.min_predictions);
  const checks: CheckResult[] = [];
  if (policy.checks.error_rate) checks.push(errorRateCheck(policy, input.canary, base.stats));
  if (policy.checks.latency) checks.push(latencyCheck(policy, input.canary, base.stats));
  if (policy.checks.drift) checks.push(driftCheck(policy, input.canary, base.stats));
  if (policy.checks.performance) checks.push(performanceCheck(policy, input.performance));
  return {
    step: input.step,
    weight: policy.steps[input.step]!.weight,
    eventTime: input.eventTime,
    canary: side(input.candidate, input.canary, input.performance?.canary.labelled ?? 0),
    primary: side(input.baseline, base.stats, input.performance?.primary.labelled ?? 0),
    baselineSpan: base.span,
    checks,
    passed: checks.every((c) => c.status !== 'failed'),
  };
}
