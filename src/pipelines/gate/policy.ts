/**
 * The gate policy: what a candidate must show on held-out data before it is approved (in the
 * spirit of TFX's Evaluator: value thresholds, and change thresholds against the blessed model,
 * absolute or relative, with each metric's direction). YAML or JSON, validated with zod; fields are
 * strict so a typo (`max_regresion:`) is an error naming the field, never a silently ignored bound.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { invalidParam, KeelError } from '../../core/errors.js';
import { type Expectation, parseExpectations } from '../../data/quality/expectations.js';
import { METRICS } from '../../models/eval/index.js';

/** Fairness metrics evaluate() reports per sensitive attribute (fairlearn's names). */
export const FAIRNESS_METRICS = ['demographic_parity_difference', 'equal_opportunity_difference'] as const;
export type FairnessMetric = (typeof FAIRNESS_METRICS)[number];

const fairnessSet = new Set<string>(FAIRNESS_METRICS);
const METRIC_NAMES = Object.keys(METRICS).filter((k) => !fairnessSet.has(k));

const PERCENT = /^(\d+(?:\.\d+)?)\s*%$/;

const REGRESSION_HINT = 'expected a non-negative number (absolute) or a percentage such as "5%" (relative)';
const Regression = z.union([z.number().min(0, REGRESSION_HINT), z.string().regex(PERCENT, REGRESSION_HINT)], {
  error: REGRESSION_HINT,
});

const MetricRule = z
  .strictObject({
    metric: z.string().min(1),
    min: z.number().optional(),
    max: z.number().optional(),
    max_regression: Regression.optional(),
  })
  .superRefine((r, ctx) => {
    if (!METRIC_NAMES.includes(r.metric)) {
      const hint = fairnessSet.has(r.metric) ? ' (a fairness metric: put it under fairness:)' : '';
      ctx.addIssue({
        code: 'custom',
        path: ['metric'],
        message: `unknown metric '${r.metric}'${hint}; known: ${METRIC_NAMES.join(', ')}`,
      });
    }
    if (r.min === undefined && r.max === undefined && r.max_regression === undefined)
      ctx.addIssue({ code: 'custom', path: [], message: "needs 'min', 'max' or 'max_regression'" });
    else if (r.min !== undefined && r.max !== undefined && r.min > r.max)
      ctx.addIssue({ code: 'custom', path: ['max'], message: `max ${r.max} is below min ${r.min}` });
  });

const FairnessRule = z.strictObject({
  sensitive: z.string().min(1),
  metric: z.enum(FAIRNESS_METRICS),
  max: z.number().min(0),
});

const DataQuality = z.union(
  [
    z.boolean(),
    z.strictObject({
      /** Check the held-out rows against expectations suggested from the training data (default true). */
      suggested: z.boolean().optional(),
      /** Expectations (as in `keel data check`) both the held-out and the training data must meet. */
      expectations: z.union([z.array(z.unknown()), z.string().min(1)]).optional(),
    }),
  ],
  { error: 'expected true, false or { suggested, expectations }' },
);

/** The policy as written (YAML keys); also the REST body schema. */
export const GatePolicySchema = z.strictObject({
  /** Held-out dataset ref (`name`, `name@N`, `name@latest`): both models are scored on exactly its rows. */
  data: z.string().min(1),
  /** Alias or version number of the same model to compare with; default `champion`. */
  against: z.union([z.string().min(1), z.int().min(1)]).optional(),
  /** Target column, when the model does not record it. */
  target: z.string().min(1).optional(),
  /** The favourable class for binary metrics and fairness (required for multiclass fairness). */
  positive: z.union([z.string(), z.number()]).optional(),
  metrics: z.array(MetricRule).optional(),
  fairness: z.array(FairnessRule).optional(),
  data_quality: DataQuality.optional(),
  calibration: z.strictObject({ max_ece: z.number().min(0).max(1) }).optional(),
  /** auto: pass → approved; manual: pass → left pending for a person. Fail → rejected either way. */
  approval: z.enum(['auto', 'manual']).optional(),
});

