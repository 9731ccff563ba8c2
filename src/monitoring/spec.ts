/**
 * A monitor's spec from what a user writes (CLI flags, a YAML file, a REST body): every field
 * checked against the deployment and the model version it serves before anything is stored, so
 * a rule naming an unknown feature fails at creation, not at 3 a.m.
 */
import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';
import { resolveVersion } from '../data/versions.js';
import { getModelVersion } from '../registry/versions.js';
import { modelIO } from '../serving/model-io.js';
import type { Deployment } from '../serving/types.js';
import { DEFAULT_THRESHOLDS, type DriftMethod } from '../stats/drift/index.js';
import { requireChannels } from './alerts/channels.js';
import { featuresOf, predictionColumns } from './baseline/build.js';
import { parseRule, validateRule } from './rules/parse.js';
import type { AlertRule, ColumnOverride, MonitorSpec, ReferenceSpec, Severity } from './types.js';
import { checkWindowFits, parseDuration, parseWindow } from './window.js';

export interface NewRule {
  name?: string | undefined;
  when: string;
  for?: number | undefined;
  cooldown?: string | undefined;
  severity?: Severity | undefined;
  channels?: string[] | undefined;
  routes?: string[] | null | undefined;
}

export interface MonitorInput {
  window?: string | undefined;
  /** `training` (default), `<dataset>@<version>`, or `window:<from>/<to>` (ISO-8601 or epoch ms). */
  reference?: string | undefined;
  delay?: string | undefined;
  drift?:
    | {
        enabled?: boolean | undefined;
        share?: number | undefined;
        columns?: Record<string, ColumnOverride> | undefined;
        exclude?: string[] | undefined;
      }
    | undefined;
  predictionDrift?: boolean | undefined;
  quality?: boolean | undefined;
  performance?: boolean | undefined;
  estimation?: boolean | undefined;
  positiveClass?: string | number | undefined;
  rules?: NewRule[] | undefined;
}

const SEVERITIES = new Set(['info', 'warning', 'critical']);
const METHODS = new Set(Object.keys(DEFAULT_THRESHOLDS));
const DEFAULT_WINDOW = '1d';
const DEFAULT_DELAY_MS = 60_000;

function timeOf(s: string, field: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const t = Date.parse(s);
  if (Number.isNaN(t))
    throw invalidParam(`${field}: '${s}' is not an ISO-8601 time or epoch milliseconds`, field);
  return t;
}

async function parseReference(
  ctx: Context,
  text: string | undefined,
  featureNames: string[],
): Promise<ReferenceSpec> {
  const t = (text ?? 'training').trim();
  if (t === 'training') return { kind: 'training' };
  if (t.startsWith('window:')) {
    const [from, to] = t.slice('window:'.length).split('/');
    if (!from || !to) throw invalidParam(`reference '${t}' must be window:<from>/<to>`, 'reference');
    const range = { from: timeOf(from, 'reference'), to: timeOf(to, 'reference') };
    if (!(range.from < range.to)) throw invalidParam(`reference '${t}': from must be before to`, 'reference');
    return { kind: 'window', ...range };
  }
  const version = await resolveVersion(ctx.store.db, t);
  const columns = new Set((version.schema?.columns ?? []).map((c) => c.name));
  const missing = featureNames.filter((f) => !columns.has(f));
  if (missing.length > 0) {
    throw invalidParam(
      `reference ${version.ref} does not match the model: it lacks feature column(s) ${missing.join(', ')}`,
      'reference',
    );
  }
  return { kind: 'dataset', ref: version.ref, versionId: version.id };
}

function parseOverrides(
  cols: Record<string, ColumnOverride> | undefined,
  known: Set<string>,
): Record<string, ColumnOverride> {
  const out: Record<string, ColumnOverride> = {};
  for (const [column, o] of Object.entries(cols ?? {})) {
    const field = `drift.columns.${column}`;
    if (!known.has(column))
      throw invalidParam(`${field}: unknown column '${column}' (features: ${[...known].join(', ')})`, field);
    if (o.method !== undefined && !METHODS.has(o.method))
      throw invalidParam(`${field}.method must be one of ${[...METHODS].join(', ')}`, `${field}.method`);
    if (o.threshold !== undefined && !(Number.isFinite(o.threshold) && o.threshold > 0))
      throw invalidParam(`${field}.threshold must be a positive number`, `${field}.threshold`);
    out[column] = {
      ...(o.method ? { method: o.method as DriftMethod } : {}),
      ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
    };
  }
  return out;
}

