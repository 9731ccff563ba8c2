import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import type { PerformanceInput } from '../../src/rollouts/analysis.js';
import { analyseStep, parsePolicy } from '../../src/rollouts/index.js';
import { emptyStats, type RouteStats, StatsBuilder } from '../../src/rollouts/stats.js';
import type { CheckResult, RolloutPolicy } from '../../src/rollouts/types.js';

interface SideSpec {
  rows: number;
  failed?: number;
  /** Latency of each request in ms. */
  latency?: (i: number) => number;
  value?: (i: number) => number;
  label?: (i: number) => string;
}

function stats(s: SideSpec, seed = 1): RouteStats {
  const random = seededRandom(seed);
  const b = new StatsBuilder();
  for (let i = 0; i < s.rows; i++) {
    b.addRow({
      row: 0,
      latencyUs: (s.latency?.(i) ?? 5 + random()) * 1000,
      prediction: s.label ? { label: s.label(i) } : { value: s.value ? s.value(i) : random() },
    });
  }
  if (s.failed) b.addFailures(s.failed, { model_error: s.failed });
  return b.toJSON();
}

const policy = (input: unknown = {}): RolloutPolicy =>
  parsePolicy({ steps: [50, 100], min_predictions: 100, ...(input as object) });

function analyse(
  canary: RouteStats,
  primary: RouteStats,
  opts: { policy?: RolloutPolicy; earlier?: RouteStats; performance?: PerformanceInput | null } = {},
) {
  return analyseStep({
    policy: opts.policy ?? policy(),
    step: 0,
    candidate: 2,
    baseline: 1,
    canary,
    stepPrimary: primary,
    earlierPrimary: opts.earlier ?? emptyStats(),
    eventTime: { from: 0, to: 1000 },
    performance: opts.performance ?? null,
  });
}

const check = (checks: CheckResult[], name: CheckResult['check']) => checks.find((c) => c.check === name)!;

