/**
 * Parsing a built-in's `with:` arguments. Errors name the field as `with.<field>`. When the
 * pipeline is applied, values still holding `${params…}`/`${steps…}`/`${trigger…}` references
 * cannot be typed yet: such a field is only checked to be a known one, and is checked again
 * once the runner has substituted it.
 */
import { z } from 'zod';
import { invalidParam, KeelError } from '../../../core/errors.js';

const REFERENCE = /\$\{\s*(params|steps|trigger)\./;

/** Whether a value (or anything inside it) still holds a reference. */
export function holdsReference(v: unknown): boolean {
  if (typeof v === 'string') return REFERENCE.test(v);
  if (Array.isArray(v)) return v.some(holdsReference);
  if (v !== null && typeof v === 'object') return Object.values(v).some(holdsReference);
  return false;
}

/** `with.a.b[0]`. */
const fieldName = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${String(p)}`), 'with');

const shown = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
};

export interface Parsed<T> {
  value: T;
  /** Fields left unchecked because they still hold references (empty once resolved). */
  pending: ReadonlySet<string>;
}

/**
 * Parses `with:` by a strict zod object. A null value counts as absent (a `${params.x}` whose
 * param is null means "not given"). Unresolved, fields holding references pass unchecked.
 */
export function parseWith<S extends z.ZodObject>(
  uses: string,
  schema: S,
  input: Record<string, unknown>,
  opts: { resolved: boolean },
): Parsed<z.output<S>> {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw invalidParam(`${uses}: with must be a mapping of arguments`, 'with');
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));
  const pending = new Set<string>();
  let effective: z.ZodObject = schema;
  if (!opts.resolved) {
    const shape = schema.shape as Record<string, z.ZodType>;
    const loose: Record<string, z.ZodType> = {};
    for (const [k, v] of Object.entries(given)) {
      if (Object.hasOwn(shape, k) && holdsReference(v)) {
        pending.add(k);
        loose[k] = z.unknown();
      }
    }
    if (pending.size > 0) effective = schema.extend(loose);
  }
  const r = effective.safeParse(given);
  if (r.success) return { value: r.data as z.output<S>, pending };
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known = Object.keys(schema.shape).join(', ');
    throw invalidParam(
      `${uses}: with.${key} is not an argument of ${uses} (arguments: ${known})`,
      `with.${key}`,
    );
  }
  const field = fieldName(issue.path);
  let value: unknown = given;
  for (const p of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p];
  if (value === undefined) throw invalidParam(`${uses}: ${field} is required`, field);
  throw invalidParam(`${uses}: ${field} ${shown(value)} is invalid: ${issue.message}`, field);
}

/** Rethrows a KeelError about an option as one naming `with.<field>`. */
export function asWithError(uses: string, field: string, e: unknown): unknown {
  if (e instanceof KeelError && e.code === 'INVALID_PARAMETER_VALUE')
    return invalidParam(`${uses}: with.${field}: ${e.message}`, `with.${field}`);
  return e;
}

/** A non-empty string (a name or a ref). */
export const text = z.string().trim().min(1, 'must not be empty');

/** An integer, or its decimal text (a substituted param may arrive as either). */
export const integer = z.union(
  [
    z.int(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number)
      .pipe(z.int()),
  ],
  { error: 'must be an integer' },
);

/** A boolean, or `true`/`false` text. */
export const boolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
  error: 'must be true or false',
});

/** A list of names: a YAML list or comma-separated text. */
export const names = z.union(
  [
    z.array(text).min(1, 'must name at least one'),
    text.transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    ),
  ],
  { error: 'must be a list of names or comma-separated text' },
);
