/**
 * The monitoring contract: what a monitor is (a deployment, a reference, a window, checks and
 * alert rules), what one window's evaluation yields, and the alert events channels receive.
 * Everything here is plain JSON, stored as is.
 */
import type { DriftMethod } from '../stats/drift/index.js';
import type { ColumnType, DatasetProfile } from '../stats/types.js';

/** A window on event time (`1h`, `1d`), or every N predictions (`10000p`). */
export type WindowSpec =
  | { kind: 'time'; ms: number; text: string }
  | { kind: 'count'; rows: number; text: string };

/**
 * What windows are compared with: the training dataset recorded on the model version serving the
 * route (default), a dataset version, or past windows of the deployment itself.
 */
export type ReferenceSpec =
  | { kind: 'training' }
  | { kind: 'dataset'; ref: string; versionId: string }
  | { kind: 'window'; from: number; to: number };

/** A per-column drift override: the test and/or its threshold (Evidently's defaults otherwise). */
export interface ColumnOverride {
  method?: DriftMethod;
  threshold?: number;
}

export interface ChecksSpec {
  /** Feature drift: per-column tests, dataset drift when the drifted share reaches `share`. */
  drift: { enabled: boolean; share: number; columns: Record<string, ColumnOverride>; exclude: string[] };
  /** Drift of the prediction outputs (score, label or value). */
  predictionDrift: boolean;
  /** Missing rates, out-of-range values, new categories and schema violations. */
  quality: boolean;
  /** Realised metrics over the labelled rows of each window. */
  performance: boolean;
  /** Label-free performance estimation (CBPE) for classifiers. */
  estimation: boolean;
  /** Binary classifiers: the class precision/recall/F1 refer to (default the second class). */
  positiveClass?: string | number;
}

export type Severity = 'info' | 'warning' | 'critical';

/** An alert rule as stored: its expression as written, plus when and whom it tells. */
export interface AlertRule {
  /** Unique within the monitor; defaults to the expression. */
  name: string;
  /** e.g. `drift_share >= 0.5`, `psi(salary) > 0.25`, `estimated_accuracy drops 5 points vs reference`. */
  when: string;
  /** Consecutive breaching windows before the alert opens (default 1). */
  for: number;
  /** After an alert opens, no new alert of this rule and route opens for this long (event time, ms). */
  cooldownMs: number;
  severity: Severity;
  /** Channel names notified on open and resolve (the server log always is). */
  channels: string[];
  /** Routes the rule watches (`primary`, `canary`, `shadow:3`, `variant:b`); null = every route. */
  routes: string[] | null;
}

export interface MonitorSpec {
  window: WindowSpec;
  reference: ReferenceSpec;
  checks: ChecksSpec;
  rules: AlertRule[];
  /** How long after a window ends before the schedule evaluates it (late events), ms. */
  delayMs: number;
}

export interface Monitor {
  name: string;
  deployment: string;
  spec: MonitorSpec;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
}

/** Flat metrics of a window (or a reference), keyed as rules name them: `psi(salary)`, `accuracy`. */
export type MetricMap = Record<string, number | null>;

/**
 * What a monitor compares against for one model version: the reference profile (features and the
 * model's predictions on the reference rows, binned on the edges windows use), the calibration
 * for label-free estimation, and the metrics of the reference itself.
 */
export interface Baseline {
  /** Human-readable origin, e.g. `loans@3 (training data of credit@2)` or `windows 2026-01-01…`. */
  source: string;
  profile: DatasetProfile;
  /** Model features (input columns) as the registry knows them. */
  features: { name: string; type: ColumnType }[];
  task: 'binary' | 'multiclass' | 'regression' | null;
  classes: (string | number)[] | null;
  /**
   * Histogram-binning calibration of the score (binary: P(positive | score bin); multiclass:
   * P(correct | confidence bin)) on `SCORE_EDGES`; null when the raw scores calibrate better.
   */
  calibration: number[] | null;
  /** Metrics on the reference: realised (when it has labels) and estimated. */
  metrics: MetricMap;
}

