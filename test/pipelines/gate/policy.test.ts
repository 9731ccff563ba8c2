import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeelError } from '../../../src/core/errors.js';
import {
  type Champion,
  type GatePolicy,
  type ModelEval,
  modelChecks,
  parseGatePolicy,
  parseGatePolicyText,
  readGatePolicyFile,
} from '../../../src/pipelines/gate/index.js';

function policyError(f: () => unknown): KeelError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KeelError);
    expect((e as KeelError).code).toBe('INVALID_PARAMETER_VALUE');
    return e as KeelError;
  }
  throw new Error('expected the policy to be refused');
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-gate-policy-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('gate policy', () => {
  it('reads the documented YAML, applies defaults, and parses its own output to the same policy', () => {
    const file = write(
      'gate.yaml',
      `data: loans-holdout@latest
target: approved
metrics:
  - { metric: accuracy, min: 0.80 }
  - { metric: accuracy, max_regression: 0.01 }
  - { metric: rmse, max_regression: 5% }
fairness:
  - { sensitive: age_band, metric: demographic_parity_difference, max: 0.10 }
data_quality: true
calibration: { max_ece: 0.05 }
`,
    );
    const p = readGatePolicyFile(file);
    expect(p).toEqual({
      data: 'loans-holdout@latest',
      against: 'champion',
      target: 'approved',
      metrics: [
        { metric: 'accuracy', min: 0.8 },
        { metric: 'accuracy', max_regression: 0.01 },
        { metric: 'rmse', max_regression: '5%' },
      ],
      fairness: [{ sensitive: 'age_band', metric: 'demographic_parity_difference', max: 0.1 }],
      data_quality: { suggested: true, expectations: [] },
      calibration: { max_ece: 0.05 },
      approval: 'auto',
    } satisfies GatePolicy);
    expect(parseGatePolicy(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('names the file, the line and the field of a mistake', () => {
    const text = 'data: holdout\nmetrics:\n  - metric: accuracy\n    max_regresion: 0.01\n';
    const e = policyError(() => parseGatePolicyText(text, 'gate.yaml'));
    expect(e.message).toBe("gate.yaml:4: unknown field 'metrics[0].max_regresion'");
    expect(e.details).toEqual({ field: 'metrics[0].max_regresion' });

    const bounds = policyError(() =>
      parseGatePolicyText('data: h\nmetrics:\n  - { metric: accuracy, min: 0.9, max: 0.8 }\n', 'g.yaml'),
    );
    expect(bounds.message).toBe('g.yaml:3: metrics[0].max: max 0.8 is below min 0.9');

    const fairness = policyError(() =>
      parseGatePolicy({ data: 'h', metrics: [{ metric: 'demographic_parity_difference', max: 0.1 }] }),
    );
    expect(fairness.message).toMatch(
      /unknown metric 'demographic_parity_difference' \(a fairness metric: put it under fairness:\)/,
    );

    const approval = policyError(() =>
      parseGatePolicy({ data: 'h', calibration: { max_ece: 0.1 }, approval: 'yes' }),
    );
    expect(approval.details).toEqual({ field: 'approval' });

    const yaml = policyError(() => parseGatePolicyText('data: [unclosed\n', 'bad.yaml'));
    expect(yaml.message).toMatch(/^bad\.yaml:\d+: invalid YAML/);
  });

  it('reads an expectations file next to the policy and validates inline expectations like a file', () => {
    write('expect.yaml', 'expectations:\n  - { check: not_null, column: age }\n');
    const p = readGatePolicyFile(
      write('with-file.yaml', 'data: h\ndata_quality: { suggested: false, expectations: expect.yaml }\n'),
    );
    expect(p.data_quality).toEqual({
      suggested: false,
      expectations: [{ check: 'not_null', column: 'age', mostly: 1 }],
    });

    const missing = policyError(() =>
      readGatePolicyFile(write('missing.yaml', 'data: h\ndata_quality: { expectations: nope.yaml }\n')),
    );
    expect(missing.message).toMatch(/^.*missing\.yaml:2: cannot read the expectations file .*nope\.yaml/);

    const inline = policyError(() =>
      parseGatePolicy({ data: 'h', data_quality: { expectations: [{ check: 'not_null' }] } }),
    );
    expect(inline.details).toEqual({ field: 'data_quality.expectations[0].column' });
    expect(inline.message).toMatch(/missing field 'column'/);

    // Over the API a file name means nothing: the list must come inline.
    const named = policyError(() => parseGatePolicy({ data: 'h', data_quality: { expectations: 'e.yaml' } }));
    expect(named.message).toMatch(/send the list inline/);

    const empty = policyError(() => parseGatePolicy({ data: 'h', data_quality: { suggested: false } }));
    expect(empty.message).toMatch(/data_quality checks nothing/);
  });
});

describe('gate checks', () => {
  const evalOf = (metrics: Record<string, number | null>): ModelEval => ({ metrics, fairness: new Map() });
  const policy = (p: Partial<GatePolicy>): GatePolicy => ({
    data: 'h',
    against: 'champion',
    metrics: [],
    fairness: [],
    data_quality: false,
    approval: 'auto',
    ...p,
  });
  const champ = (metrics: Record<string, number | null>): Champion => ({ ref: 'm@1', eval: evalOf(metrics) });

  it('a lower-is-better metric regresses upwards, relative to the champion', () => {
    const p = policy({ metrics: [{ metric: 'rmse', max_regression: '5%' }] });
    const [worse] = modelChecks(p, evalOf({ rmse: 10.6 }), champ({ rmse: 10 }));
    expect(worse).toMatchObject({ passed: false, relative: true, threshold: 0.05, champion: 10 });
    expect(worse!.regression).toBeCloseTo(0.06, 12);
    expect(worse!.reason).toBe('rmse 10.6000 vs champion m@1 10.0000: 6% worse, more than the allowed 5%');
    const [within] = modelChecks(p, evalOf({ rmse: 10.4 }), champ({ rmse: 10 }));
    expect(within).toMatchObject({ passed: true });
    const [better] = modelChecks(p, evalOf({ rmse: 9 }), champ({ rmse: 10 }));
    expect(better).toMatchObject({
      passed: true,
      reason: 'rmse 9.0000 vs champion m@1 10.0000: no worse than the champion',
    });
  });

  it('bounds hold at their edge despite float rounding; undefined values fail', () => {
    const p = policy({ metrics: [{ metric: 'accuracy', min: 0.8, max_regression: 0.1 }] });
    const [min, reg] = modelChecks(p, evalOf({ accuracy: 0.7 + 0.1 }), champ({ accuracy: 0.9 }));
    expect(0.7 + 0.1).toBeLessThan(0.8);
    expect(min!.passed).toBe(true);
    expect(reg!.passed).toBe(true);
    const [undef] = modelChecks(
      policy({ metrics: [{ metric: 'roc_auc', min: 0.5 }] }),
      evalOf({ roc_auc: null }),
      champ({}),
    );
    expect(undef).toMatchObject({ passed: false, value: null });
  });

  it('a relative regression from a champion at 0 is unbounded; an undefined champion value fails', () => {
    const p = policy({ metrics: [{ metric: 'mae', max_regression: '10%' }] });
    expect(modelChecks(p, evalOf({ mae: 0.1 }), champ({ mae: 0 }))[0]).toMatchObject({
      passed: false,
      reason: "the champion's mae is 0: a relative regression from it is unbounded",
    });
    expect(modelChecks(p, evalOf({ mae: 0 }), champ({ mae: 0 }))[0]).toMatchObject({ passed: true });
    expect(modelChecks(p, evalOf({ mae: 1 }), champ({ mae: null }))[0]).toMatchObject({ passed: false });
  });

  it('without a champion only the regression checks are skipped', () => {
    const p = policy({ metrics: [{ metric: 'accuracy', min: 0.9, max_regression: 0.01 }] });
    const [min, reg] = modelChecks(p, evalOf({ accuracy: 0.8 }), { ref: null, note: 'no champion' });
    expect(min).toMatchObject({ passed: false, skipped: false, champion: null });
    expect(reg).toMatchObject({ passed: true, skipped: true, reason: 'no champion' });
  });
});
