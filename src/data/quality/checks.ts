/**
 * Evaluating expectations. The profile answers most checks exactly (row_count, schema, not_null,
 * in_range when the observed min/max lie inside, in_set / no_new_categories when the top-k is
 * exact); the rest need one pass over the rows (rows.ts). `planChecks` says which, so callers only
 * read the data when they must.
 */
import type { ColumnProfile, DatasetProfile } from '../../stats/types.js';
import type { CheckName, Expectation, InRangeExpectation } from './expectations.js';
import { num, pct, rangeText } from './format.js';
import { ROW_CHECKS, type RowResults, type RowStats, SAMPLE_SIZE } from './rows.js';

export { isMissing, RowChecker, type RowResults, type RowStats } from './rows.js';

/** Offending values, as Great Expectations reports them (percent of the non-null values). */
export interface CheckDetails {
  unexpectedCount: number;
  unexpectedPercent: number;
  /** Up to five distinct offending values. */
  sample?: unknown[];
}

/** The outcome of one expectation. */
export interface CheckResult {
  check: CheckName;
  column?: string;
  success: boolean;
  /** Human-readable, e.g. "98.2% non-null (17 of 950 null)". */
  observed: string;
  details?: CheckDetails;
}

/** Which expectations need a pass over the rows. */
export interface CheckPlan {
  needsRows: boolean;
  /** Give these to `new RowChecker(plan.rowChecks, columns)`. */
  rowChecks: Expectation[];
}

/** Pass/fail counts over a set of results. */
export interface CheckSummary {
  success: boolean;
  passed: number;
  failed: number;
}

/** A profile either settles a check, or says rows are needed and what to report without them. */
type Verdict = { result: CheckResult } | { fallback: CheckResult };

/**
 * Plans the row pass. With the profile, only checks it cannot settle are planned; without one,
 * every row-level check is (whether the profile settles in_range/in_set depends on its values).
 */
export function planChecks(expectations: readonly Expectation[], profile?: DatasetProfile): CheckPlan {
  const rowChecks = expectations.filter(
    (e) => ROW_CHECKS.has(e.check) && (!profile || 'fallback' in fromProfile(e, profile)),
  );
  return { needsRows: rowChecks.length > 0, rowChecks };
}

/** Evaluates every expectation, from the row results where the row pass ran, else from the profile. */
export function evaluate(
  expectations: readonly Expectation[],
  profile: DatasetProfile,
  rowResults?: RowResults,
): CheckResult[] {
  return expectations.map((exp) => {
    const stats = rowResults?.get(exp);
    if (stats && ROW_CHECKS.has(exp.check)) return fromRows(exp, stats);
    const v = fromProfile(exp, profile);
    return 'result' in v ? v.result : v.fallback;
  });
}

/** Overall success and pass/fail counts. */
export function summarize(results: readonly CheckResult[]): CheckSummary {
  const failed = results.filter((r) => !r.success).length;
  return { success: failed === 0, passed: results.length - failed, failed };
}

/** `unexpected` of `checked` values is within what `mostly` tolerates (the epsilon absorbs 1 - 0.99). */
const within = (unexpected: number, checked: number, mostly: number): boolean =>
  unexpected <= (1 - mostly) * checked + 1e-9;

const required = (mostly: number): string => (mostly < 1 ? `; mostly ≥ ${num(mostly * 100)}% required` : '');

function details(unexpected: number, of: number, sample?: unknown[]): CheckDetails {
  const d: CheckDetails = {
    unexpectedCount: unexpected,
    unexpectedPercent: of === 0 ? 0 : (unexpected / of) * 100,
  };
  if (sample && sample.length > 0) d.sample = sample.slice(0, SAMPLE_SIZE);
  return d;
}

const head = (exp: Expectation): Pick<CheckResult, 'check' | 'column'> =>
  'column' in exp ? { check: exp.check, column: exp.column } : { check: exp.check };

function result(exp: Expectation, success: boolean, observed: string, d?: CheckDetails): CheckResult {
  return d ? { ...head(exp), success, observed, details: d } : { ...head(exp), success, observed };
}

/** Count of failing values, e.g. "12 of 950 values (1.3%) outside [18, 100]". */
const failing = (u: number, n: number, what: string): string => `${u} of ${n} values (${pct(u, n)}) ${what}`;

