/**
 * Progressive delivery's vocabulary: a rollout policy (canary steps with holds, and the checks each
 * step must pass), a rollout's state, its decisions and the evidence they were made on.
 */
import type { Severity } from '../monitoring/types.js';

/** How long a step holds before it is judged: canary predictions, event time, or both (then both). */
export interface Hold {
  /** Canary rows (answered or failed). */
  predictions: number | null;
  /** Event time covered by the step's traffic (ms). */
  duration_ms: number | null;
}

export interface RolloutStep {
  /** Canary share of traffic, 1–100. */
  weight: number;
  hold: Hold;
}

export interface ErrorRateCheck {
  /** Fail when the canary's failed-row rate exceeds this. */
  max: number;
  /** Fail when it exceeds the primary's rate by more than this. */
  max_increase: number;
}

export interface LatencyCheck {
  /** Fail when the canary's p99 exceeds the primary's times this… */
  max_p99_ratio: number;
  /** …by more than this many ms (differences below it are noise). */
  slack_ms: number;
  /** Fail when the canary's p99 exceeds this, whatever the primary does; null = no bound. */
  max_p99_ms: number | null;
}

export type DriftMethod = 'psi' | 'js';

export interface DriftCheck {
  /** Population stability index or Jensen–Shannon distance of the prediction, canary vs primary. */
  method: DriftMethod;
  max: number;
}

export interface PerformanceCheck {
  /** A realised metric (`accuracy`, `roc_auc`, `rmse`…); null = accuracy, or rmse for regression. */
  metric: string | null;
  /** Fail when the canary is worse than the primary by more than this (in the metric's units). */
  max_regression: number;
  /** Labelled rows each side needs before the check counts. */
  min_labels: number;
  /** Wait for enough labels instead of skipping the check. */
  require: boolean;
}

/** A rollout policy as stored and returned: every default filled in. */
export interface RolloutPolicy {
  steps: RolloutStep[];
  /** Canary rows a step needs at least before it is judged, whatever its hold. */
  min_predictions: number;
  /** A step still short of its hold after this much event time fails as inconclusive; null = waits. */
  max_step_duration_ms: number | null;
  checks: {
    error_rate: ErrorRateCheck | null;
    latency: LatencyCheck | null;
    drift: DriftCheck | null;
    performance: PerformanceCheck | null;
  };
  /** The alias moved to the candidate once it is promoted; null = none. */
  alias: string | null;
  alert: {
    severity: Severity;
    /** Where a rollback is announced; null = the channels of the deployment's monitors' rules. */
    channels: string[] | null;
  };
}

export type RolloutStatus = 'running' | 'succeeded' | 'rolled_back' | 'aborted';

export type DecisionKind = 'started' | 'step_passed' | 'promoted' | 'rolled_back' | 'aborted';

/** One check's verdict on a step. `skipped` checks do not count (too few rows or labels). */
export interface CheckResult {
  check: 'error_rate' | 'latency' | 'drift' | 'performance';
  status: 'passed' | 'failed' | 'skipped';
  /** The canary's figure (the one compared with the threshold). */
  value: number | null;
  threshold: number | null;
  /** The primary's figure when it was compared with. */
  baseline: number | null;
  message: string;
  /** Further figures (rows, rates, metric names). */
  details: Record<string, number | string | null>;
}

/** What one side (canary or primary) showed over the analysed span. */
export interface SideSummary {
  version: number;
  rows: number;
  failedRows: number;
  errorRate: number | null;
  p99LatencyMs: number | null;
  labelled: number;
}

/** What a decision was made on. */
export interface Evidence {
  step: number;
  weight: number;
  /** Event-time span of the step's traffic. */
  eventTime: { from: number | null; to: number | null };
  canary: SideSummary;
  primary: SideSummary;
  /** Which primary traffic the canary was compared with: this step's, or the whole rollout's. */
  baselineSpan: 'step' | 'rollout' | 'none';
  checks: CheckResult[];
  passed: boolean;
  /** Set when the step failed for want of traffic rather than on a check. */
  inconclusive?: string;
}

export interface RolloutDecision {
  id: number;
  rolloutId: number;
  step: number;
  weight: number;
  kind: DecisionKind;
  reason: string;
  evidence: Evidence | Record<string, unknown>;
  eventTime: number | null;
  actor: string;
  at: number;
}

/** How far the current step is, for display. */
export interface StepProgress {
  step: number;
  weight: number;
  canaryRows: number;
  primaryRows: number;
  eventTime: { from: number | null; to: number | null };
  /** What the step still waits for, or null when its hold is reached. */
  waitingFor: string | null;
}

export interface Rollout {
  id: number;
  deployment: string;
  model: string;
  candidate: number;
  baseline: number;
  policy: RolloutPolicy;
  status: RolloutStatus;
  step: number;
  stepStartedAt: number;
  reason: string | null;
  /** The idempotency key it was started with, if any. */
  key: string | null;
  progress: StepProgress | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  finishedAt: number | null;
}

export interface RolloutDetail extends Rollout {
  decisions: RolloutDecision[];
}
