import { describe, expect, it } from 'vitest';
import { calibration } from '../../../src/models/eval/calibration.js';
import { evaluate } from '../../../src/models/eval/index.js';
import { logLoss } from '../../../src/models/eval/log-loss.js';

const twoColumns = (p: number[]) => Float64Array.from(p.flatMap((q) => [1 - q, q]));

describe('expected calibration error', () => {
  it('bins the predicted class confidence into (k/10, (k+1)/10] (hand-computed)', () => {
    // P(positive) → confidence max(p, 1−p), predicted class, correct?
    // 0.9 → 0.9, 1, yes   0.8 → 0.8, 1, no   0.3 → 0.7, 0, yes   0.6 → 0.6, 1, no
    // 0.62 → 0.62, 1, yes   0.68 → 0.68, 1, yes
    // Bins: (0.8,0.9] {0.9: acc 1}; (0.7,0.8] {0.8: acc 0}; (0.6,0.7] {0.7, 0.62, 0.68: acc 1, conf 2/3};
    // (0.5,0.6] {0.6: acc 0}. ECE = (0.1 + 0.8 + 3·(1/3) + 0.6) / 6 = 2.5 / 6.
    const c = calibration(
      twoColumns([0.9, 0.8, 0.3, 0.6, 0.62, 0.68]),
      2,
      Int32Array.from([1, 0, 0, 0, 1, 1]),
    );
    expect(c.ece).toBeCloseTo(2.5 / 6, 14);
    expect(c.bins).toHaveLength(10);
    expect(c.bins.map((b) => b.count)).toEqual([0, 0, 0, 0, 0, 1, 3, 1, 1, 0]);
    const b6 = c.bins[6]!;
    expect(b6.lower).toBeCloseTo(0.6, 14);
    expect(b6.upper).toBeCloseTo(0.7, 14);
    expect(b6.confidence).toBeCloseTo(2 / 3, 14);
    expect(b6.accuracy).toBe(1);
    expect(c.bins[0]).toEqual({ lower: 0, upper: 0.1, count: 0, confidence: null, accuracy: null });
  });

  it('uses the top label of a multiclass model', () => {
    // Row 1 predicts class 2 with 0.5 and is right: bin (0.4, 0.5], |1 − 0.5|.
    // Row 2 predicts class 0 with 0.4 and is wrong: bin (0.3, 0.4], |0 − 0.4|.
    const probs = Float64Array.from([0.3, 0.2, 0.5, 0.4, 0.35, 0.25]);
    const c = calibration(probs, 3, Int32Array.from([2, 1]));
    expect(c.bins[4]).toMatchObject({ count: 1, confidence: 0.5, accuracy: 1 });
    expect(c.bins[3]).toMatchObject({ count: 1, confidence: 0.4, accuracy: 0 });
    expect(c.ece).toBeCloseTo((0.5 + 0.4) / 2, 14);
  });

  it('is zero for a calibrated-by-construction case and reported by evaluate', () => {
    // Ten rows at confidence 0.7 (bin (0.6, 0.7]), seven right.
    const p = new Array(10).fill(0.7);
    const y = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0];
    const r = evaluate({
      task: 'binary',
      classes: [0, 1],
      actual: y,
      predicted: { labels: null, probabilities: twoColumns(p), values: null },
    });
    expect(r.metrics['ece']).toBeCloseTo(0, 14);
    expect(r.calibration?.bins[6]).toMatchObject({ count: 10, accuracy: 0.7 });
  });
});

describe('logLoss', () => {
  it('clips probabilities to [ε, 1 − ε] with ε the float64 epsilon, as sklearn ≥ 1.2', () => {
    // log_loss([1, 0], [[1, 0], [1, 0]], labels=[0, 1]) = 18.021826694558577 (sklearn 1.2.1)
    expect(logLoss(Float64Array.from([1, 0, 1, 0]), 2, Int32Array.from([1, 0]))).toBeCloseTo(
      18.021826694558577,
      10,
    );
  });

  it('renormalises rows that do not sum to 1', () => {
    // [0.2, 0.3] renormalised → 0.6 for class 1: −log 0.6 (sklearn 1.2's behaviour, issue #24515).
    expect(logLoss(Float64Array.from([0.2, 0.3]), 2, Int32Array.from([1]))).toBeCloseTo(-Math.log(0.6), 14);
  });
});
