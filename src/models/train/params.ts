/**
 * Trainer hyper-parameters from the CLI's `--params lr=0.1,trees=200` (or a key → string record),
 * typed, range-checked and defaulted per trainer. Keys accept scikit-learn's names as aliases.
 *
 * Regularisation conventions (chosen so results compare with scikit-learn's defaults):
 *   logistic  minimises Σᵢ logloss(i) + (l2 / 2)·‖w‖², i.e. l2 = 1/C of LogisticRegression; the
 *             default l2 = 1 is scikit-learn's C = 1. The intercept is not penalised.
 *   linear    minimises Σᵢ (yᵢ − ŷᵢ)² + l2·‖w‖², i.e. l2 = alpha of Ridge; default 0 (ordinary least
 *             squares, with a vanishing ridge only where the design is singular).
 * Both act on standardised numeric features and 0/1 one-hot columns.
 */
import { invalidParam } from '../../core/errors.js';
import { GBDT_DEFAULTS, type GbdtParams } from './gbdt/params.js';
import type { TrainerKind } from './types.js';

/** `early_stopping`: auto turns it on for more than this many training rows (scikit-learn's rule). */
export const EARLY_STOPPING_AUTO_ROWS = 10_000;

/** GBDT core parameters plus the pipeline's own (validation split, seed). */
export interface GbdtTrainParams extends GbdtParams {
  earlyStopping: 'auto' | boolean;
  validationFraction: number;
  seed: number;
}

export interface LogisticParams {
  /** L2 penalty (see the module comment). */
  l2: number;
  /** L-BFGS iterations at most. */
  maxIter: number;
  /** Converged when every gradient component of the mean objective is at most this. */
  tol: number;
  seed: number;
}

export interface LinearParams {
  l2: number;
  seed: number;
}

export interface ParamsByKind {
  gbdt: GbdtTrainParams;
  logistic: LogisticParams;
  linear: LinearParams;
}

/** What `--params` may be: `k=v,k=v`, or a record of raw strings. */
export type ParamsInput = string | Record<string, string> | undefined;

type Value = number | boolean | 'auto';

interface Spec {
  /** Canonical key (as logged and written into the model's metadata). */
  key: string;
  aliases: string[];
  /** The typed params field. */
  field: string;
  parse: (raw: string) => Value | undefined;
  /** Expected range, as printed in errors. */
  expect: string;
}

const UINT32 = 2 ** 32 - 1;

