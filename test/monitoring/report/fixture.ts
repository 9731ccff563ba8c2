/**
 * A realistic `MonitorReport` for the report tests: 14 daily windows of a binary classifier over
 * three features; salary drifts from day 9 on, region for days 9–12 (so the dataset drifts then and
 * one alert opens and resolves), labels arrive for the first 10 windows, and a canary serves the
 * last 4. Fully deterministic.
 */

import type {
  Alert,
  AlertEvent,
  ColumnDrift,
  ColumnQuality,
  MetricMap,
  Monitor,
  MonitorReport,
  WindowResult,
} from '../../../src/monitoring/types.js';
import type { DriftMethod } from '../../../src/stats/drift/index.js';
import type { ColumnType } from '../../../src/stats/types.js';

export const DAY = 86_400_000;
export const FROM = Date.UTC(2026, 2, 1);
export const WINDOWS = 14;
export const TO = FROM + WINDOWS * DAY;
export const dayStart = (day: number): number => FROM + (day - 1) * DAY;

const SHAPE = [0.02, 0.06, 0.12, 0.18, 0.22, 0.18, 0.12, 0.06, 0.03, 0.01];

/** The reference shape moved right by `s` of a bin (0 = identical). */
const shifted = (s: number): number[] => {
  const out = SHAPE.map((v, j) => (1 - s) * v + s * (SHAPE[j - 1] ?? 0));
  out[out.length - 1]! += s * SHAPE[SHAPE.length - 1]!;
  return out.map((v) => Number(v.toFixed(4)));
};

const edges = (lo: number, step: number): string[] =>
  SHAPE.map((_, j) => `[${lo + j * step}, ${lo + (j + 1) * step})`);

interface FeatureDef {
  type: ColumnType;
  method: DriftMethod;
  threshold: number;
  labels: string[];
  /** Drift amount on a day (0 = none). */
  shift: (day: number) => number;
}

export interface FixtureOptions {
  /** Names of the three features (age, salary, region), e.g. to test escaping. */
  features?: [string, string, string];
  /** Whether a canary route serves the last 4 windows (default true). */
  canary?: boolean;
}

const round = (v: number, d = 4) => Number(v.toFixed(d));

function drift(column: string, f: FeatureDef, day: number, route: string, prediction = false): ColumnDrift {
  const s = f.shift(day) * (route === 'canary' ? 0.8 : 1);
  const reference = f.type === 'categorical' ? [0.3, 0.3, 0.2, 0.2] : [...SHAPE];
  const current =
    f.type === 'categorical'
      ? [round(0.3 - 0.3 * s), 0.3, 0.2, round(0.2 + 0.3 * s)]
      : shifted(Math.min(s, 1));
  const statistic = round(0.02 + 0.01 * ((day * 7) % 3) + s * 0.6);
  return {
    column,
    type: f.type,
    method: f.method,
    statistic,
    threshold: f.threshold,
    drifted: statistic >= f.threshold,
    approximate: false,
    extra: { psi: round(statistic * 1.3) },
    bins: { labels: f.labels, reference, current },
    prediction,
  };
}

function monitor(): Monitor {
  return {
    name: 'loans',
    deployment: 'loans-api',
    spec: {
      window: { kind: 'time', ms: DAY, text: '1d' },
      reference: { kind: 'training' },
      checks: {
        drift: { enabled: true, share: 0.5, columns: {}, exclude: [] },
        predictionDrift: true,
        quality: true,
        performance: true,
        estimation: true,
      },
      rules: [
        {
          name: 'dataset drift',
          when: 'drift_share >= 0.5',
          for: 2,
          cooldownMs: DAY,
          severity: 'warning',
          channels: ['ops'],
          routes: null,
        },
      ],
      delayMs: 3_600_000,
    },
    enabled: true,
    createdAt: FROM - 30 * DAY,
    updatedAt: FROM - 30 * DAY,
    createdBy: 'alice',
  };
}

