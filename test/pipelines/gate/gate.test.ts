import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GatePolicyInput,
  isGateRecord,
  listGateResults,
  runGate,
} from '../../../src/pipelines/gate/index.js';
import { setAlias } from '../../../src/registry/aliases.js';
import { approvalHistory } from '../../../src/registry/approvals.js';
import { listEvaluations } from '../../../src/registry/evaluations.js';
import { getModelVersion } from '../../../src/registry/versions.js';
import { DIALECTS, type TestEnv, testEnv } from '../../helpers/context.js';
import { keelError, registryCounts } from '../../registry/fixtures.js';
import { type GateWorld, gateWorld, register } from './fixture.js';

const ACTOR = 'pipeline:retrain';

/** Every kind of check, each set loose enough for the strong model to pass against itself. */
const PASSING: GatePolicyInput = {
  data: 'loans-holdout@latest',
  against: 'champion',
  metrics: [
    { metric: 'accuracy', min: 0.75 },
    { metric: 'accuracy', max_regression: 0.01 },
    { metric: 'log_loss', max_regression: '5%' },
  ],
  fairness: [{ sensitive: 'age_band', metric: 'demographic_parity_difference', max: 0.1 }],
  data_quality: true,
  calibration: { max_ece: 0.1 },
  approval: 'auto',
};

