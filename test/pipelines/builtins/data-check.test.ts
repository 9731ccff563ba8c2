import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataCheckStep } from '../../../src/pipelines/steps/builtins/data-check.js';
import { DIALECTS } from '../../helpers/context.js';
import { addLoans, attempt, failure, type Harness, harness, loans, ref, runStep } from './fixture.js';

const parse = (w: Record<string, unknown>, resolved = true) => dataCheckStep.parse(w, { resolved });

describe('data.check step: parse', () => {
  it('needs exactly one of expect and expectations; checks inline expectations up front', async () => {
    const both = await failure(() => parse({ data: 'loans', expect: 'e.yaml', expectations: [] }));
    expect(both.message).toMatch(/exactly one of with\.expect .* or with\.expectations/);
    const none = await failure(() => parse({ data: 'loans' }));
    expect(none.details?.field).toBe('with.expect');
    const unknown = await failure(() =>
      parse({ data: 'loans', expectations: [{ check: 'positive', column: 'age' }] }),
    );
    expect(unknown.message).toMatch(/with\.expectations: .*unknown check 'positive'/);
    expect(unknown.message).not.toMatch(/with\.expectations:\d/);
    const field = await failure(() => parse({ data: 'loans', expectations: [{ check: 'not_null' }] }));
    expect(field.details?.field).toBe('with.expectations[0].column');
    const severity = await failure(() =>
      parse({ data: 'loans', expectations: [{ check: 'not_null', column: 'age', severity: 'fatal' }] }),
    );
    expect(severity.details?.field).toBe('with.expectations[0].severity');
    const failOn = await failure(() => parse({ data: 'loans', expect: 'e.yaml', fail_on: 'info' }));
    expect(failOn.details?.field).toBe('with.fail_on');
    expect(
      parse({ data: ref('steps.snap.outputs.ref'), expectations: ref('params.checks') }, false),
    ).toBeTruthy();
  });
});

describe.each(DIALECTS)('data.check step (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(dialect);
    await addLoans(h, 'loans', loans(1, 200));
  });
  afterAll(() => h?.cleanup());

  it('passes, counting the checks, and logs the report', async () => {
    const r = await runStep(h, dataCheckStep, {
      data: 'loans',
      expectations: [
        { check: 'row_count', min: 100 },
        { check: 'not_null', column: 'age' },
        { check: 'in_set', column: 'approved', values: [0, 1] },
        // A row check: it reads the version's rows.
        { check: 'regex', column: 'zipcode', pattern: '^[0-9]+$' },
      ],
    });
    expect(r.outputs).toEqual({ data: 'loans@1', checks: 4, passed: 4, failed: 0, warnings: 0 });
    expect(r.lines.join('\n')).toMatch(/✓ row_count +200 rows/);
  });

  it('fails on a failing check, naming it in the error and the log', async () => {
    const w = {
      data: 'loans@1',
      expectations: [
        { check: 'row_count', min: 1000 },
        { check: 'in_range', column: 'age', min: 20, max: 30 },
        { check: 'not_null', column: 'salary' },
      ],
    };
    const { b, lines } = await attempt(h, dataCheckStep, w);
    const a = await failure(dataCheckStep.run(b));
    expect(lines.join('\n')).toMatch(/✗ row_count +200 rows, expected ≥ 1000/);
    expect(lines.at(-1)).toBe('3 checks: 1 passed, 2 failed');
    expect(a.message).toMatch(
      /^2 of 3 checks failed on loans@1: row_count: 200 rows, expected ≥ 1000|at least 1000/,
    );
    expect(a.message).not.toMatch(/salary/);
  });

  it('a failing warning fails the step only with fail_on: warning', async () => {
    const expectations = [
      { check: 'row_count', min: 1000, severity: 'warning' },
      { check: 'not_null', column: 'age' },
    ];
    const ok = await runStep(h, dataCheckStep, { data: 'loans', expectations });
    expect(ok.outputs).toMatchObject({ checks: 2, passed: 1, failed: 1, warnings: 1 });
    const e = await failure(runStep(h, dataCheckStep, { data: 'loans', expectations, fail_on: 'warning' }));
    expect(e.message).toMatch(/1 of 2 checks failed on loans@1: row_count \(warning\)/);
  });

  it('reads an expectations file like keel data check --expect; names a bad file', async () => {
    const file = path.join(h.dir, 'expect.yaml');
    fs.writeFileSync(
      file,
      'expectations:\n  - check: schema\n    columns: { age: float, approved: integer }\n',
    );
    const r = await runStep(h, dataCheckStep, { data: 'loans', expect: file });
    expect(r.outputs).toMatchObject({ checks: 1, passed: 1 });
    fs.writeFileSync(file, 'expectations:\n  - check: not_nul\n    column: age\n');
    const e = await failure(runStep(h, dataCheckStep, { data: 'loans', expect: file }));
    expect(e.message).toMatch(/with\.expect: .*expect\.yaml:2: .*unknown check 'not_nul'/);
  });
});