export function buildReport(options: FixtureOptions = {}): MonitorReport {
  const [age, salary, region] = options.features ?? ['age', 'salary', 'region'];
  const defs: [string, FeatureDef][] = [
    [age, { type: 'integer', method: 'wasserstein', threshold: 0.1, labels: edges(20, 5), shift: () => 0 }],
    [
      salary,
      {
        type: 'float',
        method: 'psi',
        threshold: 0.2,
        labels: edges(20_000, 10_000),
        shift: (d) => (d >= 9 ? Math.min(0.5 + (d - 9) * 0.1, 0.9) : 0),
      },
    ],
    [
      region,
      {
        type: 'categorical',
        method: 'jensenshannon',
        threshold: 0.1,
        labels: ['north', 'south', 'east', 'west'],
        shift: (d) => (d >= 9 && d <= 12 ? 0.4 : 0),
      },
    ],
  ];
  const prediction: FeatureDef = {
    type: 'float',
    method: 'wasserstein',
    threshold: 0.1,
    labels: edges(0, 0.1).map((_, j) => `[${(j / 10).toFixed(1)}, ${((j + 1) / 10).toFixed(1)})`),
    shift: (d) => (d >= 10 ? 0.3 : 0),
  };
  const reference: MetricMap = { accuracy: 0.87, f1: 0.78, roc_auc: 0.92, estimated_accuracy: 0.868 };

  const window = (day: number, route: string): WindowResult => {
    const canary = route === 'canary';
    const rows = canary ? 240 : 1200 + ((day * 37) % 200);
    const coverage = !canary && day <= 10 ? 0.9 : 0;
    const d = [
      ...defs.map(([name, f]) => drift(name, f, day, route)),
      drift('prediction', prediction, day, route, true),
    ];
    const late = day >= 9;
    const quality: ColumnQuality[] = [
      { column: age, missingRate: 0, outOfRangeRate: 0, newCategories: [], newCategoryRate: null },
      {
        column: salary,
        missingRate: late ? 0.08 : 0.01,
        outOfRangeRate: late ? 0.02 : 0,
        newCategories: [],
        newCategoryRate: null,
      },
      {
        column: region,
        missingRate: 0,
        outOfRangeRate: null,
        newCategories: day >= 10 && day <= 12 ? ['central'] : [],
        newCategoryRate: day >= 10 && day <= 12 ? 0.04 : 0,
      },
    ];
    const drop = late ? 0.06 + (day - 9) * 0.005 : 0;
    const realised =
      coverage > 0
        ? { accuracy: round(0.865 - drop), f1: round(0.775 - drop), roc_auc: round(0.915 - drop / 2) }
        : null;
    const estimated = {
      accuracy: round(0.868 - drop * (canary ? 0.5 : 1) + ((day % 3) - 1) * 0.002),
      f1: round(0.78 - drop),
    };
    const features = d.filter((x) => !x.prediction);
    const metrics: MetricMap = {
      rows,
      drift_share: round(features.filter((x) => x.drifted).length / features.length),
      label_coverage: coverage,
      estimated_accuracy: estimated.accuracy,
      accuracy: realised?.accuracy ?? null,
      ...Object.fromEntries(d.map((x) => [`${x.method}(${x.column})`, x.statistic])),
      ...Object.fromEntries(d.map((x) => [`drift(${x.column})`, x.drifted ? 1 : 0])),
      ...Object.fromEntries(quality.map((q) => [`missing_rate(${q.column})`, q.missingRate])),
    };
    return {
      monitor: 'loans',
      route,
      windowStart: dayStart(day),
      windowEnd: dayStart(day) + DAY,
      versions: canary ? [4] : [3],
      rows,
      labelled: Math.round(rows * coverage),
      reference: canary ? 'loans@5 (training data of credit@4)' : 'loans@4 (training data of credit@3)',
      metrics,
      drift: d,
      quality: { columns: quality, missingFeatures: [], extraFeatures: day === 14 ? ['channel'] : [] },
      performance: { realised, estimated, reference, labelCoverage: coverage },
      computedAt: dayStart(day) + DAY + 3_600_000,
    };
  };

  const canary = options.canary ?? true;
  const windows: WindowResult[] = [];
  for (let day = 1; day <= WINDOWS; day++) windows.push(window(day, 'primary'));
  if (canary) for (let day = WINDOWS - 3; day <= WINDOWS; day++) windows.push(window(day, 'canary'));

  const alert: Alert = {
    id: 7,
    monitor: 'loans',
    deployment: 'loans-api',
    rule: 'dataset drift',
    route: 'primary',
    severity: 'warning',
    status: 'resolved',
    firstWindow: dayStart(9),
    openedWindow: dayStart(10),
    lastWindow: dayStart(12),
    resolvedWindow: dayStart(13),
    value: 0.6667,
    message: 'drift_share 0.67 >= 0.5 for 2 windows (salary, region drifted)',
    openedAt: dayStart(11) + 3_600_000,
    updatedAt: dayStart(13) + 3_600_000,
    resolvedAt: dayStart(14) + 3_600_000,
  };
  const event = (id: number, kind: 'opened' | 'resolved', day: number): AlertEvent => ({
    id,
    alertId: alert.id,
    monitor: 'loans',
    deployment: 'loans-api',
    rule: alert.rule,
    route: alert.route,
    kind,
    windowStart: dayStart(day),
    at: dayStart(day + 1) + 3_600_000,
    payload: {
      id,
      type: `alert.${kind}`,
      alert: {
        id: alert.id,
        status: kind === 'opened' ? 'open' : 'resolved',
        severity: alert.severity,
        rule: alert.rule,
        when: 'drift_share >= 0.5',
        message: alert.message,
        value: alert.value,
        threshold: 0.5,
        route: alert.route,
      },
      monitor: 'loans',
      deployment: 'loans-api',
      model: 'credit',
      versions: [3],
      window: { start: dayStart(day), end: dayStart(day) + DAY },
      at: new Date(dayStart(day + 1) + 3_600_000).toISOString(),
      report: `/monitors/loans/report?from=${dayStart(9)}`,
    },
  });

  return {
    monitor: monitor(),
    model: 'credit',
    from: FROM,
    to: TO,
    routes: canary ? ['primary', 'canary'] : ['primary'],
    windows,
    alerts: [alert],
    events: [event(21, 'opened', 10), event(24, 'resolved', 13)],
    generatedAt: TO + 2 * 3_600_000,
  };
}

/** A report over a range with nothing evaluated. */
export function emptyReport(): MonitorReport {
  return { ...buildReport(), routes: [], windows: [], alerts: [], events: [] };
}