function fromProfile(exp: Expectation, profile: DatasetProfile): Verdict {
  if (exp.check === 'row_count') {
    const n = profile.rows;
    const ok = (exp.min === undefined || n >= exp.min) && (exp.max === undefined || n <= exp.max);
    return {
      result: result(exp, ok, ok ? `${n} rows` : `${n} rows, expected ${rangeText(exp.min, exp.max)}`),
    };
  }
  if (exp.check === 'schema') return { result: schema(exp, profile) };
  const col = profile.columns.find((c) => c.name === exp.column);
  if (!col) return { result: result(exp, false, `column '${exp.column}' not in the data`) };
  const nonNull = col.count - col.missing;
  if (col.count === 0) return { result: result(exp, true, 'no rows') };
  if (exp.check === 'not_null') {
    const ok = within(col.missing, col.count, exp.mostly);
    const observed = `${pct(nonNull, col.count)} non-null (${col.missing} of ${col.count} null)${required(exp.mostly)}`;
    return { result: result(exp, ok, observed, details(col.missing, col.count)) };
  }
  if (nonNull === 0) return { result: result(exp, true, 'no non-null values') };
  switch (exp.check) {
    case 'in_range':
      return inRange(exp, col, nonNull);
    case 'in_set':
    case 'no_new_categories': {
      const top = col.top;
      if (!top?.exact)
        return { fallback: result(exp, false, 'top categories not exact: needs a pass over the rows') };
      const allowed = new Set((exp.check === 'in_set' ? exp.values : exp.reference).map(String));
      const outside = top.items.filter(([v]) => !allowed.has(v));
      const u = outside.reduce((s, [, c]) => s + c, 0);
      const stats: RowStats = {
        found: true,
        nulls: col.missing,
        checked: nonNull,
        unexpected: u,
        sample: [],
      };
      stats.sample = outside.slice(0, SAMPLE_SIZE).map(([v]) => v);
      return { result: fromRows(exp, stats) };
    }
    default:
      return { fallback: result(exp, false, `not evaluated: ${exp.check} needs a pass over the rows`) };
  }
}

function inRange(exp: InRangeExpectation, col: ColumnProfile, nonNull: number): Verdict {
  const m = col.moments;
  if (!m || m.count === 0) {
    if (col.type === 'categorical' || col.type === 'text')
      return { result: result(exp, false, `column is ${col.type}, not numeric`, details(nonNull, nonNull)) };
    return { fallback: result(exp, false, 'no min/max in the profile: needs a pass over the rows') };
  }
  const range = rangeText(exp.min, exp.max);
  const extremes = `min ${num(m.min)}, max ${num(m.max)}`;
  if ((exp.min === undefined || m.min >= exp.min) && (exp.max === undefined || m.max <= exp.max))
    return {
      result: result(exp, true, `all ${nonNull} values in ${range} (${extremes})`, details(0, nonNull)),
    };
  // Some value is outside: with mostly 1 that already fails, but the count needs the rows.
  const observed = `${extremes} outside ${range}; counting the values outside needs a pass over the rows`;
  return { fallback: result(exp, false, observed) };
}

function schema(exp: Extract<Expectation, { check: 'schema' }>, profile: DatasetProfile): CheckResult {
  const problems: string[] = [];
  const expected = Object.entries(exp.columns);
  for (const [name, type] of expected) {
    const col = profile.columns.find((c) => c.name === name);
    // An integer column satisfies `float`: a batch of whole numbers is still valid float data.
    if (!col) problems.push(`missing column '${name}'`);
    else if (col.type !== type && !(type === 'float' && col.type === 'integer'))
      problems.push(`'${name}' is ${col.type}, expected ${type}`);
  }
  if (exp.exact)
    for (const c of profile.columns)
      if (!Object.hasOwn(exp.columns, c.name)) problems.push(`unexpected column '${c.name}'`);
  if (problems.length > 0) return result(exp, false, problems.join('; '));
  const extra = profile.columns.length - expected.length;
  return result(
    exp,
    true,
    `${expected.length} columns match` + (extra > 0 ? ` (${extra} more not checked)` : ''),
  );
}

/** A result from exact counts (row pass, or an exact top-k). */
function fromRows(exp: Expectation, s: RowStats): CheckResult {
  if (!s.found || !('column' in exp))
    return result(exp, false, `column '${head(exp).column}' not in the data`);
  const n = s.checked;
  const u = s.unexpected;
  if (n === 0) return result(exp, true, 'no non-null values');
  const d = details(u, n, s.sample);
  switch (exp.check) {
    case 'in_range': {
      const range = rangeText(exp.min, exp.max);
      const extremes = s.min === undefined ? '' : ` (min ${num(s.min)}, max ${num(s.max ?? s.min)})`;
      const text = u === 0 ? `all ${n} values in ${range}` : failing(u, n, `outside ${range}`);
      return result(exp, within(u, n, exp.mostly), text + extremes + required(exp.mostly), d);
    }
    case 'in_set': {
      const text = u === 0 ? `all ${n} values in the set` : failing(u, n, 'not in the set');
      return result(exp, within(u, n, exp.mostly), text + required(exp.mostly), d);
    }
    case 'regex': {
      const text =
        u === 0 ? `all ${n} values match /${exp.pattern}/` : failing(u, n, `don't match /${exp.pattern}/`);
      return result(exp, within(u, n, exp.mostly), text + required(exp.mostly), d);
    }
    case 'unique': {
      const text = u === 0 ? `all ${n} values distinct` : failing(u, n, 'repeat an earlier value');
      return result(exp, within(u, n, exp.mostly), text + required(exp.mostly), d);
    }
    case 'no_new_categories': {
      const k = exp.reference.length;
      const text =
        u === 0 ? `no categories outside the ${k} of the reference` : failing(u, n, 'in new categories');
      return result(exp, u === 0, text, d);
    }
    default:
      return result(exp, false, `${exp.check} is not a row check`);
  }
}
