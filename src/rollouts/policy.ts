/**
 * The rollout policy: canary steps (10% → 50% → 100%), how long each holds (N canary predictions,
 * T of event time, or both), and the checks a step must pass — in the spirit of Flagger's analysis
 * (error rate, p99 latency) plus prediction drift and realised performance against the primary.
 * YAML or JSON, snake_case like the gate policy; fields are strict so a typo is an error naming it.
 */
import { z } from 'zod';
import { invalidParam, isKeelError, type KeelError } from '../core/errors.js';
import { METRICS } from '../models/eval/index.js';
import { parseDuration } from '../monitoring/window.js';
import { validateAlias } from '../registry/aliases.js';
import type { Hold, RolloutPolicy } from './types.js';

export const DEFAULT_STEPS = [10, 50, 100];
export const DEFAULT_HOLD = '1000p';
const MAX_STEPS = 20;

const Probability = z.number().min(0).max(1);

const HoldInput = z.union(
  [
    z.string().min(1),
    z.strictObject({ predictions: z.int().min(1).optional(), duration: z.string().min(1).optional() }),
  ],
  { error: "expected a hold like '1000p' or '1h', or { predictions, duration }" },
);

const StepInput = z.union(
  [z.int().min(1).max(100), z.strictObject({ weight: z.int().min(1).max(100), hold: HoldInput.optional() })],
  { error: 'expected a canary weight (1–100) or { weight, hold }' },
);

/** A check: `false` turns it off, an object tunes it (absent fields keep their defaults). */
const check = <T extends z.ZodRawShape>(shape: T) =>
  z.union([z.literal(false), z.strictObject(shape)], { error: 'expected false or an object of settings' });

/** The policy as written; also the REST body's `policy`. */
export const RolloutPolicySchema = z.strictObject({
  steps: z.array(StepInput).min(1).max(MAX_STEPS).optional(),
  hold: HoldInput.optional(),
  min_predictions: z.int().min(1).optional(),
  max_step_duration: z.union([z.string().min(1), z.null()]).optional(),
  checks: z
    .strictObject({
      error_rate: check({ max: Probability.optional(), max_increase: Probability.optional() }).optional(),
      latency: check({
        max_p99_ratio: z.number().min(1).optional(),
        slack_ms: z.number().min(0).optional(),
        max_p99_ms: z.number().positive().optional(),
      }).optional(),
      drift: check({
        method: z.enum(['psi', 'js']).optional(),
        max: z.number().positive().optional(),
      }).optional(),
      performance: check({
        metric: z.string().min(1).optional(),
        max_regression: z.number().min(0).optional(),
        min_labels: z.int().min(1).optional(),
        require: z.boolean().optional(),
      }).optional(),
    })
    .optional(),
  alias: z.union([z.string().min(1), z.literal(false), z.null()]).optional(),
  alert: z
    .strictObject({
      severity: z.enum(['info', 'warning', 'critical']).optional(),
      channels: z.array(z.string().min(1)).optional(),
    })
    .optional(),
});

export type RolloutPolicyInput = z.input<typeof RolloutPolicySchema>;

const fieldName = (p: readonly PropertyKey[]): string =>
  p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');

