import { describe, expect, it } from 'vitest';
import { formatDifference, formatMetric } from '../../../src/models/eval/format.js';
import { type EvalResult, evaluate, formatCompare, formatEval } from '../../../src/models/eval/index.js';

const actual = [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1];
const region = ['n', 'n', 'n', 'n', 's', 's', 's', 's', 'e', 'e', 'e'];
const gender = ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'C', 'C', null];
const run = (p: number[]): EvalResult =>
  evaluate({
    task: 'binary',
    classes: [0, 1],
    actual,
    predicted: { labels: null, probabilities: Float64Array.from(p.flatMap((x) => [1 - x, x])), values: null },
    sliceBy: { name: 'region', values: region },
    sensitive: { name: 'gender', values: gender },
  });
const A = run([0.9, 0.4, 0.2, 0.3, 0.8, 0.6, 0.7, 0.1, 0.2, 0.3, 0.55]);
const B = run([0.9, 0.6, 0.2, 0.3, 0.8, 0.4, 0.3, 0.1, 0.2, 0.3, 0.55]);

/** The cells of the table line that starts with `first` (after the border). */
function line(text: string, ...first: string[]): string[] {
  const rows = text.split('\n').map((l) =>
    l
      .split('│')
      .slice(1, -1)
      .map((c) => c.trim()),
  );
  const hit = rows.find((r) => first.every((f, i) => r[i] === f));
  if (!hit) throw new Error(`no line starting ${first.join(' | ')} in\n${text}`);
  return hit;
}

describe('formatMetric / formatDifference', () => {
  it('shows undefined as a dash and signs differences', () => {
    expect(formatMetric(null)).toBe('—');
    expect(formatMetric(0.123456)).toBe('0.1235');
    expect(formatMetric(0.00001234)).toBe('1.234e-5');
    expect(formatDifference(0.5, 0.75)).toBe('+0.2500');
    expect(formatDifference(0.75, 0.5)).toBe('-0.2500');
    expect(formatDifference(0.5, 0.5)).toBe('0.0000');
    expect(formatDifference(null, 0.5)).toBe('—');
  });
});

describe('formatEval', () => {
  const text = formatEval(A);

  it('prints metrics, the confusion matrix, slices and fairness without colour codes', () => {
    expect(text).not.toMatch(/\x1b\[/);
    expect(text).toContain('binary classification, 11 rows');
    expect(line(text, 'accuracy')).toEqual(['accuracy', '0.7273']); // 8 of 11
    expect(line(text, 'precision')).toEqual(['precision', '0.6000']); // 3 of 5 predicted positive
    expect(text).toContain('Confusion matrix (rows: actual, columns: predicted)');
    expect(line(text, 'actual \\ predicted')).toEqual(['actual \\ predicted', '0', '1']);
    expect(line(text, '0', '5')).toEqual(['0', '5', '2']);
    expect(line(text, '1', '1')).toEqual(['1', '1', '3']);
    expect(text).toContain('Slices by region');
    expect(line(text, 'n', '4').slice(0, 3)).toEqual(['n', '4', '0.7500']);
    expect(text).toContain('Fairness by gender (positive class: 1)');
    // Group C has no positives: no true-positive rate.
    expect(line(text, 'C')).toEqual(['C', '2', '0.0000', '—']);
    expect(text).toContain('demographic parity difference: 1.0000');
    expect(text).toContain('equal opportunity difference: 0.5000');
  });

  it('colours headers only when asked', () => {
    expect(formatEval(A, { color: true })).toMatch(/\x1b\[1m/);
  });
});

describe('formatCompare', () => {
  const text = formatCompare(A, B, ['credit@1', 'credit@2']);

  it('shows both values and the difference (second − first)', () => {
    expect(line(text, 'metric')).toEqual(['metric', 'credit@1', 'credit@2', 'Δ (credit@2 − credit@1)']);
    expect(line(text, 'accuracy')).toEqual(['accuracy', '0.7273', '1.0000', '+0.2727']);
    expect(line(text, 'log_loss')).toEqual([
      'log_loss',
      A.metrics['log_loss']!.toFixed(4),
      B.metrics['log_loss']!.toFixed(4),
      (B.metrics['log_loss']! - A.metrics['log_loss']!).toFixed(4),
    ]);
    expect(line(text, 'equal_opportunity_difference')).toEqual([
      'equal_opportunity_difference',
      '0.5000',
      '0.0000',
      '-0.5000',
    ]);
  });

  it('compares slices and fairness groups value by value', () => {
    expect(text).toContain('Slices by region');
    const rows = text.split('\n');
    const n = rows.findIndex((l) => /│ n\s+│ rows/.test(l));
    expect(n).toBeGreaterThan(0);
    // The "n" block: accuracy 0.75 → 1, recall 0.5 → 1.
    const block = rows.slice(n, n + 9).join('\n');
    expect(line(block, '', 'accuracy')).toEqual(['', 'accuracy', '0.7500', '1.0000', '+0.2500']);
    expect(line(block, '', 'recall')).toEqual(['', 'recall', '0.5000', '1.0000', '+0.5000']);
    expect(text).toContain('Fairness by gender');
    const b = rows.findIndex((l) => /│ B\s+│ rows/.test(l));
    expect(line(rows.slice(b, b + 3).join('\n'), '', 'selection rate')).toEqual([
      '',
      'selection rate',
      '0.7500',
      '0.2500',
      '-0.5000',
    ]);
  });

  it('colours improvements green and regressions red by the metric’s direction', () => {
    const coloured = formatCompare(A, B, ['a', 'b'], { color: true });
    expect(coloured).toContain('\x1b[32m+0.2727'); // accuracy up: better
    expect(coloured).toMatch(/\x1b\[32m-0\.\d{4}/); // log loss down: better
  });
});
