/** Typing of declared params and of `--param k=v` overrides. */
import { invalidParam } from '../../core/errors.js';
import type { ParamValue } from '../steps/types.js';
import type { ParamDecl, ParamType } from './types.js';

type Scalar = Exclude<ParamValue, null>;

const describeType: Record<ParamType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean (true or false)',
};
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** The typed value of `text` for a param of `type`, or undefined when it does not parse as one. */
export function parseAs(type: ParamType, text: string): Scalar | undefined {
  const t = text.trim();
  switch (type) {
    case 'string':
      return text;
    case 'boolean':
      return t === 'true' ? true : t === 'false' ? false : undefined;
    case 'integer': {
      const n = Number(t);
      return INTEGER.test(t) && Number.isSafeInteger(n) ? n : undefined;
    }
    case 'number': {
      const n = Number(t);
      return NUMBER.test(t) && Number.isFinite(n) ? n : undefined;
    }
  }
}

/** True when `v` already has `type` (a value from JSON rather than text). */
export function hasType(type: ParamType, v: unknown): v is Scalar {
  if (type === 'string') return typeof v === 'string';
  if (type === 'boolean') return typeof v === 'boolean';
  if (type === 'integer') return typeof v === 'number' && Number.isSafeInteger(v);
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * A value for `decl`: one already of its type, or text parsed as its type; it must be one of the
 * enum when there is one. `source` names where the value came from in errors (`--param trees=abc`).
 */
export function coerceParam(decl: ParamDecl, value: unknown, source: string): Scalar {
  let v: Scalar | undefined;
  if (hasType(decl.type, value)) v = value;
  else if (typeof value === 'string') v = parseAs(decl.type, value);
  // A JSON integer is a fine number; a whole float (3.0) is a fine integer.
  else if (decl.type === 'number' && typeof value === 'number' && Number.isFinite(value)) v = value;
  if (v === undefined)
    throw invalidParam(
      `${source}: param '${decl.name}' is ${describeType[decl.type]} (default ${JSON.stringify(decl.default)}), ` +
        `got ${JSON.stringify(value)}`,
      decl.name,
    );
  if (decl.enum && !decl.enum.includes(v))
    throw invalidParam(
      `${source}: param '${decl.name}' must be one of ${decl.enum.map((e) => JSON.stringify(e)).join(', ')}, ` +
        `got ${JSON.stringify(v)}`,
      decl.name,
    );
  return v;
}

function unknownParam(name: string, source: string, declared: Readonly<Record<string, ParamDecl>>) {
  const names = Object.keys(declared).sort();
  return invalidParam(
    `${source}: unknown param '${name}' (${names.length ? `declared: ${names.join(', ')}` : 'the pipeline declares no params'})`,
    name,
  );
}

/**
 * `--param k=v` arguments as typed values of the declared params they name. Each must name a
 * declared param, once, with a value of its type (and in its enum).
 */
export function parseParamArgs(
  args: readonly string[],
  declared: Readonly<Record<string, ParamDecl>>,
): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const source = `--param ${arg}`;
    if (eq <= 0) throw invalidParam(`${source}: expected name=value`, 'param');
    const name = arg.slice(0, eq).trim();
    const decl = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (!decl) throw unknownParam(name, source, declared);
    if (Object.hasOwn(out, name)) throw invalidParam(`${source}: param '${name}' is given twice`, name);
    out[name] = coerceParam(decl, arg.slice(eq + 1), source);
  }
  return out;
}

/**
 * Every declared param's value for a run: `given` (typed values or text, e.g. from the API or a
 * trigger) over the defaults. Unknown names are refused.
 */
export function resolveParams(
  declared: Readonly<Record<string, ParamDecl>>,
  given: Readonly<Record<string, unknown>> = {},
  source = 'params',
): Record<string, Scalar> {
  for (const name of Object.keys(given))
    if (!Object.hasOwn(declared, name)) throw unknownParam(name, source, declared);
  const out: Record<string, Scalar> = {};
  for (const [name, decl] of Object.entries(declared))
    out[name] = Object.hasOwn(given, name) ? coerceParam(decl, given[name], source) : decl.default;
  return out;
}