const join = (prefix: string, field: string): string =>
  prefix === '' ? field : field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`;

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[p];
  return v;
}

function schemaError(error: z.ZodError, input: unknown, prefix: string): KeelError {
  const issue = error.issues[0]!;
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const field = join(prefix, fieldName([...path, issue.keys[0]!]));
    return invalidParam(`unknown field '${field}' in the rollout policy`, field);
  }
  const field = join(prefix, fieldName(path)) || 'policy';
  if (path.length > 0 && valueAt(input, path) === undefined) {
    return invalidParam(`missing field '${field}' in the rollout policy`, field);
  }
  return invalidParam(`${field}: ${issue.message}`, field);
}

/** `1000p`, `1h`, `{ predictions, duration }` → a hold; both given means both must be reached. */
export function parseHold(raw: z.infer<typeof HoldInput>, field: string): Hold {
  if (typeof raw === 'string') {
    const count = /^\s*(\d+)\s*(p|preds|predictions)\s*$/i.exec(raw);
    if (count) {
      const n = Number(count[1]);
      if (!Number.isSafeInteger(n) || n < 1)
        throw invalidParam(`${field} must hold for at least 1 prediction`, field);
      return { predictions: n, duration_ms: null };
    }
    try {
      return { predictions: null, duration_ms: parseDuration(raw, field) };
    } catch {
      throw invalidParam(
        `${field} '${raw}' is neither a prediction count (1000p) nor an event-time duration (30m, 1h)`,
        field,
      );
    }
  }
  if (raw.predictions === undefined && raw.duration === undefined)
    throw invalidParam(`${field} needs predictions, duration or both`, field);
  return {
    predictions: raw.predictions ?? null,
    duration_ms: raw.duration === undefined ? null : parseDuration(raw.duration, `${field}.duration`),
  };
}

function defaultMetricKnown(metric: string, field: string): void {
  const known = Object.keys(METRICS).filter((k) => !k.includes('_difference'));
  if (!known.includes(metric))
    throw invalidParam(`${field}: unknown metric '${metric}'; known: ${known.join(', ')}`, field);
}

/**
 * Validates a policy (a REST body's `policy`, a policy file, a pipeline step's `rollout:`) and fills
 * in every default; parsing the result again gives the same policy. Errors are
 * INVALID_PARAMETER_VALUE naming the field under `prefix`, e.g. `policy.steps[1].weight`.
 */
export function parsePolicy(input: unknown, prefix = 'policy'): RolloutPolicy {
  const raw = input ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw invalidParam(`${prefix || 'policy'}: a rollout policy is a mapping of fields`, prefix || 'policy');
  // A stored policy (its normalised form) is accepted as input too, so it can be re-submitted.
  const r = RolloutPolicySchema.safeParse(denormalise(raw as Record<string, unknown>));
  if (!r.success) throw schemaError(r.error, raw, prefix);
  const p = r.data;
  const at = (f: string) => join(prefix, f);
  const defaultHold = parseHold(p.hold ?? DEFAULT_HOLD, at('hold'));
  const steps = (p.steps ?? DEFAULT_STEPS).map((s, i) =>
    typeof s === 'number'
      ? { weight: s, hold: defaultHold }
      : {
          weight: s.weight,
          hold: s.hold === undefined ? defaultHold : parseHold(s.hold, at(`steps[${i}].hold`)),
        },
  );
  steps.forEach((s, i) => {
    if (i > 0 && s.weight <= steps[i - 1]!.weight)
      throw invalidParam(
        `${at(`steps[${i}]`)}: weights must increase from step to step, got ${steps[i - 1]!.weight} then ${s.weight}`,
        at(`steps[${i}]`),
      );
  });
  const c = p.checks ?? {};
  const er = c.error_rate;
  const lat = c.latency;
  const dr = c.drift;
  const perf = c.performance;
  if (perf && perf.metric !== undefined) defaultMetricKnown(perf.metric, at('checks.performance.metric'));
  let alias: string | null = 'champion';
  if (p.alias === false || p.alias === null) alias = null;
  else if (p.alias !== undefined) alias = p.alias;
  if (alias !== null) {
    try {
      validateAlias(alias);
    } catch (e) {
      if (isKeelError(e)) throw invalidParam(`${at('alias')}: ${e.message}`, at('alias'));
      throw e;
    }
  }
  return {
    steps,
    min_predictions: p.min_predictions ?? 100,
    max_step_duration_ms:
      p.max_step_duration === undefined || p.max_step_duration === null
        ? null
        : parseDuration(p.max_step_duration, at('max_step_duration')),
    checks: {
      error_rate: er === false ? null : { max: er?.max ?? 0.05, max_increase: er?.max_increase ?? 0.01 },
      latency:
        lat === false
          ? null
          : {
              max_p99_ratio: lat?.max_p99_ratio ?? 1.5,
              slack_ms: lat?.slack_ms ?? 20,
              max_p99_ms: lat?.max_p99_ms ?? null,
            },
      drift: dr === false ? null : { method: dr?.method ?? 'psi', max: dr?.max ?? 0.25 },
      performance:
        perf === false
          ? null
          : {
              metric: perf?.metric ?? null,
              max_regression: perf?.max_regression ?? 0.02,
              min_labels: perf?.min_labels ?? 50,
              require: perf?.require ?? false,
            },
    },
    alias,
    alert: { severity: p.alert?.severity ?? 'critical', channels: p.alert?.channels ?? null },
  };
}

const holdText = (h: Hold): string | { predictions?: number; duration?: string } => {
  const duration = h.duration_ms === null ? undefined : `${h.duration_ms / 1000}s`;
  if (h.predictions !== null && duration !== undefined) return { predictions: h.predictions, duration };
  return duration ?? `${h.predictions}p`;
};

/** A stored (normalised) policy back into the written form; written input passes through unchanged. */
function denormalise(raw: Record<string, unknown>): Record<string, unknown> {
  if (!('min_predictions' in raw && 'max_step_duration_ms' in raw && Array.isArray(raw.steps))) return raw;
  const p = raw as unknown as RolloutPolicy;
  const off = <T>(v: T | null): T | false => (v === null ? false : v);
  return {
    steps: p.steps.map((s) => ({ weight: s.weight, hold: holdText(s.hold) })),
    min_predictions: p.min_predictions,
    max_step_duration: p.max_step_duration_ms === null ? null : `${p.max_step_duration_ms / 1000}s`,
    checks: {
      error_rate: off(p.checks.error_rate),
      latency:
        p.checks.latency === null
          ? false
          : {
              max_p99_ratio: p.checks.latency.max_p99_ratio,
              slack_ms: p.checks.latency.slack_ms,
              ...(p.checks.latency.max_p99_ms === null ? {} : { max_p99_ms: p.checks.latency.max_p99_ms }),
            },
      drift: off(p.checks.drift),
      performance:
        p.checks.performance === null
          ? false
          : {
              ...(p.checks.performance.metric === null ? {} : { metric: p.checks.performance.metric }),
              max_regression: p.checks.performance.max_regression,
              min_labels: p.checks.performance.min_labels,
              require: p.checks.performance.require,
            },
    },
    alias: p.alias,
    alert: {
      severity: p.alert.severity,
      ...(p.alert.channels === null ? {} : { channels: p.alert.channels }),
    },
  };
}

/** One line describing a hold: `1000 predictions`, `1h of event time`, or both. */
export function describeHold(h: Hold): string {
  const parts: string[] = [];
  if (h.predictions !== null) parts.push(`${h.predictions} canary predictions`);
  if (h.duration_ms !== null) parts.push(`${formatMs(h.duration_ms)} of event time`);
  return parts.join(' and ');
}

/** `90000` → `1m30s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  let s = Math.round(ms / 1000);
  const out: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      out.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || out.length === 0) out.push(`${s}s`);
  return out.join('');
}
