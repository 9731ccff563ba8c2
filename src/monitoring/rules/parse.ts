/**
 * Alert rule expressions: `psi(salary) > 0.25`, `estimated_accuracy drops 5 points vs reference`.
 * Parsing is purely syntactic; validation checks a parsed rule against the model (features, task)
 * when the monitor is created; evaluation reads one window's metrics and says whether it breaches.
 */
import { invalidParam, type KeelError } from '../../core/errors.js';
import type { MetricMap } from '../types.js';
import { METRIC_ALIASES, metricInfo, metricKey, metricProblem, type RuleTarget } from './catalogue.js';

export type { RuleTarget } from './catalogue.js';

export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type RuleTest =
  | { kind: 'compare'; op: CompareOp; value: number }
  | { kind: 'change'; direction: 'drops' | 'rises'; amount: number; unit: 'points' | 'percent' | 'absolute' };
export interface ParsedRule {
  metric: string;
  column: string | null;
  /** Where the metric lives in a window's `MetricMap`. */
  key: string;
  test: RuleTest;
}
/** One window's verdict; `breached` null means no data (neither breaches nor clears). */
export interface RuleEvaluation {
  breached: boolean | null;
  value: number | null;
  threshold: number | null;
}

const OPS: readonly string[] = ['<', '<=', '>', '>=', '==', '!='];
const NEGATED: Record<CompareOp, CompareOp> = {
  '<': '>=',
  '<=': '>',
  '>': '<=',
  '>=': '<',
  '==': '!=',
  '!=': '==',
};
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?/i;
const BARE_COLUMN = /^[A-Za-z0-9_.-]+/;
const UNITS: ReadonlyMap<string, 'points' | 'percent'> = new Map([
  ['points', 'points'],
  ['point', 'points'],
  ['pts', 'points'],
  ['percent', 'percent'],
  ['%', 'percent'],
]);

const fail = (when: string, problem: string): KeelError => invalidParam(`rule '${when}': ${problem}`, 'when');

/** Parses a rule's `when` text; throws INVALID_PARAMETER_VALUE naming what is wrong and where. */
export function parseRule(when: string): ParsedRule {
  let rest = when.trim();
  const seen = (): string =>
    rest === '' ? 'end of rule' : `'${rest.length > 24 ? `${rest.slice(0, 24)}…` : rest}'`;
  const take = (re: RegExp): string | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(m[0].length).trimStart();
    return m ? m[0] : null;
  };
  const number = (after: string): number => {
    const text = take(NUMBER);
    if (text === null) throw fail(when, `expected a number after '${after}', got ${seen()}`);
    const n = Number(text);
    if (!Number.isFinite(n)) throw fail(when, `number '${text}' is out of range`);
    return n;
  };
  if (rest === '') throw fail(when, "empty rule (e.g. 'accuracy < 0.85')");
  const name = take(/^[a-z_][a-z0-9_]*/i)?.toLowerCase();
  if (name === undefined) throw fail(when, `expected a metric name, got ${seen()}`);
  const metric = METRIC_ALIASES.get(name) ?? name;
  let column: string | null = null;
  if (take(/^\(/) !== null) {
    const quote = rest[0];
    if (quote === '`' || quote === '"') {
      const end = rest.indexOf(quote, 1);
      if (end < 0) throw fail(when, `unterminated ${quote}-quoted column name`);
      column = rest.slice(1, end);
      rest = rest.slice(end + 1).trimStart();
    } else column = take(BARE_COLUMN);
    if (!column)
      throw fail(
        when,
        `expected a column name inside ${metric}(…), got ${seen()} (quote unusual names with \`…\`)`,
      );
    if (take(/^\)/) === null) throw fail(when, `expected ')' after column '${column}', got ${seen()}`);
  }
  const key = metricKey(metric, column);
  let test: RuleTest;
  const op = take(/^[<>=!]+/);
  if (op !== null) {
    if (!OPS.includes(op)) throw fail(when, `unknown operator '${op}' (use <, <=, >, >=, == or !=)`);
    const value = number(op);
    test = { kind: 'compare', op: op as CompareOp, value: take(/^%/) === null ? value : value / 100 };
  } else {
    const word = take(/^[a-z]+/i)?.toLowerCase();
    if (word !== 'drops' && word !== 'rises') {
      const got = word === undefined ? seen() : `'${word}'`;
      throw fail(
        when,
        `expected an operator (<, <=, >, >=, ==, !=) or 'drops'/'rises' after '${key}', got ${got}`,
      );
    }
    const amount = number(word);
    if (amount <= 0) throw fail(when, `the change must be a positive number, got ${amount}`);
    const unitWord = (take(/^%/) ?? take(/^(points?|pts|percent)(?![a-z])/i))?.toLowerCase();
    const unit = UNITS.get(unitWord ?? '') ?? 'absolute';
    if (take(/^vs(?![a-z])/i) === null || take(/^reference(?![a-z0-9_])/i) === null) {
      throw fail(
        when,
        `expected 'vs reference' after '${word} ${amount}${unitWord ? ` ${unitWord}` : ''}', got ${seen()}`,
      );
    }
    test = { kind: 'change', direction: word, amount, unit };
  }
  if (rest !== '') throw fail(when, `unexpected ${seen()} after the rule`);
  return { metric, column, key, test };
}

