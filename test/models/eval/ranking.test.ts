import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { averagePrecision, oneVsRestMacro, rocAuc } from '../../../src/models/eval/ranking.js';

const bits = (xs: number[]) => Uint8Array.from(xs);

/** ROC AUC by its definition: P(score of a positive > score of a negative), ties counting ½. */
function pairwiseAuc(scores: number[], positive: number[]): number | null {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positive[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positive[j]) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return pairs === 0 ? null : wins / pairs;
}

describe('rocAuc', () => {
  it('counts tied scores as one half (sklearn: roc_auc_score([0,1,0,1], [.5]*4) = 0.5)', () => {
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], bits([0, 1, 0, 1]))).toBe(0.5);
    // One positive tied with one of two negatives, above the other: (1 + 0.5) / 2.
    expect(rocAuc([0.2, 0.6, 0.6], bits([0, 0, 1]))).toBe(0.75);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], bits([0, 0, 1, 1]))).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], bits([0, 0, 1, 1]))).toBe(0);
  });

  it('is null when only one class is present', () => {
    expect(rocAuc([0.1, 0.9], bits([1, 1]))).toBeNull();
    expect(rocAuc([0.1, 0.9], bits([0, 0]))).toBeNull();
  });

  it('equals the pairwise definition on random scores with ties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
        (rows) => {
          const scores = rows.map(([s]) => s / 6);
          const positive = rows.map(([, p]) => (p ? 1 : 0));
          const expected = pairwiseAuc(scores, positive);
          const got = rocAuc(scores, bits(positive));
          if (expected === null) expect(got).toBeNull();
          else expect(got).toBeCloseTo(expected, 12);
        },
      ),
    );
  });
});

describe('averagePrecision', () => {
  it('is the step-wise sum over thresholds, not the trapezoid', () => {
    // Thresholds 0.8 (tp 1, fp 0), 0.4 (tp 1, fp 1), 0.35 (tp 2, fp 1), 0.1 (tp 2, fp 2):
    // AP = 0.5·1 + 0.5·(2/3) = 5/6 (sklearn's own docstring example: 0.8333…).
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], bits([0, 0, 1, 1]))).toBeCloseTo(5 / 6, 14);
  });

  it('treats tied scores as one threshold (sklearn: average_precision_score([0,1,0,1], [.5]*4) = 0.5)', () => {
    expect(averagePrecision([0.5, 0.5, 0.5, 0.5], bits([0, 1, 0, 1]))).toBe(0.5);
  });

  it('is 1 for a perfect ranking and null without positives', () => {
    expect(averagePrecision([0.1, 0.2, 0.8, 0.9], bits([0, 0, 1, 1]))).toBe(1);
    expect(averagePrecision([0.1, 0.2], bits([0, 0]))).toBeNull();
  });
});

describe('oneVsRestMacro', () => {
  it('averages over the classes where the metric is defined', () => {
    // Class 2 never occurs: its AUC is undefined and left out; classes 0 and 1 rank perfectly.
    const probs = Float64Array.from([0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.9, 0.05, 0.05]);
    expect(oneVsRestMacro(rocAuc, probs, 3, Int32Array.from([0, 1, 0]))).toBe(1);
    expect(oneVsRestMacro(rocAuc, probs, 3, Int32Array.from([0, 0, 0]))).toBeNull();
  });
});
