import { createHash } from 'node:crypto';
import { invalidParam } from '../../core/errors.js';
import { type SubstitutionContext, substitute, substituteCommand } from '../spec/refs.js';
import type { StepSpec } from '../spec/types.js';
import type { ParamValue, StepOutputs } from '../steps/types.js';
import type { Manifest } from './manifest.js';

/** What a command step runs, after `${…}` substitution. */
export interface CommandDefinition {
  cmd: string[];
  env?: Record<string, string>;
  outs?: string[];
  metrics?: string[];
}

/** What a built-in step runs: its name and `with:` after `${…}` substitution. */
export interface BuiltinDefinition {
  uses: string;
  with: Record<string, unknown>;
}

export interface StepCacheKeyInput {
  pipeline: string;
  step: string;
  definition: CommandDefinition | BuiltinDefinition;
  /** The params the step declares (`params:`), name → value. */
  params: Readonly<Record<string, ParamValue>>;
  /** The step's input files (`stepInputs`): workspace deps and upstream outs. */
  inputs: Manifest;
  /** `outputs` of the steps it depends on, by step. */
  upstream?: Readonly<Record<string, StepOutputs>>;
  /** The built-in's `fingerprint()` (a `false` one means: do not cache, so no key at all). */
  fingerprint?: string;
}

/**
 * What a step runs, references resolved: a command step's lines (shell-quoted values), env, outs
 * and metrics paths; a built-in's name and `with:`. The `definition` of its cache key — and what
 * should run, so that the key always describes what ran.
 */
export function stepDefinition(
  step: StepSpec,
  ctx: SubstitutionContext,
): CommandDefinition | BuiltinDefinition {
  const where = `step '${step.name}'`;
  if (step.kind === 'uses')
    return {
      uses: step.uses,
      with: substitute(step.with, ctx, { where: `${where} with` }) as Record<string, unknown>,
    };
  return {
    cmd: substituteCommand(step.cmd, ctx, `${where} cmd`),
    // Environment values are text: a whole-value reference to a number becomes its digits.
    env: Object.fromEntries(
      Object.entries(step.env).map(([k, v]) => {
        const r = substitute(v, ctx, { where: `${where} env.${k}` });
        return [k, r === null ? '' : String(r)];
      }),
    ),
    outs: step.outs,
    metrics: step.metrics,
  };
}

/** Version of the key's layout: bumping it invalidates every cached step at once. */
const KEY_VERSION = 1;

const isFlat = (v: unknown): boolean =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v));

/** JSON with object keys sorted at every level and no whitespace: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  // Lists of scalars or of scalar tuples (the inputs list: thousands of [path, sha256]) have no keys
  // to sort, so the native serialiser gives the canonical text, many times faster.
  if (Array.isArray(value) && value.every((v) => isFlat(v) || (Array.isArray(v) && v.every(isFlat))))
    return JSON.stringify(value);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidParam(`cannot put ${value} in a cache key`, 'value');
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  throw invalidParam(`cannot put a ${typeof value} in a cache key`, 'value');
}

/**
 * The step cache key: sha256 (hex) of the canonical JSON (keys sorted, no whitespace) of
 *
 *     { v: 1, pipeline, step, definition, params, inputs, upstream, fingerprint }
 *
 * In the key:
 * - `pipeline` and `step`: the names (so renaming either misses the cache once; two pipelines
 *   never share results);
 * - `definition`: for a command step its command lines after `${…}` substitution (in order), its
 *   `env:` after substitution, and its out and metrics paths; for a built-in its name (`uses`) and
 *   `with:` after substitution (`stepDefinition` builds either);
 * - `params`: the values of the params the step declares in `params:`; a param used through
 *   `${params.x}` counts through the substituted command or `with:` instead;
 * - `inputs`: every input file as `[path, sha256]`, sorted by path — the workspace deps and the
 *   upstream outs under the step's deps. Content, not where it came from: an upstream step that
 *   re-ran and wrote identical bytes still gives a hit. Directories count through their files;
 * - `upstream`: the `outputs` values of the steps it depends on;
 * - `fingerprint`: what a built-in adds for inputs that are not files (e.g. "labels received so far").
 *
 * Not in the key: timeout, retries, `cache:`, `after:` itself, description, concurrency,
 * triggers; file sizes, mtimes and inodes (only content); params the step neither declares nor
 * references; the worker's own environment (PATH, installed interpreters and libraries) and the
 * time — as in DVC, a step is assumed to depend only on what it declares. Keel's version is not in it either: a
 * built-in whose behaviour changes between releases should say so in its fingerprint.
 */
export function stepCacheKey(input: StepCacheKeyInput): string {
  const inputs = Object.keys(input.inputs)
    .sort()
    .map((p) => [p, input.inputs[p]!.sha256]);
  const doc = {
    v: KEY_VERSION,
    pipeline: input.pipeline,
    step: input.step,
    definition: input.definition,
    params: input.params,
    inputs,
    upstream: input.upstream ?? {},
    fingerprint: input.fingerprint ?? null,
  };
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}