/** Checks a parsed rule against the model it watches, so a typo fails at creation, not silently. */
export function validateRule(parsed: ParsedRule, target: RuleTarget, when: string): void {
  const problem = metricProblem(parsed.metric, parsed.column, target);
  if (problem !== null) throw fail(when, problem);
  const { test, metric } = parsed;
  if (test.kind === 'change' && test.unit === 'points' && !metricInfo(metric, parsed.column !== null)?.rate) {
    throw fail(
      when,
      `'points' (percentage points) only apply to rates in [0, 1]; use an absolute amount or % for ${metric}`,
    );
  }
}

/** Evaluates a rule on one window; null `breached` when the value (or reference) is missing. */
export function evaluateRule(parsed: ParsedRule, metrics: MetricMap, reference: MetricMap): RuleEvaluation {
  const { test, key } = parsed;
  const value = numberOrNull(metrics[key]);
  if (test.kind === 'compare') {
    return {
      breached: value === null ? null : compare(value, test.op, test.value),
      value,
      threshold: test.value,
    };
  }
  const ref = numberOrNull(reference[key]);
  let threshold: number | null = null;
  if (ref !== null) {
    const delta =
      test.unit === 'points'
        ? test.amount / 100
        : test.unit === 'percent'
          ? (Math.abs(ref) * test.amount) / 100
          : test.amount;
    // Rounded so that 0.90 − 0.05 is 0.85, not 0.8500000000000001, at the boundary and in messages.
    threshold = Number((test.direction === 'drops' ? ref - delta : ref + delta).toPrecision(12));
  }
  if (value === null || threshold === null) return { breached: null, value, threshold };
  return { breached: compare(value, breachOp(test), threshold), value, threshold };
}

/** Which values are worse for this rule: an episode's worst value is its most extreme that way. */
export function worseDirection(parsed: ParsedRule): 'low' | 'high' {
  const { test } = parsed;
  if (test.kind === 'change') return test.direction === 'drops' ? 'low' : 'high';
  if (test.op === '<' || test.op === '<=') return 'low';
  if (test.op === '>' || test.op === '>=') return 'high';
  return metricInfo(parsed.metric, parsed.column !== null)?.higherIsBetter ? 'low' : 'high';
}

/** The canonical text of a rule; parsing it gives the same rule back. */
export function describeRule(parsed: ParsedRule): string {
  const { metric, column, test } = parsed;
  const head = column === null ? metric : `${metric}(${quoteColumn(column)})`;
  return `${head} ${test.kind === 'compare' ? `${test.op} ${test.value}` : changeText(test)}`;
}

const changeText = (test: Extract<RuleTest, { kind: 'change' }>): string => {
  const unit = test.unit === 'points' ? ' points' : test.unit === 'percent' ? '%' : '';
  return `${test.direction} ${test.amount}${unit} vs reference`;
};

/** The one-line message of an alert: what the value is, against what, on which route. */
export function ruleMessage(
  name: string,
  parsed: ParsedRule,
  value: number | null,
  threshold: number | null,
  route: string,
): string {
  const prefix = namesRule(name, parsed) ? '' : `${name}: `;
  const { key, test } = parsed;
  if (value === null) return `${prefix}${key}: no data on ${route}`;
  if (threshold === null) return `${prefix}${key} = ${formatNumber(value)} (no reference value) on ${route}`;
  let digits = 3;
  while (
    digits < 12 &&
    value !== threshold &&
    formatNumber(value, digits) === formatNumber(threshold, digits)
  )
    digits++;
  // The relation that actually holds, so a resolve message reads true too.
  const op = compare(value, breachOp(test), threshold) ? breachOp(test) : NEGATED[breachOp(test)];
  const change = test.kind === 'change' ? ` (${changeText(test)})` : '';
  return `${prefix}${key} = ${formatNumber(value, digits)} ${op} ${formatNumber(threshold, digits)}${change} on ${route}`;
}

/** Whether a rule's name is just its expression (the default), so messages need not repeat it. */
function namesRule(name: string, parsed: ParsedRule): boolean {
  try {
    return describeRule(parseRule(name)) === describeRule(parsed);
  } catch {
    return false;
  }
}

/** The comparison with the threshold that means a breach. */
const breachOp = (test: RuleTest): CompareOp =>
  test.kind === 'compare' ? test.op : test.direction === 'drops' ? '<=' : '>=';

function compare(a: number, op: CompareOp, b: number): boolean {
  if (op === '<') return a < b;
  if (op === '<=') return a <= b;
  if (op === '>') return a > b;
  if (op === '>=') return a >= b;
  return op === '==' ? a === b : a !== b;
}

const numberOrNull = (x: unknown): number | null => (typeof x === 'number' && !Number.isNaN(x) ? x : null);

const formatNumber = (x: number, digits = 3): string =>
  Number.isInteger(x)
    ? String(x)
    : String(Number(Math.abs(x) >= 100 ? x.toFixed(digits - 2) : x.toPrecision(digits)));

const quoteColumn = (c: string): string =>
  BARE_COLUMN.exec(c)?.[0] === c ? c : c.includes('`') ? `"${c}"` : `\`${c}\``;
