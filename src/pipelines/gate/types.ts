import type { CheckResult } from '../../data/quality/checks.js';
import type { EvalTask, MetricValues } from '../../models/eval/index.js';
import type { GatePolicy } from './policy.js';

/** approved (auto policy, passed), pending (manual policy, passed: a person decides), rejected (failed). */
export type GateDecision = 'approved' | 'pending' | 'rejected';

export type GateCheckKind = 'metric' | 'regression' | 'fairness' | 'calibration' | 'data_quality';

/** One check of a gate, with the numbers behind its verdict. */
export interface GateCheck {
  /** e.g. `accuracy ≥ 0.8`, `accuracy regression ≤ 0.01`, `demographic_parity_difference by age_band`. */
  name: string;
  kind: GateCheckKind;
  /** The candidate's value (data quality: the number of failing expectations). */
  value: number | null;
  /** The champion's value on the same rows; null without a champion (or for data checks). */
  champion: number | null;
  /** The bound `value` is held to (regression: the allowed drop, a fraction when `relative`). */
  threshold: number;
  bound: 'min' | 'max' | 'max_regression';
  /** Regression checks: whether `threshold` is a fraction of the champion's value. */
  relative?: boolean;
  /** Regression checks: how far the candidate fell behind the champion (negative: it is ahead). */
  regression?: number | null;
  passed: boolean;
  /** A skipped check passes; `reason` says why it could not run. */
  skipped: boolean;
  /** One sentence: what was compared and why it passed, failed or was skipped. */
  reason: string;
  /** Data quality checks: the expectations that failed. */
  failures?: CheckResult[];
}

/** Ties a gate result to the pipeline step that ran it, so a re-run reuses it. */
export interface GateOrigin {
  pipeline: string;
  runId: number;
  step: string;
}

/** What a gate decided about a candidate version, and why. Stored as an evaluation of the candidate. */
export interface GateResult {
  model: string;
  version: number;
  /** `name@version`. */
  ref: string;
  /** The held-out dataset version both models were scored on. */
  data: { ref: string; versionId: string; rows: number };
  target: string;
  task: EvalTask;
  /** The version compared against; null when there was none (its checks are skipped). */
  champion: { ref: string; version: number } | null;
  passed: boolean;
  decision: GateDecision;
  checks: GateCheck[];
  /** The failing checks' reasons (the rejection's reason text). */
  reasons: string[];
  /** What was skipped and why (no champion yet, no training dataset recorded…). */
  notes: string[];
  /** Both models' metrics on the held-out rows. */
  metrics: { candidate: MetricValues; champion: MetricValues | null };
  policy: GatePolicy;
  actor: string;
  evaluatedAt: number;
  origin: GateOrigin | null;
  /** The evaluation record holding this result on the candidate version. */
  evaluationId: string;
}
