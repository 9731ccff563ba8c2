/**
 * Backtest: a labelled dataset replayed through a monitor on event time, without serving — the
 * deployment's primary version scores every row, rows are grouped into the monitor's windows by
 * their timestamp, each window is profiled exactly as the prediction log would and evaluated
 * against the baseline, and the rules are folded over the windows. It prints when each alert
 * would have fired, so thresholds can be tuned on history. Nothing is written.
 */
import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';
import { column } from '../data/table.js';
import { resolveVersion } from '../data/versions.js';
import { getModelVersion } from '../registry/versions.js';
import { requireDeployment } from '../serving/deployments/store.js';
import { referenceEdges } from '../serving/log/reference.js';
import { modelIO } from '../serving/model-io.js';
import { type CellValue, DatasetProfiler } from '../stats/profile.js';
import { buildBaseline, predictionCells, predictionColumns, scoredRow, scoreRows } from './baseline/build.js';
import { readVersionTable } from './baseline/data.js';
import type { LabelledRow } from './checks/performance.js';
import { evaluateWindow } from './checks/window.js';
import { foldRule } from './rules/fold.js';
import { parseRule, ruleMessage } from './rules/parse.js';
import { buildSpec, defaultInput, type MonitorInput } from './spec.js';
import type { MonitorSpec, WindowResult } from './types.js';

export interface BacktestInput {
  deployment: string;
  /** Dataset version ref, e.g. loans@5. */
  data: string;
  timestampColumn: string;
  /** Default: the model's recorded target column. */
  labelColumn?: string | undefined;
  /** Use this monitor's spec (default: the deployment's monitor of the same name, else the defaults). */
  monitor?: string | undefined;
  /** Overrides: a window and/or rules replace the monitor's. */
  window?: string | undefined;
  rules?: MonitorInput['rules'];
}

export interface BacktestAlert {
  rule: string;
  when: string;
  route: string;
  severity: string;
  firstWindow: number;
  openedWindow: number;
  resolvedWindow: number | null;
  value: number | null;
  message: string;
}

export interface BacktestResult {
  deployment: string;
  data: string;
  model: string;
  version: number;
  reference: string;
  rows: number;
  windows: WindowResult[];
  alerts: BacktestAlert[];
}

function timestamps(values: readonly unknown[], name: string): Float64Array {
  return Float64Array.from(values, (v, i) => {
    const t = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : Number.NaN;
    if (!Number.isFinite(t))
      throw invalidParam(
        `timestamp column '${name}': row ${i + 1} holds ${JSON.stringify(v)}, not a time`,
        'timestampColumn',
      );
    return t;
  });
}

async function specFor(
  ctx: Context,
  input: BacktestInput,
  d: Awaited<ReturnType<typeof requireDeployment>>,
): Promise<MonitorSpec> {
  const name = input.monitor ?? d.name;
  const row = await ctx.store.db
    .selectFrom('monitors')
    .select(['spec', 'deployment'])
    .where('name', '=', name)
    .executeTakeFirst();
  if (input.monitor !== undefined && !row)
    throw invalidParam(`monitor '${input.monitor}' does not exist`, 'monitor');
  const base: MonitorSpec | null =
    row && row.deployment === d.name ? (JSON.parse(row.spec) as MonitorSpec) : null;
  if (base && input.window === undefined && input.rules === undefined) return base;
  const v = await getModelVersion(ctx, d.spec.model, d.spec.primary);
  const defaults = defaultInput(modelIO(v).task);
  return buildSpec(ctx, d, {
    window: input.window ?? base?.window.text ?? defaults.window,
    reference: base?.reference.kind === 'dataset' ? base.reference.ref : 'training',
    rules:
      input.rules ??
      base?.rules.map((r) => ({
        ...r,
        cooldown: r.cooldownMs > 0 ? `${r.cooldownMs / 1000}s` : undefined,
      })) ??
      defaults.rules,
  });
}