describe('canary analysis of a step', () => {
  it('passes a canary that behaves like the primary; the evidence carries every figure', () => {
    const e = analyse(stats({ rows: 2000 }, 1), stats({ rows: 2000 }, 2));
    expect(e.passed).toBe(true);
    expect(e.baselineSpan).toBe('step');
    expect(e.canary).toMatchObject({ version: 2, rows: 2000, failedRows: 0, errorRate: 0 });
    expect(e.primary).toMatchObject({ version: 1, rows: 2000, errorRate: 0 });
    expect(e.canary.p99LatencyMs).toBeGreaterThan(5);
    expect(check(e.checks, 'error_rate').status).toBe('passed');
    expect(check(e.checks, 'latency').status).toBe('passed');
    const drift = check(e.checks, 'drift');
    expect(drift.status).toBe('passed');
    expect(drift.value).toBeLessThan(0.05);
    expect(drift.threshold).toBe(0.25);
    expect(check(e.checks, 'performance').status).toBe('skipped');
  });

  it('fails on an error rate above the maximum, or above the primary’s plus the allowed increase', () => {
    const high = analyse(stats({ rows: 900, failed: 100 }), stats({ rows: 1000 }));
    const c = check(high.checks, 'error_rate');
    expect(high.passed).toBe(false);
    expect(c).toMatchObject({ status: 'failed', value: 0.1, baseline: 0, threshold: 0.01 });
    expect(c.details).toMatchObject({ failedRows: 100, model_error: 100 });
    // 3% is under the 5% maximum but more than 1 point above a primary failing 1%.
    const relative = analyse(stats({ rows: 970, failed: 30 }), stats({ rows: 990, failed: 10 }));
    expect(check(relative.checks, 'error_rate')).toMatchObject({ status: 'failed', value: 0.03 });
    expect(check(relative.checks, 'error_rate').message).toMatch(/primary's 1.00% \+ 1.00%/);
    const same = analyse(stats({ rows: 985, failed: 15 }), stats({ rows: 990, failed: 10 }));
    expect(check(same.checks, 'error_rate').status).toBe('passed');
  });

  it('fails a canary whose p99 latency is beyond the ratio and the slack, not one within the slack', () => {
    const slow = analyse(stats({ rows: 500, latency: () => 80 }), stats({ rows: 500, latency: () => 10 }));
    expect(check(slow.checks, 'latency')).toMatchObject({ status: 'failed' });
    expect(check(slow.checks, 'latency').value).toBeCloseTo(80, 0);
    expect(check(slow.checks, 'latency').baseline).toBeCloseTo(10, 0);
    // 3 ms against 1 ms is 3× but only 2 ms slower: below the default 20 ms slack.
    const noise = analyse(stats({ rows: 500, latency: () => 3 }), stats({ rows: 500, latency: () => 1 }));
    expect(check(noise.checks, 'latency').status).toBe('passed');
    const capped = analyse(stats({ rows: 500, latency: () => 30 }), stats({ rows: 500, latency: () => 30 }), {
      policy: policy({ checks: { latency: { max_p99_ms: 25 } } }),
    });
    expect(check(capped.checks, 'latency')).toMatchObject({ status: 'failed', threshold: 25 });
  });

  it('fails on prediction drift vs the primary: shifted scores (PSI, JS) and different label mixes', () => {
    const random = seededRandom(5);
    const shifted = analyse(
      stats({ rows: 1000, value: () => 0.5 + random() * 0.5 }),
      stats({ rows: 1000, value: () => random() * 0.6 }),
    );
    expect(check(shifted.checks, 'drift')).toMatchObject({ status: 'failed', details: { method: 'psi' } });
    expect(check(shifted.checks, 'drift').value!).toBeGreaterThan(1);
    const js = analyse(
      stats({ rows: 1000, value: () => 0.5 + random() * 0.5 }),
      stats({ rows: 1000, value: () => random() * 0.6 }),
      { policy: policy({ checks: { drift: { method: 'js', max: 0.1 } } }) },
    );
    expect(check(js.checks, 'drift').value!).toBeGreaterThan(0.3);
    expect(check(js.checks, 'drift').value!).toBeLessThanOrEqual(Math.sqrt(Math.LN2));
    const labels = analyse(
      stats({ rows: 1000, label: (i) => (i % 10 < 8 ? 'yes' : 'no') }),
      stats({ rows: 1000, label: (i) => (i % 10 < 3 ? 'yes' : 'no') }),
    );
    expect(check(labels.checks, 'drift')).toMatchObject({ status: 'failed', details: { column: 'label' } });
  });

  it('does not fail on a drift figure that is within sampling noise (few rows, same distribution)', () => {
    const random = seededRandom(9);
    const e = analyse(
      stats({ rows: 40, value: () => random() }),
      stats({ rows: 40, value: () => random() }),
      {
        policy: policy({ min_predictions: 10, checks: { drift: { max: 0.05 } } }),
      },
    );
    const drift = check(e.checks, 'drift');
    expect(drift.value!).toBeGreaterThan(0.05);
    expect(drift.details.pValue as number).toBeGreaterThan(0.001);
    expect(drift).toMatchObject({ status: 'passed' });
    expect(drift.message).toMatch(/within sampling noise/);
  });

  it('compares with the whole rollout’s primary when the step has too little primary traffic (a 100% step)', () => {
    const e = analyse(stats({ rows: 500 }, 3), emptyStats(), { earlier: stats({ rows: 500 }, 4) });
    expect(e.baselineSpan).toBe('rollout');
    expect(e.primary.rows).toBe(500);
    expect(check(e.checks, 'drift').status).toBe('passed');
    const alone = analyse(stats({ rows: 500 }, 3), emptyStats());
    expect(alone.baselineSpan).toBe('none');
    expect(check(alone.checks, 'drift').status).toBe('skipped');
    expect(check(alone.checks, 'error_rate').status).toBe('passed');
    expect(alone.passed).toBe(true);
  });

  it('realised performance: fails a regression beyond max_regression in the metric’s direction, skips without labels', () => {
    const perf = (canary: number, primary: number, metric = 'accuracy', labelled = 80): PerformanceInput => ({
      metric,
      canary: { labelled, value: canary },
      primary: { labelled, value: primary },
    });
    const worse = analyse(stats({ rows: 500 }, 1), stats({ rows: 500 }, 2), { performance: perf(0.7, 0.8) });
    expect(check(worse.checks, 'performance')).toMatchObject({ status: 'failed', value: 0.7, baseline: 0.8 });
    const rmse = analyse(stats({ rows: 500 }, 1), stats({ rows: 500 }, 2), {
      performance: perf(0.45, 0.3, 'rmse'),
    });
    expect(check(rmse.checks, 'performance').status).toBe('failed');
    const better = analyse(stats({ rows: 500 }, 1), stats({ rows: 500 }, 2), {
      performance: perf(0.25, 0.3, 'rmse'),
    });
    expect(check(better.checks, 'performance').status).toBe('passed');
    const few = analyse(stats({ rows: 500 }, 1), stats({ rows: 500 }, 2), {
      performance: perf(0.1, 0.9, 'accuracy', 10),
    });
    expect(check(few.checks, 'performance')).toMatchObject({ status: 'skipped' });
    expect(few.passed).toBe(true);
  });
});
