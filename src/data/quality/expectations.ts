/**
 * The expectations file: a YAML list of declarative data-quality checks (in the spirit of Great
 * Expectations and SageMaker Model Monitor's constraints). Parsed with `yaml` so every error can
 * point at a line, validated with zod; fields are strict so a typo (`mosty:`) is an error rather
 * than a silently ignored setting.
 */
import { readFile } from 'node:fs/promises';
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { invalidParam } from '../../core/errors.js';
import type { ColumnType } from '../../stats/types.js';

const COLUMN_TYPES = [
  'integer',
  'float',
  'boolean',
  'categorical',
  'datetime',
  'text',
] as const satisfies readonly ColumnType[];

const column = z.string().min(1);
/** Fraction of the (non-null) values that must satisfy the check; 1.0 means all of them. */
const mostly = z.number().min(0).max(1).default(1);
const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: 'expected a string, number or boolean',
});

type Ctx = z.core.$RefinementCtx;
/** row_count and in_range need at least one bound, and the bounds must be ordered. */
function bounds(e: { min?: number | undefined; max?: number | undefined }, ctx: Ctx): void {
  if (e.min === undefined && e.max === undefined)
    ctx.addIssue({ code: 'custom', path: [], message: "needs 'min' or 'max'" });
  else if (e.min !== undefined && e.max !== undefined && e.min > e.max)
    ctx.addIssue({ code: 'custom', path: ['max'], message: `max ${e.max} is below min ${e.min}` });
}

const RowCount = z
  .strictObject({
    check: z.literal('row_count'),
    min: z.int().min(0).optional(),
    max: z.int().min(0).optional(),
  })
  .superRefine(bounds);
const Schema = z.strictObject({
  check: z.literal('schema'),
  columns: z.record(z.string().min(1), z.enum(COLUMN_TYPES)),
  /** Extra columns in the data fail the check. */
  exact: z.boolean().default(false),
});
const NotNull = z.strictObject({ check: z.literal('not_null'), column, mostly });
const InRange = z
  .strictObject({
    check: z.literal('in_range'),
    column,
    min: z.number().optional(),
    max: z.number().optional(),
    mostly,
  })
  .superRefine(bounds);
const InSet = z.strictObject({ check: z.literal('in_set'), column, values: z.array(scalar).min(1), mostly });
const Unique = z.strictObject({ check: z.literal('unique'), column, mostly });
const Regex = z
  .strictObject({ check: z.literal('regex'), column, pattern: z.string(), mostly })
  .superRefine((e, ctx) => {
    try {
      new RegExp(e.pattern);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: (err as Error).message });
    }
  });
const NoNewCategories = z.strictObject({
  check: z.literal('no_new_categories'),
  column,
  reference: z.array(scalar),
});

const SCHEMAS = {
  row_count: RowCount,
  schema: Schema,
  not_null: NotNull,
  in_range: InRange,
  in_set: InSet,
  unique: Unique,
  regex: Regex,
  no_new_categories: NoNewCategories,
} as const;

export type RowCountExpectation = z.infer<typeof RowCount>;
export type SchemaExpectation = z.infer<typeof Schema>;
export type NotNullExpectation = z.infer<typeof NotNull>;
export type InRangeExpectation = z.infer<typeof InRange>;
export type InSetExpectation = z.infer<typeof InSet>;
export type UniqueExpectation = z.infer<typeof Unique>;
export type RegexExpectation = z.infer<typeof Regex>;
export type NoNewCategoriesExpectation = z.infer<typeof NoNewCategories>;
/** One parsed check, defaults applied (`mostly` 1, `exact` false). */
export type Expectation =
  | RowCountExpectation
  | SchemaExpectation
  | NotNullExpectation
  | InRangeExpectation
  | InSetExpectation
  | UniqueExpectation
  | RegexExpectation
  | NoNewCategoriesExpectation;
/** The check names an expectations file may use. */
export type CheckName = Expectation['check'];
/** Every known check name, in documentation order. */
export const CHECK_NAMES = Object.keys(SCHEMAS) as CheckName[];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `['expectations', 2, 'values', 1]` → `expectations[2].values[1]`. */
const fieldName = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

/** Locates parsed YAML nodes so validation errors can name a line. */
class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Line of the deepest existing node on `path` (or of the key `key` inside it). */
  line(path: readonly PropertyKey[], key?: string): number {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n) as unknown[], true);
      if (!isNode(node) || !node.range) continue;
      let offset = node.range[0];
      if (key !== undefined && n === path.length && isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
        if (pair && isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      }
      return this.lines.linePos(offset).line;
    }
    return 1;
  }
}

/** Parses an expectations file's text; every error names the file, the line and the offending check/field. */
export function parseExpectations(text: string, file: string): Expectation[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lines.linePos(syntax.pos[0]).line;
    throw invalidParam(`${file}:${line}: invalid YAML: ${syntax.message}`, 'expectations');
  }
  const at = new Locator(doc, lines);
  const root: unknown = doc.toJS();
  if (!isRecord(root) || !Array.isArray(root['expectations']))
    throw invalidParam(`${file}:${at.line([])}: expected a top-level 'expectations:' list`, 'expectations');
  const extra = Object.keys(root).find((k) => k !== 'expectations');
  if (extra !== undefined)
    throw invalidParam(`${file}:${at.line([], extra)}: unknown top-level field '${extra}'`, extra);
  return root['expectations'].map((item, i) => parseOne(item, i, file, at));
}

function parseOne(item: unknown, i: number, file: string, at: Locator): Expectation {
  const where = ['expectations', i];
  const name = isRecord(item) ? item['check'] : undefined;
  if (typeof name !== 'string')
    throw invalidParam(
      `${file}:${at.line(where)}: expectations[${i}]: each item needs a 'check' name`,
      fieldName([...where, 'check']),
    );
  if (!Object.hasOwn(SCHEMAS, name))
    throw invalidParam(
      `${file}:${at.line(where, 'check')}: expectations[${i}]: unknown check '${name}' ` +
        `(known: ${CHECK_NAMES.join(', ')})`,
      fieldName([...where, 'check']),
    );
  const parsed = SCHEMAS[name as CheckName].safeParse(item);
  if (parsed.success) return parsed.data as Expectation;
  const issue = parsed.error.issues[0]!;
  const path = [...where, ...issue.path];
  let line: number;
  let field: readonly PropertyKey[];
  let problem: string;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    line = at.line(path, key);
    field = [...path, key];
    problem = `unknown field '${key}'`;
  } else if (issue.path.length > 0 && valueAt(item, issue.path) === undefined) {
    line = at.line(path);
    field = path;
    problem = `missing field '${fieldName(issue.path)}'`;
  } else {
    line = at.line(path);
    field = path;
    problem = issue.path.length > 0 ? `field '${fieldName(issue.path)}': ${issue.message}` : issue.message;
  }
  throw invalidParam(`${file}:${line}: check '${name}' (expectations[${i}]): ${problem}`, fieldName(field));
}

const valueAt = (v: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? Reflect.get(o, k) : undefined), v);

/** Reads and parses an expectations file. */
export async function readExpectations(file: string): Promise<Expectation[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw invalidParam(
      `${file}: cannot read the expectations file (${(err as Error).message})`,
      'expectations',
    );
  }
  return parseExpectations(text, file);
}