function int(min: number, max = Number.MAX_SAFE_INTEGER): Pick<Spec, 'parse' | 'expect'> {
  return {
    parse: (raw) => {
      const v = Number(raw);
      return /^[+-]?\d+(?:\.0*)?(?:e\+?\d+)?$/i.test(raw) && Number.isInteger(v) && v >= min && v <= max
        ? v
        : undefined;
    },
    expect: max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in ${min}..${max}`,
  };
}

function num(
  lo: number,
  hi: number,
  opts: { loOpen?: boolean; hiOpen?: boolean } = {},
): Pick<Spec, 'parse' | 'expect'> {
  const left = opts.loOpen ? '(' : '[';
  const right = hi === Number.POSITIVE_INFINITY || opts.hiOpen ? ')' : ']';
  const expect =
    hi === Number.POSITIVE_INFINITY
      ? `a number ${opts.loOpen ? '>' : '≥'} ${lo}`
      : `a number in ${left}${lo}, ${hi}${right}`;
  return {
    parse: (raw) => {
      if (raw.trim() === '') return undefined;
      const v = Number(raw);
      if (!Number.isFinite(v)) return undefined;
      if (opts.loOpen ? v <= lo : v < lo) return undefined;
      if (opts.hiOpen ? v >= hi : v > hi) return undefined;
      return v;
    },
    expect,
  };
}

const triState: Pick<Spec, 'parse' | 'expect'> = {
  parse: (raw) => {
    const v = raw.toLowerCase();
    if (v === 'auto') return 'auto';
    if (v === 'true') return true;
    if (v === 'false') return false;
    return undefined;
  },
  expect: 'auto, true or false',
};

const seed: Spec = { key: 'seed', aliases: ['random_state'], field: 'seed', ...int(0, UINT32) };

const SPECS: Record<TrainerKind, Spec[]> = {
  gbdt: [
    { key: 'trees', aliases: ['n_estimators', 'max_iter'], field: 'trees', ...int(1, 100_000) },
    { key: 'lr', aliases: ['learning_rate'], field: 'learningRate', ...num(0, 1, { loOpen: true }) },
    { key: 'depth', aliases: ['max_depth'], field: 'maxDepth', ...int(1, 16) },
    { key: 'min_samples_leaf', aliases: [], field: 'minSamplesLeaf', ...int(1) },
    { key: 'max_bins', aliases: [], field: 'maxBins', ...int(2, 255) },
    { key: 'l2', aliases: ['l2_regularization'], field: 'l2', ...num(0, Number.POSITIVE_INFINITY) },
    { key: 'min_gain_to_split', aliases: [], field: 'minGainToSplit', ...num(0, Number.POSITIVE_INFINITY) },
    { key: 'early_stopping', aliases: [], field: 'earlyStopping', ...triState },
    {
      key: 'validation_fraction',
      aliases: [],
      field: 'validationFraction',
      ...num(0, 0.5, { loOpen: true }),
    },
    { key: 'n_iter_no_change', aliases: [], field: 'nIterNoChange', ...int(1) },
    seed,
  ],
  logistic: [
    { key: 'l2', aliases: ['alpha'], field: 'l2', ...num(0, Number.POSITIVE_INFINITY) },
    { key: 'max_iter', aliases: [], field: 'maxIter', ...int(1, 1_000_000) },
    { key: 'tol', aliases: [], field: 'tol', ...num(0, 1, { loOpen: true }) },
    seed,
  ],
  linear: [{ key: 'l2', aliases: ['alpha'], field: 'l2', ...num(0, Number.POSITIVE_INFINITY) }, seed],
};

/** Defaults of every trainer's parameters. */
export const PARAM_DEFAULTS: ParamsByKind = {
  gbdt: { ...GBDT_DEFAULTS, earlyStopping: 'auto', validationFraction: 0.1, seed: 0 },
  logistic: { l2: 1, maxIter: 500, tol: 1e-6, seed: 0 },
  linear: { l2: 0, seed: 0 },
};

/** Canonical keys with their aliases, e.g. `trees (n_estimators, max_iter)`, for help and errors. */
export function paramKeys(kind: TrainerKind): string[] {
  return SPECS[kind].map((s) => (s.aliases.length ? `${s.key} (${s.aliases.join(', ')})` : s.key));
}

/**
 * Parses a trainer's parameters. Keys are case-insensitive ('-' reads as '_'); each may be given
 * once (under any alias). Unknown keys and bad values are invalidParam errors naming the key.
 */
export function parseParams<K extends TrainerKind>(
  kind: K,
  input: ParamsInput,
  defaults: Partial<ParamsByKind[K]> = {},
): ParamsByKind[K] {
  const specs = SPECS[kind];
  if (!specs)
    throw invalidParam(`unknown trainer '${String(kind)}' (trainers: gbdt, logistic, linear)`, 'kind');
  const out: Record<string, unknown> = { ...PARAM_DEFAULTS[kind], ...defaults };
  const seen = new Map<string, string>();
  for (const [rawKey, rawValue] of entries(input)) {
    const key = rawKey.trim().toLowerCase().replaceAll('-', '_');
    const spec = specs.find((s) => s.key === key || s.aliases.includes(key));
    if (!spec) {
      throw invalidParam(
        `unknown ${kind} parameter '${rawKey.trim()}'; valid parameters: ${paramKeys(kind).join(', ')}`,
        'params',
      );
    }
    const before = seen.get(spec.key);
    if (before !== undefined) {
      throw invalidParam(`${kind} parameter ${spec.key} is given twice (as ${before} and ${key})`, spec.key);
    }
    seen.set(spec.key, key);
    const value = spec.parse(rawValue.trim());
    if (value === undefined) {
      throw invalidParam(
        `${kind} parameter ${spec.key} must be ${spec.expect} (got '${rawValue.trim()}')`,
        spec.key,
      );
    }
    out[spec.field] = value;
  }
  return out as unknown as ParamsByKind[K];
}

/** The parameters under their canonical keys (what runs log and models carry), defaults included. */
export function paramsRecord<K extends TrainerKind>(
  kind: K,
  params: ParamsByKind[K],
): Record<string, number | string | boolean> {
  const rec: Record<string, number | string | boolean> = {};
  const p = params as unknown as Record<string, Value | undefined>;
  for (const s of SPECS[kind]) {
    const v = p[s.field];
    if (v !== undefined) rec[s.key] = v;
  }
  return rec;
}

function entries(input: ParamsInput): [string, string][] {
  if (input === undefined) return [];
  if (typeof input !== 'string') return Object.entries(input).map(([k, v]) => [k, String(v)]);
  const out: [string, string][] = [];
  for (const part of input.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0)
      throw invalidParam(`parameter '${part.trim()}' is not key=value (e.g. lr=0.1,trees=200)`, 'params');
    out.push([part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}
