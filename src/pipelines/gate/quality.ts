/**
 * The data checks of a gate. Keel keeps no expectations with a dataset, so they come from two
 * places: expectations suggested from the candidate's training profile (the held-out rows must look
 * like what the model learned from), and expectations the policy lists (both the held-out and the
 * training data must meet them). Each becomes one gate check listing the expectations that failed.
 */
import { invalidParam } from '../../core/errors.js';
import { type CheckResult, evaluate, planChecks, RowChecker } from '../../data/quality/checks.js';
import { type Expectation, parseExpectations } from '../../data/quality/expectations.js';
import { suggestExpectations } from '../../data/quality/suggest.js';
import type { Table } from '../../data/table.js';
import type { DatasetVersion } from '../../data/versions.js';
import type { GatePolicy } from './policy.js';
import type { GateCheck } from './types.js';

/** A dataset version with a way to read its rows, only called when a check needs them. */
export interface CheckedData {
  version: DatasetVersion;
  table: () => Promise<Table>;
}

/** Failing expectations spelled out in a check's reason; the rest are counted. */
const SHOWN_FAILURES = 5;

/** The data checks `dq` asks for on the held-out data and the training data (null: not recorded). */
export async function qualityChecks(
  dq: Exclude<GatePolicy['data_quality'], false>,
  heldOut: CheckedData,
  training: CheckedData | null,
): Promise<GateCheck[]> {
  const checks: GateCheck[] = [];
  if (dq.suggested) {
    const name = `data quality: ${heldOut.version.ref} like the training data`;
    const t = training?.version;
    if (!t?.profile || !t.schema) {
      checks.push({
        ...base(name),
        passed: true,
        skipped: true,
        reason: t
          ? `the training dataset ${t.ref} has no profile to suggest expectations from`
          : 'the candidate records no training dataset to suggest expectations from',
      });
    } else {
      // A held-out split is smaller than the training data by design: its row count proves nothing.
      const suggested = parseExpectations(
        suggestExpectations(t.profile, t.schema),
        `suggested from ${t.ref}`,
      ).filter((e) => e.check !== 'row_count');
      checks.push(
        await expectationCheck(`data quality: ${heldOut.version.ref} like ${t.ref}`, suggested, heldOut),
      );
    }
  }
  if (dq.expectations.length > 0) {
    checks.push(await expectationCheck(`data quality: ${heldOut.version.ref}`, dq.expectations, heldOut));
    if (training)
      checks.push(
        await expectationCheck(`data quality: ${training.version.ref} (training)`, dq.expectations, training),
      );
  }
  return checks;
}

const base = (name: string) => ({
  name,
  kind: 'data_quality' as const,
  value: null,
  champion: null,
  threshold: 0,
  bound: 'max' as const,
});

async function expectationCheck(name: string, exps: Expectation[], data: CheckedData): Promise<GateCheck> {
  const results = await runExpectations(exps, data);
  const failures = results.filter((r) => !r.success);
  const shown = failures.slice(0, SHOWN_FAILURES).map(describe);
  const more = failures.length > SHOWN_FAILURES ? `; and ${failures.length - SHOWN_FAILURES} more` : '';
  return {
    ...base(name),
    value: failures.length,
    passed: failures.length === 0,
    skipped: false,
    reason:
      failures.length === 0
        ? `all ${results.length} expectations met on ${data.version.ref}`
        : `${failures.length} of ${results.length} expectations failed on ${data.version.ref}: ${shown.join('; ')}${more}`,
    ...(failures.length > 0 ? { failures } : {}),
  };
}

const describe = (r: CheckResult): string =>
  `${r.check}${r.column === undefined ? '' : ` ${r.column}`} (${r.observed})`;

/** Evaluates expectations from the stored profile, reading the rows only for checks it cannot settle. */
async function runExpectations(exps: Expectation[], data: CheckedData): Promise<CheckResult[]> {
  const profile = data.version.profile;
  if (!profile)
    throw invalidParam(
      `${data.version.ref} has no profile: its data quality cannot be checked`,
      'data_quality',
    );
  const plan = planChecks(exps, profile);
  if (!plan.needsRows) return evaluate(exps, profile);
  const table = await data.table();
  const names = table.schema.columns.map((c) => c.name);
  const cols = names.map((n) => table.columns[n]!);
  const checker = new RowChecker(plan.rowChecks, names);
  const row = new Array<unknown>(names.length);
  for (let i = 0; i < table.rows; i++) {
    for (let j = 0; j < cols.length; j++) row[j] = cols[j]![i];
    checker.add(row);
  }
  return evaluate(exps, profile, checker.finish());
}
