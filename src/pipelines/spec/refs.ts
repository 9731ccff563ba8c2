/**
 * `${…}` references in `cmd`, `env` and `with:`: `${params.<name>}`, `${steps.<step>.outputs.<key>}`
 * and `${trigger.<key>}`. Any other `${…}` (a shell variable such as `${HOME}`) is left as written.
 */
import { invalidParam } from '../../core/errors.js';
import type { ParamValue, StepOutputs } from '../steps/types.js';

export type Ref =
  | { kind: 'params'; name: string; text: string }
  | { kind: 'steps'; step: string; key: string; text: string }
  | { kind: 'trigger'; key: string; text: string };

/** A `${params.…}`-looking reference that does not follow the grammar. */
export class RefSyntaxError extends Error {}

export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Starts with a letter, so no step name is an integer-like object key (which JSON would reorder). */
export const STEP_NAME = /^[a-z][a-z0-9_-]*$/;
const OUTPUT_KEY = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

const REF = /\$\{\s*(params|steps|trigger)\.([^}]*)\}/g;
const WHOLE = /^\$\{\s*(params|steps|trigger)\.([^}]*)\}$/;

function toRef(root: string, rest: string, text: string): Ref {
  const parts = rest.trim().split('.');
  if (root === 'params' && parts.length === 1 && PARAM_NAME.test(parts[0]!))
    return { kind: 'params', name: parts[0]!, text };
  if (
    root === 'steps' &&
    parts.length === 3 &&
    STEP_NAME.test(parts[0]!) &&
    parts[1] === 'outputs' &&
    OUTPUT_KEY.test(parts[2]!)
  )
    return { kind: 'steps', step: parts[0]!, key: parts[2]!, text };
  if (root === 'trigger' && parts.length === 1 && PARAM_NAME.test(parts[0]!))
    return { kind: 'trigger', key: parts[0]!, text };
  const shape = { params: 'params.<name>', steps: 'steps.<step>.outputs.<key>', trigger: 'trigger.<key>' };
  throw new RefSyntaxError(`bad reference '${text}': expected \${${shape[root as keyof typeof shape]}}`);
}

/** The references in one string, in order; throws RefSyntaxError on a malformed one. */
export function scanRefs(s: string): Ref[] {
  return [...s.matchAll(REF)].map((m) => toRef(m[1]!, m[2]!, m[0]));
}

/** Calls `visit` on every string inside a JSON-like value (object keys excluded) with its path. */
export function visitStrings(
  value: unknown,
  path: readonly (string | number)[],
  visit: (s: string, path: readonly (string | number)[]) => void,
): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) visitStrings(v, [...path, i], visit);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) visitStrings(v, [...path, k], visit);
}

/** What references resolve against when a step runs. */
export interface SubstitutionContext {
  params: Readonly<Record<string, ParamValue>>;
  /** Outputs of the steps that finished, by step name. */
  steps: Readonly<Record<string, StepOutputs>>;
  /** What the trigger that started the run carried (absent for a manual run). */
  trigger?: Readonly<Record<string, ParamValue>>;
}

export interface SubstituteOptions {
  /** Names the value in errors, e.g. `step 'train' with`. */
  where?: string;
  /** Shell-quote every substituted value that is not a plain word (for `cmd` lines). */
  shell?: boolean;
}

function lookup(ref: Ref, ctx: SubstitutionContext, where: string): ParamValue {
  const fail = (why: string) => invalidParam(`${where}: ${ref.text} cannot be resolved: ${why}`, where);
  if (ref.kind === 'params') {
    if (!Object.hasOwn(ctx.params, ref.name)) throw fail(`no param '${ref.name}'`);
    return ctx.params[ref.name]!;
  }
  if (ref.kind === 'trigger') {
    if (!ctx.trigger) throw fail('this run was not started by a trigger');
    if (!Object.hasOwn(ctx.trigger, ref.key)) {
      const has = Object.keys(ctx.trigger).sort().join(', ') || 'nothing';
      throw fail(`the trigger carries no '${ref.key}' (it has: ${has})`);
    }
    return ctx.trigger[ref.key]!;
  }
  const outputs = Object.hasOwn(ctx.steps, ref.step) ? ctx.steps[ref.step] : undefined;
  if (!outputs) throw fail(`step '${ref.step}' has not produced outputs`);
  if (!Object.hasOwn(outputs, ref.key)) {
    const has = Object.keys(outputs).sort().join(', ') || 'none';
    throw fail(`step '${ref.step}' has no output '${ref.key}' (its outputs: ${has})`);
  }
  return outputs[ref.key]!;
}

// Characters a POSIX shell never treats specially inside a word.
const SHELL_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** A value as one shell word: as is when plain, else single-quoted. */
export const shellQuote = (s: string): string => (SHELL_WORD.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** Embedded values become text; null becomes the empty string. */
const text = (v: ParamValue): string => (v === null ? '' : String(v));

function substituteString(s: string, ctx: SubstitutionContext, where: string, shell: boolean): unknown {
  const whole = shell ? null : WHOLE.exec(s);
  const refs = (): Ref[] => {
    try {
      return scanRefs(s);
    } catch (e) {
      throw invalidParam(`${where}: ${(e as Error).message}`, where);
    }
  };
  // A value that is exactly one reference keeps the referenced value's type (a number stays a number).
  if (whole) return lookup(refs()[0]!, ctx, where);
  if (!s.includes('${')) return s;
  refs();
  return s.replace(REF, (m, root: string, rest: string) => {
    const v = text(lookup(toRef(root, rest, m), ctx, where));
    return shell ? shellQuote(v) : v;
  });
}

/**
 * Resolves every reference in a string, array or object (`with:`, `env`, a `cmd` line); other
 * values are returned as they are. An unresolvable reference throws INVALID_PARAMETER_VALUE naming
 * it and where it was. Objects and arrays are copied, never changed in place.
 */
export function substitute(value: unknown, ctx: SubstitutionContext, opts: SubstituteOptions = {}): unknown {
  const where = opts.where ?? 'value';
  const shell = opts.shell ?? false;
  if (typeof value === 'string') return substituteString(value, ctx, where, shell);
  if (Array.isArray(value))
    return value.map((v, i) => substitute(v, ctx, { where: `${where}[${i}]`, shell }));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substitute(v, ctx, { where: `${where}.${k}`, shell })]),
    );
  return value;
}

/** `cmd` lines with every reference resolved and shell-quoted when it is not a plain word. */
export const substituteCommand = (
  cmd: readonly string[],
  ctx: SubstitutionContext,
  where = 'cmd',
): string[] => cmd.map((line, i) => substituteString(line, ctx, `${where}[${i}]`, true) as string);