/** Replays a dataset through a deployment's monitor; returns every window and the alerts that would fire. */
export async function backtest(ctx: Context, input: BacktestInput): Promise<BacktestResult> {
  const d = await requireDeployment(ctx.store.db, input.deployment);
  const spec = await specFor(ctx, input, d);
  const model = d.spec.model;
  const version = d.spec.primary;
  const v = await getModelVersion(ctx, model, version);
  const io = modelIO(v);
  const dataset = await resolveVersion(ctx.store.db, input.data, { files: true });
  const table = await readVersionTable(ctx, dataset);
  const times = timestamps(column(table, input.timestampColumn, 'timestampColumn'), input.timestampColumn);
  const labelName = input.labelColumn ?? v.signature?.metadata?.['keel.target'];
  const labels = labelName ? column(table, labelName, 'labelColumn') : null;
  const baseline = await buildBaseline(ctx, d.name, spec, model, version);
  const scored = await scoreRows(ctx, v, io, table);
  const classes = scored.classes ?? io.classes;
  const preds = predictionColumns(io);
  const predCols = predictionCells(preds, scored, table.rows, classes?.length ?? 0).columns;
  const all = [...baseline.features.map((f) => column(table, f.name, 'data') as CellValue[]), ...predCols];
  const edges = await referenceEdges(ctx.store.db, model, version);
  // Rows by window: time windows on the epoch grid, count windows by consecutive rows in time order.
  const order = Array.from({ length: table.rows }, (_, i) => i).sort((a, b) => times[a]! - times[b]!);
  const groups: { start: number; end: number; rows: number[] }[] = [];
  const w = spec.window;
  for (const i of order) {
    const last = groups[groups.length - 1];
    if (w.kind === 'time') {
      const start = Math.floor(times[i]! / w.ms) * w.ms;
      if (last && last.start === start) last.rows.push(i);
      else groups.push({ start, end: start + w.ms, rows: [i] });
    } else if (last && last.rows.length < w.rows) {
      last.rows.push(i);
      last.end = times[i]! + 1;
    } else groups.push({ start: times[i]!, end: times[i]! + 1, rows: [i] });
  }
  const windows: WindowResult[] = groups.map((g) => {
    const profiler = new DatasetProfiler([...baseline.features, ...preds], { edges });
    profiler.addColumns(
      all.map((c) => (c ? g.rows.map((i) => c[i]) : undefined)),
      g.rows.length,
    );
    const labelled: LabelledRow[] = [];
    if (labels) {
      for (const i of g.rows) {
        const l = labels[i];
        if (l !== null && l !== undefined)
          labelled.push({ prediction: scoredRow(scored, classes, i), label: l });
      }
    }
    return evaluateWindow({
      monitor: input.monitor ?? d.name,
      route: 'primary',
      windowStart: g.start,
      windowEnd: g.end,
      versions: [version],
      rows: g.rows.length,
      profile: profiler.finish(),
      baseline,
      io,
      labelled,
      spec,
      computedAt: ctx.clock.now(),
    });
  });
  const fold = windows.map((r) => ({
    windowStart: r.windowStart,
    windowEnd: r.windowEnd,
    metrics: r.metrics,
    reference: baseline.metrics,
  }));
  const alerts: BacktestAlert[] = [];
  for (const rule of spec.rules) {
    const parsed = parseRule(rule.when);
    for (const ep of foldRule(rule, parsed, fold)) {
      alerts.push({
        rule: rule.name,
        when: rule.when,
        route: 'primary',
        severity: rule.severity,
        firstWindow: ep.firstWindow,
        openedWindow: ep.openedWindow,
        resolvedWindow: ep.resolvedWindow,
        value: ep.openValue,
        message: ruleMessage(rule.name, parsed, ep.openValue, ep.threshold, 'primary'),
      });
    }
  }
  alerts.sort((a, b) => a.openedWindow - b.openedWindow || a.rule.localeCompare(b.rule));
  return {
    deployment: d.name,
    data: dataset.ref,
    model,
    version,
    reference: baseline.source,
    rows: table.rows,
    windows,
    alerts,
  };
}