/** One column's drift in a window. `statistic`/`pValue` are the default (or overridden) test's. */
export interface ColumnDrift {
  column: string;
  type: ColumnType;
  method: DriftMethod;
  statistic: number;
  pValue?: number;
  threshold: number;
  drifted: boolean;
  approximate: boolean;
  /** Extra statistics always computed: psi, js, wasserstein (numeric), ks (numeric). */
  extra: Record<string, number>;
  /** Both distributions on shared bins (shares of rows), for the report's histograms. */
  bins: { labels: string[]; reference: number[]; current: number[] };
  /** Whether this is a prediction output column. */
  prediction: boolean;
}

export interface ColumnQuality {
  column: string;
  missingRate: number;
  /** Share of non-missing values outside the reference's [min, max] (numeric). */
  outOfRangeRate: number | null;
  /** Categories not seen in the reference (up to 20) and the share of values they hold. */
  newCategories: string[];
  newCategoryRate: number | null;
}

export interface WindowResult {
  monitor: string;
  route: string;
  windowStart: number;
  windowEnd: number;
  /** Model versions that served the route in the window. */
  versions: number[];
  rows: number;
  labelled: number;
  /** The reference of the (latest) version, as `Baseline.source`. */
  reference: string;
  metrics: MetricMap;
  drift: ColumnDrift[];
  quality: { columns: ColumnQuality[]; missingFeatures: string[]; extraFeatures: string[] };
  performance: {
    /** Realised on the labelled rows; null without labels. */
    realised: MetricMap | null;
    /** CBPE estimate; null when not a classifier or no scores. */
    estimated: MetricMap | null;
    /** The same metrics on the reference. */
    reference: MetricMap;
    labelCoverage: number;
  };
  computedAt: number;
}

export type AlertStatus = 'open' | 'resolved';
export type AlertEventKind = 'opened' | 'updated' | 'resolved';

export interface Alert {
  id: number;
  monitor: string;
  deployment: string;
  rule: string;
  route: string;
  severity: Severity;
  status: AlertStatus;
  firstWindow: number;
  openedWindow: number;
  lastWindow: number;
  resolvedWindow: number | null;
  value: number | null;
  message: string;
  openedAt: number;
  updatedAt: number;
  resolvedAt: number | null;
}

/**
 * The JSON body a webhook receives and a pipeline trigger reads: self-contained, so a subscriber
 * can act (retrain on which data, for which deployment) without another call.
 */
export interface AlertEventPayload {
  /** The alert_events id: increasing, unique; subscribers resume after the last one they saw. */
  id: number;
  type: `alert.${AlertEventKind}`;
  alert: {
    id: number;
    status: AlertStatus;
    severity: Severity;
    rule: string;
    when: string;
    message: string;
    value: number | null;
    threshold: number | null;
    route: string;
  };
  monitor: string;
  deployment: string;
  model: string;
  versions: number[];
  /** The window that caused the event, event time. */
  window: { start: number; end: number };
  /** ISO-8601 wall time the event was recorded. */
  at: string;
  /** Path of the monitor's report over the episode, under the server's base URL. */
  report: string;
}

export interface AlertEvent {
  id: number;
  alertId: number;
  monitor: string;
  deployment: string;
  rule: string;
  route: string;
  kind: AlertEventKind;
  windowStart: number;
  at: number;
  payload: AlertEventPayload;
}

/** Everything a report over a time range shows; `keel monitor report --json` prints exactly this. */
export interface MonitorReport {
  monitor: Monitor;
  model: string;
  /** Event-time range [from, to), epoch ms. */
  from: number;
  to: number;
  /** Routes with results in the range, primary first. */
  routes: string[];
  /** Window results in the range, by route then window start. */
  windows: WindowResult[];
  /** Alerts whose episode overlaps the range, and their events. */
  alerts: Alert[];
  events: AlertEvent[];
  generatedAt: number;
}