export type GatePolicyInput = z.input<typeof GatePolicySchema>;
export type MetricRule = z.infer<typeof MetricRule>;
export type FairnessRule = z.infer<typeof FairnessRule>;

/** A validated policy with defaults applied; parsing it again gives the same policy. */
export interface GatePolicy {
  data: string;
  against: string | number;
  target?: string;
  positive?: string | number;
  metrics: MetricRule[];
  fairness: FairnessRule[];
  /** false: no data checks. */
  data_quality: false | { suggested: boolean; expectations: Expectation[] };
  calibration?: { max_ece: number };
  approval: 'auto' | 'manual';
}

/** An allowed regression: a fraction of the champion's value when relative. */
export function regressionBound(raw: number | string): { amount: number; relative: boolean } {
  if (typeof raw === 'number') return { amount: raw, relative: false };
  const m = PERCENT.exec(raw);
  return { amount: Number(m![1]) / 100, relative: true };
}

type Where = (field: readonly PropertyKey[], key?: string) => string;

const fieldName = (p: readonly PropertyKey[]): string =>
  p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a policy object (parsed YAML, a REST body, a step's `with:`). Errors are
 * INVALID_PARAMETER_VALUE naming the field, e.g. `metrics[1].max_regression`.
 */
export function parseGatePolicy(input: unknown, opts: { where?: Where } = {}): GatePolicy {
  const where: Where = opts.where ?? (() => 'policy');
  if (!isRecord(input)) throw invalidParam(`${where([])}: a gate policy is a mapping of fields`, 'policy');
  const r = GatePolicySchema.safeParse(input);
  if (!r.success) throw policyError(r.error, input, where);
  const p = r.data;
  const policy: GatePolicy = {
    data: p.data,
    against: p.against ?? 'champion',
    ...(p.target !== undefined ? { target: p.target } : {}),
    ...(p.positive !== undefined ? { positive: p.positive } : {}),
    metrics: p.metrics ?? [],
    fairness: p.fairness ?? [],
    data_quality: dataQuality(p.data_quality, where),
    ...(p.calibration ? { calibration: p.calibration } : {}),
    approval: p.approval ?? 'auto',
  };
  if (
    policy.metrics.length === 0 &&
    policy.fairness.length === 0 &&
    !policy.data_quality &&
    !policy.calibration
  ) {
    throw invalidParam(
      `${where([])}: the policy checks nothing; give metrics, fairness, data_quality or calibration`,
      'policy',
    );
  }
  return policy;
}

function dataQuality(raw: z.infer<typeof DataQuality> | undefined, where: Where): GatePolicy['data_quality'] {
  if (raw === undefined || raw === false) return false;
  if (raw === true) return { suggested: true, expectations: [] };
  const list = raw.expectations;
  if (typeof list === 'string') {
    throw invalidParam(
      `${where(['data_quality', 'expectations'])}: data_quality.expectations names a file (${list}); ` +
        'files are read only from a policy file (keel models gate --policy, a pipeline step), so send the list inline',
      'data_quality.expectations',
    );
  }
  const out = { suggested: raw.suggested ?? true, expectations: list ? inlineExpectations(list, where) : [] };
  if (!out.suggested && out.expectations.length === 0)
    throw invalidParam(
      `${where(['data_quality'])}: data_quality checks nothing: keep suggested: true or list expectations`,
      'data_quality',
    );
  return out;
}

/** Inline expectations, validated exactly as an expectations file's items are. */
function inlineExpectations(list: unknown[], where: Where): Expectation[] {
  try {
    return parseExpectations(JSON.stringify({ expectations: list }), 'data_quality');
  } catch (e) {
    if (!(e instanceof KeelError)) throw e;
    // parseExpectations locates errors in the text it was given: point at the policy instead.
    const field = `data_quality.${String(e.details?.['field'] ?? 'expectations')}`;
    const problem = e.message.replace(/^data_quality:\d+: /, '');
    throw invalidParam(`${where(['data_quality', 'expectations'])}: ${field}: ${problem}`, field);
  }
}

function policyError(error: z.ZodError, input: unknown, where: Where): KeelError {
  const issue = error.issues[0]!;
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const field = fieldName([...path, key]);
    return invalidParam(`${where(path, key)}: unknown field '${field}'`, field);
  }
  const field = fieldName(path) || 'policy';
  if (path.length > 0 && valueAt(input, path) === undefined)
    return invalidParam(`${where(path)}: missing field '${field}'`, field);
  return invalidParam(`${where(path)}: ${field}: ${issue.message}`, field);
}