function parseRules(rules: NewRule[], target: Parameters<typeof validateRule>[1]): AlertRule[] {
  const names = new Set<string>();
  return rules.map((r, i) => {
    const field = `rules[${i}]`;
    if (typeof r.when !== 'string' || r.when.trim() === '')
      throw invalidParam(`${field}.when is required`, `${field}.when`);
    const parsed = parseRule(r.when);
    validateRule(parsed, target, r.when);
    const name = (r.name ?? r.when).trim();
    if (names.has(name)) throw invalidParam(`${field}: two rules are named '${name}'`, `${field}.name`);
    names.add(name);
    const n = r.for ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw invalidParam(`${field}.for must be a whole number of windows in 1..1000`, `${field}.for`);
    const severity = r.severity ?? 'warning';
    if (!SEVERITIES.has(severity))
      throw invalidParam(`${field}.severity must be info, warning or critical`, `${field}.severity`);
    return {
      name,
      when: r.when.trim(),
      for: n,
      cooldownMs: r.cooldown ? parseDuration(r.cooldown, `${field}.cooldown`) : 0,
      severity,
      channels: [...new Set(r.channels ?? [])],
      routes: r.routes ?? null,
    };
  });
}

/** Validates an input against a deployment and returns the spec to store. */
export async function buildSpec(ctx: Context, d: Deployment, input: MonitorInput): Promise<MonitorSpec> {
  const v = await getModelVersion(ctx, d.spec.model, d.spec.primary);
  const io = modelIO(v);
  const features = featuresOf(v, io);
  const preds = predictionColumns(io).map((c) => c.name);
  const window = parseWindow(input.window ?? DEFAULT_WINDOW);
  checkWindowFits(window, d.spec.log.windowSeconds * 1000);
  const reference = await parseReference(
    ctx,
    input.reference,
    features.map((f) => f.name),
  );
  const share = input.drift?.share ?? 0.5;
  if (!(share > 0 && share <= 1)) throw invalidParam('drift.share must be in (0, 1]', 'drift.share');
  const known = new Set([...features.map((f) => f.name), ...preds]);
  for (const c of input.drift?.exclude ?? [])
    if (!known.has(c)) throw invalidParam(`drift.exclude: unknown column '${c}'`, 'drift.exclude');
  const rules = parseRules(input.rules ?? [], { task: io.task, features, predictionColumns: preds });
  await requireChannels(
    ctx.store.db,
    rules.flatMap((r) => r.channels),
    'rules.channels',
  );
  const classes = io.classes?.map(String) ?? [];
  if (input.positiveClass !== undefined && !classes.includes(String(input.positiveClass)))
    throw invalidParam(
      `positiveClass '${input.positiveClass}' is not one of the model's classes (${classes.join(', ')})`,
      'positiveClass',
    );
  return {
    window,
    reference,
    checks: {
      drift: {
        enabled: input.drift?.enabled ?? true,
        share,
        columns: parseOverrides(input.drift?.columns, known),
        exclude: input.drift?.exclude ?? [],
      },
      predictionDrift: input.predictionDrift ?? true,
      quality: input.quality ?? true,
      performance: input.performance ?? true,
      estimation: input.estimation ?? true,
      ...(input.positiveClass !== undefined ? { positiveClass: input.positiveClass } : {}),
    },
    rules,
    delayMs: input.delay ? parseDuration(input.delay, 'delay') : DEFAULT_DELAY_MS,
  };
}

/** The monitor a deployment gets by default: daily windows against the training data. */
export function defaultInput(task: string | null): MonitorInput {
  const rules: NewRule[] = [{ name: 'dataset drift', when: 'drift_share >= 0.5', severity: 'warning' }];
  if (task === 'binary' || task === 'multiclass') {
    rules.push({ name: 'accuracy drop', when: 'accuracy drops 5 points vs reference', severity: 'critical' });
    rules.push({
      name: 'estimated accuracy drop',
      when: 'estimated_accuracy drops 5 points vs reference',
      severity: 'warning',
    });
  }
  return { window: DEFAULT_WINDOW, reference: 'training', rules };
}
