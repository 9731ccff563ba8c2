import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSteps, policyFrom } from '../../src/cli/commands/rollout.js';
import { KeelError } from '../../src/core/errors.js';
import { parsePolicy } from '../../src/rollouts/index.js';

function fieldOf(f: () => unknown): { field: unknown; message: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KeelError);
    const k = e as KeelError;
    expect(k.code).toBe('INVALID_PARAMETER_VALUE');
    return { field: k.details?.field, message: k.message };
  }
  throw new Error('expected an error');
}

describe('rollout policy', () => {
  it('fills every default: 10% → 50% → 100% held for 1000 canary predictions, all four checks, champion', () => {
    const p = parsePolicy(undefined);
    expect(p.steps).toEqual([
      { weight: 10, hold: { predictions: 1000, duration_ms: null } },
      { weight: 50, hold: { predictions: 1000, duration_ms: null } },
      { weight: 100, hold: { predictions: 1000, duration_ms: null } },
    ]);
    expect(p.min_predictions).toBe(100);
    expect(p.max_step_duration_ms).toBeNull();
    expect(p.checks).toEqual({
      error_rate: { max: 0.05, max_increase: 0.01 },
      latency: { max_p99_ratio: 1.5, slack_ms: 20, max_p99_ms: null },
      drift: { method: 'psi', max: 0.25 },
      performance: { metric: null, max_regression: 0.02, min_labels: 50, require: false },
    });
    expect(p.alias).toBe('champion');
    expect(p.alert).toEqual({ severity: 'critical', channels: null });
  });

  it('reads holds as predictions, event time or both, per step or as the default', () => {
    const p = parsePolicy({
      steps: [5, { weight: 25, hold: '30m' }, { weight: 100, hold: { predictions: 200, duration: '1h' } }],
      hold: '500p',
      max_step_duration: '6h',
      checks: { latency: false, drift: { method: 'js', max: 0.1 } },
      alias: null,
    });
    expect(p.steps.map((s) => s.hold)).toEqual([
      { predictions: 500, duration_ms: null },
      { predictions: null, duration_ms: 30 * 60_000 },
      { predictions: 200, duration_ms: 3_600_000 },
    ]);
    expect(p.max_step_duration_ms).toBe(6 * 3_600_000);
    expect(p.checks.latency).toBeNull();
    expect(p.checks.drift).toEqual({ method: 'js', max: 0.1 });
    expect(p.alias).toBeNull();
  });

  it('accepts its own normalised form: parsing a stored policy again gives the same policy', () => {
    const once = parsePolicy({
      steps: [{ weight: 20, hold: { predictions: 300, duration: '90s' } }, 100],
      checks: { error_rate: false, latency: { max_p99_ms: 250 }, performance: { metric: 'roc_auc' } },
      alert: { severity: 'warning', channels: ['ops'] },
    });
    expect(parsePolicy(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });

  it('names the field of every mistake', () => {
    expect(fieldOf(() => parsePolicy({ steps: [50, 10] }))).toMatchObject({
      field: 'policy.steps[1]',
      message: expect.stringMatching(/must increase.*50 then 10/),
    });
    expect(fieldOf(() => parsePolicy({ steps: [150] })).field).toBe('policy.steps[0]');
    expect(fieldOf(() => parsePolicy({ steps: [] })).field).toBe('policy.steps');
    expect(fieldOf(() => parsePolicy({ chekcs: {} }))).toMatchObject({
      field: 'policy.chekcs',
      message: expect.stringMatching(/unknown field/),
    });
    expect(fieldOf(() => parsePolicy({ hold: 'soon' }))).toMatchObject({
      field: 'policy.hold',
      message: expect.stringMatching(/neither a prediction count/),
    });
    expect(fieldOf(() => parsePolicy({ steps: [{ weight: 10, hold: {} }] })).field).toBe(
      'policy.steps[0].hold',
    );
    expect(fieldOf(() => parsePolicy({ checks: { error_rate: { max: 2 } } })).field).toBe(
      'policy.checks.error_rate.max',
    );
    expect(fieldOf(() => parsePolicy({ checks: { performance: { metric: 'acc' } } }))).toMatchObject({
      field: 'policy.checks.performance.metric',
      message: expect.stringMatching(/unknown metric 'acc'/),
    });
    expect(fieldOf(() => parsePolicy({ alias: 'latest' })).field).toBe('policy.alias');
    expect(fieldOf(() => parsePolicy({ max_step_duration: 'forever' })).field).toBe(
      'policy.max_step_duration',
    );
    expect(fieldOf(() => parsePolicy([10, 50], 'with.rollout')).field).toBe('with.rollout');
  });

  it('CLI flags: --steps weights, and flags override the policy file', () => {
    expect(parseSteps('10, 50%,100')).toEqual([10, 50, 100]);
    expect(fieldOf(() => parseSteps('10,half')).field).toBe('--steps');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-rollout-'));
    const file = path.join(dir, 'policy.yaml');
    fs.writeFileSync(file, 'steps: [5, 100]\nhold: 200p\nchecks:\n  drift: false\n');
    expect(policyFrom({ policy: file, hold: '1h', alias: false })).toEqual({
      steps: [5, 100],
      hold: '1h',
      checks: { drift: false },
      alias: null,
    });
    fs.writeFileSync(file, '- 10\n- 50\n');
    expect(fieldOf(() => policyFrom({ policy: file })).field).toBe('--policy');
    fs.rmSync(dir, { recursive: true });
  });
});