const valueAt = (v: unknown, p: readonly PropertyKey[]): unknown =>
  p.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? Reflect.get(o, k) : undefined), v);

/** Reads a file a policy names (its expectations): its text and a name for messages. */
export type IncludeReader = (ref: string) => { text: string; name: string };

/** Reads includes from disk, relative to the policy file's folder. */
export const diskIncludes =
  (policyFile: string): IncludeReader =>
  (ref) => {
    const name = path.resolve(path.dirname(policyFile), ref);
    try {
      return { text: fs.readFileSync(name, 'utf8'), name };
    } catch (e) {
      throw invalidParam(
        `cannot read the expectations file ${name} (${(e as Error).message})`,
        'data_quality.expectations',
      );
    }
  };

/** The expectations file a policy's text names (`data_quality.expectations: file.yaml`), if any. */
export function expectationsFileOf(text: string): string | null {
  const raw: unknown = parseDocument(text).toJS();
  const dq = isRecord(raw) ? raw['data_quality'] : undefined;
  return isRecord(dq) && typeof dq['expectations'] === 'string' ? dq['expectations'] : null;
}

/**
 * Parses a policy file's text (YAML or JSON); errors name the file, the line and the field. A
 * `data_quality.expectations` file name is read through `include` (default: from disk, next to `file`).
 */
export function parseGatePolicyText(
  text: string,
  file: string,
  include: IncludeReader = diskIncludes(file),
): GatePolicy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax)
    throw invalidParam(
      `${file}:${lines.linePos(syntax.pos[0]).line}: invalid YAML: ${syntax.message}`,
      'policy',
    );
  const where: Where = (p, key) => {
    for (let n = p.length; n >= 0; n--) {
      const node = doc.getIn(p.slice(0, n) as unknown[], true);
      if (!isNode(node) || !node.range) continue;
      let offset = node.range[0];
      if (key !== undefined && n === p.length && isMap(node)) {
        const pair = node.items.find((i) => isScalar(i.key) && i.key.value === key);
        if (pair && isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      }
      return `${file}:${lines.linePos(offset).line}`;
    }
    return `${file}:1`;
  };
  const raw: unknown = doc.toJS();
  if (isRecord(raw) && isRecord(raw['data_quality'])) {
    const dq = raw['data_quality'];
    const ref = dq['expectations'];
    if (typeof ref === 'string') {
      let inc: { text: string; name: string };
      try {
        inc = include(ref);
      } catch (e) {
        if (e instanceof KeelError)
          throw invalidParam(
            `${where(['data_quality', 'expectations'])}: ${e.message}`,
            'data_quality.expectations',
          );
        throw e;
      }
      dq['expectations'] = parseExpectations(inc.text, inc.name);
    }
  }
  return parseGatePolicy(raw, { where });
}

/** Reads a policy file (`gate.yaml` or JSON). */
export function readGatePolicyFile(file: string): GatePolicy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw invalidParam(`${file}: cannot read the gate policy (${(e as Error).message})`, 'policy');
  }
  return parseGatePolicyText(text, file);
}