describe.each(DIALECTS)('validation gate (%s)', (dialect) => {
  let env: TestEnv;
  let w: GateWorld;
  beforeAll(async () => {
    env = await testEnv(dialect);
    w = await gateWorld(env.ctx);
    // loans@1: the champion, the same strong model every passing candidate is.
    await register(env.ctx, w, 'loans', 'strong', { alias: 'champion' });
  });
  afterAll(async () => env.cleanup());

  const gate = async (model: 'strong' | 'weak', policy: GatePolicyInput, name = 'loans') => {
    const version = await register(env.ctx, w, name, model);
    const result = await runGate(env.ctx, { candidate: `${name}@${version}`, policy, actor: ACTOR });
    return { version, result, after: await getModelVersion(env.ctx, name, version) };
  };

  it('a passing candidate is approved, with every check and the gate result stored on it', async () => {
    const { version, result, after } = await gate('strong', PASSING);
    expect(result).toMatchObject({
      model: 'loans',
      version,
      ref: `loans@${version}`,
      data: { ref: w.holdout.ref, versionId: w.holdout.id, rows: 300 },
      target: 'approved',
      task: 'binary',
      champion: { ref: 'loans@1', version: 1 },
      passed: true,
      decision: 'approved',
      reasons: [],
      notes: [],
      actor: ACTOR,
    });
    expect(result.checks.map((c) => [c.kind, c.name, c.passed])).toEqual([
      ['metric', 'accuracy ≥ 0.75', true],
      ['regression', 'accuracy regression ≤ 0.01', true],
      ['regression', 'log_loss regression ≤ 5%', true],
      ['fairness', 'demographic_parity_difference by age_band ≤ 0.1', true],
      ['calibration', 'ece ≤ 0.1', true],
      ['data_quality', `data quality: ${w.holdout.ref} like ${w.train.ref}`, true],
    ]);
    const accuracy = result.metrics.candidate['accuracy']!;
    expect(result.checks[0]).toMatchObject({ value: accuracy, champion: accuracy, threshold: 0.75 });
    expect(result.checks[1]).toMatchObject({ regression: 0, relative: false });

    expect(after.approval).toMatchObject({ status: 'approved', actor: ACTOR });
    expect(after.approval.reason).toBe(`gate passed on ${w.holdout.ref} against loans@1: 6 checks`);
    const evals = await listEvaluations(env.ctx, 'loans', version);
    expect(evals).toHaveLength(1);
    const stored = evals[0]!;
    expect(stored).toMatchObject({
      evalId: result.evaluationId,
      datasetRef: w.holdout.ref,
      createdBy: ACTOR,
    });
    // The record reads as an ordinary evaluation (model cards) and carries the whole gate result.
    expect(isGateRecord(stored.result)).toBe(true);
    expect(stored.result).toMatchObject({ task: 'binary', rows: 300, metrics: { accuracy } });
    expect(await listGateResults(env.ctx, 'loans', version)).toEqual([result]);

    const audit = await env.ctx.store.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('object_id', '=', `loans@${version}`)
      .where('action', 'in', ['model_evaluation.add', 'model_version.approve'])
      .orderBy('seq')
      .execute();
    expect(audit).toEqual([
      { actor: ACTOR, action: 'model_evaluation.add' },
      { actor: ACTOR, action: 'model_version.approve' },
    ]);
  });

  it('approval: manual leaves a passing candidate pending for a person', async () => {
    const { version, result, after } = await gate('strong', { ...PASSING, approval: 'manual' });
    expect(result).toMatchObject({ passed: true, decision: 'pending' });
    expect(after.approval.status).toBe('pending');
    expect(await approvalHistory(env.ctx, 'loans', version)).toEqual([]);
    expect(await listGateResults(env.ctx, 'loans', version)).toHaveLength(1);
  });

  it('against: a version number compares with that version', async () => {
    const { result } = await gate('strong', { ...PASSING, against: 1 });
    expect(result).toMatchObject({ champion: { ref: 'loans@1', version: 1 }, decision: 'approved' });
  });

  const failures: [string, 'strong' | 'weak', GatePolicyInput, RegExp][] = [
    [
      'a metric below its minimum',
      'strong',
      { data: 'loans-holdout', metrics: [{ metric: 'accuracy', min: 0.95 }] },
      /^accuracy 0\.\d{4} is below the minimum 0\.95$/,
    ],
    [
      'an absolute regression vs the champion',
      'weak',
      { data: 'loans-holdout', metrics: [{ metric: 'accuracy', max_regression: 0.01 }] },
      /^accuracy 0\.\d{4} vs champion loans@1 0\.\d{4}: 0\.\d{4} worse, more than the allowed 0\.01$/,
    ],
    [
      'a relative regression of a lower-is-better metric',
      'weak',
      { data: 'loans-holdout', metrics: [{ metric: 'log_loss', max_regression: '5%' }] },
      /^log_loss 0\.\d{4} vs champion loans@1 0\.\d{4}: [\d.]+% worse, more than the allowed 5%$/,
    ],
    [
      'a fairness bound',
      'strong',
      {
        data: 'loans-holdout',
        fairness: [{ sensitive: 'age_band', metric: 'demographic_parity_difference', max: 0.01 }],
      },
      /^demographic_parity_difference by age_band 0\.\d{4} exceeds the maximum 0\.01 \(highest '\w+' 0\.\d{4}, lowest '\w+' 0\.\d{4}\)$/,
    ],
    [
      'held-out data unlike the training data',
      'strong',
      { data: 'loans-shifted', data_quality: true },
      /^1 of \d+ expectations failed on loans-shifted@1: in_range salary \(300 of 300 values \(100%\) outside \[/,
    ],
    [
      'a calibration bound',
      'strong',
      { data: 'loans-holdout', calibration: { max_ece: 0.01 } },
      /^expected calibration error 0\.\d{4} exceeds the maximum 0\.01$/,
    ],
  ];

  it.each(failures)('fails on %s: rejected with that reason', async (_, model, policy, reason) => {
    const { version, result, after } = await gate(model, policy);
    expect(result).toMatchObject({ passed: false, decision: 'rejected' });
    expect(result.reasons).toHaveLength(1);
    expect(result.reasons[0]).toMatch(reason);
    expect(after.approval).toMatchObject({ status: 'rejected', actor: ACTOR });
    expect(after.approval.reason).toContain(result.reasons[0]);
    expect(after.approval.reason).toMatch(/^gate failed on loans-(holdout|shifted)@1 against loans@1: /);
    const [stored] = await listGateResults(env.ctx, 'loans', version);
    expect(stored).toMatchObject({ passed: false, decision: 'rejected', reasons: result.reasons });
  });

  it('declared expectations must hold on the held-out and the training data', async () => {
    const { result } = await gate('strong', {
      data: 'loans-holdout',
      data_quality: { suggested: false, expectations: [{ check: 'in_range', column: 'salary', max: 1000 }] },
    });
    expect(result.decision).toBe('rejected');
    expect(result.checks.map((c) => [c.name, c.value, c.passed])).toEqual([
      [`data quality: ${w.holdout.ref}`, 1, false],
      [`data quality: ${w.train.ref} (training)`, 1, false],
    ]);
    expect(result.checks[1]!.failures?.[0]).toMatchObject({
      check: 'in_range',
      column: 'salary',
      success: false,
    });
  });

  it('with no champion yet the regression checks are skipped and say so', async () => {
    const { result, after } = await gate(
      'strong',
      {
        data: 'loans-holdout',
        metrics: [
          { metric: 'accuracy', min: 0.5 },
          { metric: 'accuracy', max_regression: 0.01 },
        ],
      },
      'solo',
    );
    const note = 'no version of solo carries alias champion yet: comparisons with it are skipped';
    expect(result).toMatchObject({ passed: true, decision: 'approved', champion: null, notes: [note] });
    expect(result.checks[1]).toMatchObject({ skipped: true, passed: true, champion: null, reason: note });
    expect(result.metrics.champion).toBeNull();
    expect(after.approval.status).toBe('approved');
  });

  const bad: [string, GatePolicyInput | Record<string, unknown>, string, string, RegExp][] = [
    [
      'an unknown metric',
      { data: 'loans-holdout', metrics: [{ metric: 'acuracy', min: 0.8 }] },
      'INVALID_PARAMETER_VALUE',
      'metrics[0].metric',
      /unknown metric 'acuracy'/,
    ],
    [
      'a malformed regression bound',
      { data: 'loans-holdout', metrics: [{ metric: 'rmse', max_regression: '5 percent' }] },
      'INVALID_PARAMETER_VALUE',
      'metrics[0].max_regression',
      /percentage such as "5%"/,
    ],
    [
      'an unknown field',
      { data: 'loans-holdout', thresholds: [] },
      'INVALID_PARAMETER_VALUE',
      'thresholds',
      /unknown field 'thresholds'/,
    ],
    [
      'no data',
      { metrics: [{ metric: 'accuracy', min: 0.8 }] },
      'INVALID_PARAMETER_VALUE',
      'data',
      /missing field 'data'/,
    ],
    ['nothing to check', { data: 'loans-holdout' }, 'INVALID_PARAMETER_VALUE', 'policy', /checks nothing/],
    [
      'a metric the model does not report',
      { data: 'loans-holdout', metrics: [{ metric: 'rmse', max: 3 }] },
      'INVALID_PARAMETER_VALUE',
      'metrics[0].metric',
      /is a binary model, which reports no rmse/,
    ],
    [
      'a sensitive column the data lacks',
      {
        data: 'loans-holdout',
        fairness: [{ sensitive: 'gender', metric: 'demographic_parity_difference', max: 0.1 }],
      },
      'INVALID_PARAMETER_VALUE',
      'fairness[0].sensitive',
      /column "gender" is not in the dataset/,
    ],
    [
      'held-out data that does not exist',
      { data: 'loans-nope@3', metrics: [{ metric: 'accuracy', min: 0.8 }] },
      'RESOURCE_DOES_NOT_EXIST',
      'data',
      /^data: Dataset version 'loans-nope@3' does not exist$/,
    ],
    [
      'a champion version that does not exist',
      { data: 'loans-holdout', against: 99, metrics: [{ metric: 'accuracy', min: 0.8 }] },
      'INVALID_PARAMETER_VALUE',
      'against',
      /loans has no version 99/,
    ],
  ];

  it.each(bad)('%s is a clear error and stores nothing', async (_, policy, code, field, message) => {
    const version = await register(env.ctx, w, 'loans', 'strong');
    const before = await registryCounts(env.ctx);
    const e = await keelError(runGate(env.ctx, { candidate: `loans@${version}`, policy, actor: ACTOR }));
    expect(e.code).toBe(code);
    expect(e.details?.['field']).toBe(field);
    expect(e.message).toMatch(message);
    expect(await registryCounts(env.ctx)).toEqual(before);
    expect((await getModelVersion(env.ctx, 'loans', version)).approval.status).toBe('pending');
  });

  it('a failing candidate that carries an alias is refused before anything is stored', async () => {
    const version = await register(env.ctx, w, 'loans', 'weak');
    await setAlias(env.ctx, 'loans', 'challenger', version, 'alice');
    const before = await registryCounts(env.ctx);
    const e = await keelError(
      runGate(env.ctx, {
        candidate: `loans@challenger`,
        policy: { data: 'loans-holdout', metrics: [{ metric: 'accuracy', min: 0.95 }] },
        actor: ACTOR,
      }),
    );
    expect(e.message).toMatch(/fails the gate but carries alias challenger.*remove alias challenger/);
    expect(await registryCounts(env.ctx)).toEqual(before);
  });

  it('a second run of the same pipeline step returns the first result and records nothing new', async () => {
    const version = await register(env.ctx, w, 'loans', 'strong');
    const origin = { pipeline: 'retrain', runId: 7, step: 'gate' };
    const input = { candidate: `loans@${version}`, policy: PASSING, actor: ACTOR, origin };
    const first = await runGate(env.ctx, input);
    const counts = await registryCounts(env.ctx);
    const [stored] = await listEvaluations(env.ctx, 'loans', version);
    expect(stored!.result).toMatchObject({
      tags: { 'keel.pipeline.run': '7', 'keel.pipeline.step': 'gate' },
    });
    const second = await runGate(env.ctx, input);
    expect(second).toEqual(first);
    expect(await registryCounts(env.ctx)).toEqual(counts);
    expect(await approvalHistory(env.ctx, 'loans', version)).toHaveLength(1);
    // Another step (or run) judges afresh.
    await runGate(env.ctx, { ...input, origin: { ...origin, runId: 8 } });
    expect(await listGateResults(env.ctx, 'loans', version)).toHaveLength(2);
  });
});
