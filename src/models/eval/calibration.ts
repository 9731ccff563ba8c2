/**
 * Expected calibration error and the reliability diagram behind it (Guo et al., "On Calibration
 * of Modern Neural Networks", ICML 2017): top-label confidence — the probability of the predicted
 * (argmax) class, max(p, 1 − p) for a binary model — in M = 10 equal-width bins
 * Bₘ = ((m−1)/M, m/M], and ECE = Σₘ (|Bₘ|/N)·|acc(Bₘ) − conf(Bₘ)|.
 */
import type { CalibrationBin } from './types.js';

export const CALIBRATION_BINS = 10;

export interface CalibrationResult {
  ece: number | null;
  bins: CalibrationBin[];
}

/** The bin of a confidence: (k/M, (k+1)/M], compared against the edges themselves, not c·M. */
function binOf(c: number, bins: number): number {
  let k = Math.ceil(c * bins) - 1;
  if (k < 0) k = 0;
  if (k > bins - 1) k = bins - 1;
  // c·M rounds (0.3·10 = 3.0000000000000004): settle the edge cases on the edges i/M.
  if (k > 0 && c <= k / bins) k--;
  else if (k < bins - 1 && c > (k + 1) / bins) k++;
  return k;
}

/** Calibration of N×C probabilities against the actual class indices (≥ C: a label unknown to the model). */
export function calibration(
  probabilities: Float64Array,
  classes: number,
  actual: Int32Array,
  bins = CALIBRATION_BINS,
): CalibrationResult {
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const n = actual.length;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let p = probabilities[i * classes]!;
    for (let k = 1; k < classes; k++) {
      const q = probabilities[i * classes + k]!;
      if (q > p) {
        p = q;
        best = k;
      }
    }
    const b = binOf(p, bins);
    count[b]!++;
    conf[b]! += p;
    if (actual[i] === best) correct[b]!++;
  }
  let ece = 0;
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b]!;
    const meanConf = c === 0 ? null : conf[b]! / c;
    const acc = c === 0 ? null : correct[b]! / c;
    if (meanConf !== null && acc !== null) ece += (c / n) * Math.abs(acc - meanConf);
    out.push({ lower: b / bins, upper: (b + 1) / bins, count: c, confidence: meanConf, accuracy: acc });
  }
  return { ece: n === 0 ? null : ece, bins: out };
}
