/**
 * `uses: data.check`: evaluates expectations on a dataset version like `keel data check`. A failing
 * check fails the step, its failures named in the error and the step log; checks marked
 * `severity: warning` only fail it with `fail_on: warning`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { invalidParam, KeelError } from '../../../core/errors.js';
import type { CheckResult } from '../../../data/quality/checks.js';
import { type Expectation, parseExpectations, readExpectations } from '../../../data/quality/expectations.js';
import { formatCheckReport } from '../../../data/quality/report.js';
import type { Builtin } from '../types.js';
import { checkDataset } from './check-dataset.js';
import { parseWith, text } from './with.js';

const SEVERITIES = ['error', 'warning'] as const;
type Severity = (typeof SEVERITIES)[number];

const Schema = z.strictObject({
  data: text,
  /** An expectations file (`keel data check --expect`), relative to the working directory. */
  expect: text.optional(),
  /** The same list inline; an item may add `severity: warning`. */
  expectations: z.array(z.record(z.string(), z.unknown()), { error: 'must be a list of checks' }).optional(),
  fail_on: z.enum(SEVERITIES, { error: 'must be error or warning' }).optional(),
});

export type DataCheckWith = {
  data: string;
  expect?: string | undefined;
  expectations?: Record<string, unknown>[] | undefined;
  /** `error` (default): failing error checks fail the step; `warning`: failing warnings do too. */
  fail_on?: Severity | undefined;
};

interface Check {
  expectation: Expectation;
  severity: Severity;
}

const INLINE = 'with.expectations';

/** Inline checks: `severity` taken off, the rest parsed exactly as an expectations file is. */
function inlineChecks(items: Record<string, unknown>[]): Check[] {
  const severities: Severity[] = [];
  const stripped = items.map((item, i) => {
    const { severity = 'error', ...rest } = item;
    if (!SEVERITIES.includes(severity as Severity))
      throw invalidParam(
        `data.check: ${INLINE}[${i}].severity must be error or warning, got ${JSON.stringify(severity)}`,
        `${INLINE}[${i}].severity`,
      );
    severities.push(severity as Severity);
    return rest;
  });
  let parsed: Expectation[];
  try {
    parsed = parseExpectations(stringify({ expectations: stripped }), INLINE);
  } catch (e) {
    if (!(e instanceof KeelError)) throw e;
    // The YAML was generated from the list: its line numbers mean nothing to the user.
    const message = e.message.replace(/^with\.expectations:\d+: /, '');
    const field = String(e.details?.['field'] ?? 'expectations');
    throw invalidParam(`data.check: ${INLINE}: ${message}`, `with.${field}`);
  }
  return parsed.map((expectation, i) => ({ expectation, severity: severities[i]! }));
}

async function checksOf(w: DataCheckWith, workDir: string): Promise<Check[]> {
  if (w.expectations) return inlineChecks(w.expectations);
  // Relative to the step's work dir, where its deps are: declare the file in the step's `deps`.
  const file = path.resolve(workDir, w.expect!);
  try {
    return (await readExpectations(file)).map((expectation) => ({ expectation, severity: 'error' }));
  } catch (e) {
    if (e instanceof KeelError) throw invalidParam(`data.check: with.expect: ${e.message}`, 'with.expect');
    throw e;
  }
}

const label = (r: CheckResult): string => (r.column === undefined ? r.check : `${r.check} ${r.column}`);

export const dataCheckStep: Builtin<DataCheckWith> = {
  name: 'data.check',
  description: 'Check a dataset version against expectations; failing checks fail the step',

  parse(withArgs, opts) {
    const { value, pending } = parseWith('data.check', Schema, withArgs, opts);
    const given = (k: 'expect' | 'expectations') => value[k] !== undefined || pending.has(k);
    if (given('expect') === given('expectations'))
      throw invalidParam(
        'data.check: give exactly one of with.expect (an expectations file) or with.expectations (a list of checks)',
        given('expect') ? 'with.expectations' : 'with.expect',
      );
    if (value.expectations && !pending.has('expectations')) inlineChecks(value.expectations);
    return value as DataCheckWith;
  },

  async fingerprint(b) {
    // The version a ref names and the expectations file's content are not part of `with`.
    const v = await b.keel.datasets.get(b.with.data);
    const file = b.with.expect
      ? createHash('sha256')
          .update(await readFile(path.resolve(b.workDir, b.with.expect)).catch(() => Buffer.alloc(0)))
          .digest('hex')
      : '';
    return `data:${v.contentHash};expect:${file}`;
  },

  async run(b) {
    const w = b.with;
    const checks = await checksOf(w, b.workDir);
    const { version, results } = await checkDataset(
      b.keel,
      w.data,
      checks.map((c) => c.expectation),
    );
    for (const line of formatCheckReport(results, { color: false }).trimEnd().split('\n')) b.log(line);
    const failing = results.flatMap((r, i) => (r.success ? [] : [{ r, severity: checks[i]!.severity }]));
    const warnings = failing.filter((f) => f.severity === 'warning').length;
    const failOn = w.fail_on ?? 'error';
    const fatal = failing.filter((f) => f.severity === 'error' || failOn === 'warning');
    if (fatal.length > 0) {
      const list = fatal.map(
        ({ r, severity }) => `${label(r)}${severity === 'warning' ? ' (warning)' : ''}: ${r.observed}`,
      );
      throw new KeelError(
        'INVALID_STATE',
        `${fatal.length} of ${results.length} checks failed on ${version.ref}: ${list.join('; ')}`,
      );
    }
    const failed = failing.length;
    return {
      outputs: {
        data: version.ref,
        passed: results.length - failed,
        failed,
        warnings,
        checks: results.length,
      },
      metrics: { checks_passed: results.length - failed, checks_failed: failed },
    };
  },
};
