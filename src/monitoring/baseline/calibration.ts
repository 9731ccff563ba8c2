/**
 * Histogram-binning calibration for label-free performance estimation (CBPE needs calibrated
 * probabilities, reference/drift.md §3.1). NannyML fits an isotonic calibrator on the reference
 * and keeps it only if it lowers the expected calibration error; Keel does the same on the score
 * bins the prediction log already uses: fit on half of the reference rows, compare ECE on the
 * other half, and keep the (monotone) calibration only when it wins.
 */
import { SCORE_EDGES } from '../../serving/log/reference.js';

const BINS = SCORE_EDGES.length - 1;

/** The bin of a score in [0, 1] (1 falls in the last bin). */
export function scoreBin(p: number): number {
  return Math.min(BINS - 1, Math.max(0, Math.floor(p * BINS)));
}

interface BinStats {
  n: Float64Array;
  hits: Float64Array;
  sum: Float64Array;
}

function binStats(
  scores: ArrayLike<number>,
  hits: ArrayLike<number>,
  keep: (i: number) => boolean,
): BinStats {
  const s: BinStats = {
    n: new Float64Array(BINS),
    hits: new Float64Array(BINS),
    sum: new Float64Array(BINS),
  };
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i]!;
    if (!keep(i) || !Number.isFinite(p)) continue;
    const b = scoreBin(p);
    s.n[b]!++;
    s.hits[b]! += hits[i]!;
    s.sum[b]! += p;
  }
  return s;
}

/** Pool-adjacent-violators over bins: a non-decreasing map, each block its weighted mean. */
function isotonic(values: number[], weights: number[]): number[] {
  const blocks: { v: number; w: number; len: number }[] = [];
  for (let i = 0; i < values.length; i++) {
    blocks.push({ v: values[i]!, w: weights[i]!, len: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2]!.v > blocks[blocks.length - 1]!.v) {
      const b = blocks.pop()!;
      const a = blocks.pop()!;
      const w = a.w + b.w;
      blocks.push({ v: w > 0 ? (a.v * a.w + b.v * b.w) / w : (a.v + b.v) / 2, w, len: a.len + b.len });
    }
  }
  return blocks.flatMap((b) => new Array<number>(b.len).fill(b.v));
}

/** Calibrated value per bin: the smoothed hit rate (empty bins fall back to the bin's centre), made monotone. */
function fitBins(s: BinStats): number[] {
  const prior = 2;
  const rates = Array.from({ length: BINS }, (_, b) => {
    const centre = (b + 0.5) / BINS;
    const mean = s.n[b]! > 0 ? s.sum[b]! / s.n[b]! : centre;
    return (s.hits[b]! + prior * mean) / (s.n[b]! + prior);
  });
  return isotonic(
    rates,
    Array.from(s.n, (n) => n + 1e-9),
  );
}

function ece(s: BinStats, map: ((b: number) => number) | null): number {
  let total = 0;
  let err = 0;
  for (let b = 0; b < BINS; b++) {
    const n = s.n[b]!;
    if (n === 0) continue;
    const predicted = map ? map(b) : s.sum[b]! / n;
    err += Math.abs(s.hits[b]! - predicted * n);
    total += n;
  }
  return total > 0 ? err / total : 0;
}

/**
 * The calibration map over SCORE_EDGES bins, or null when the raw scores are better calibrated
 * on held-out reference rows (or there are too few rows to tell). `hits[i]` is 1 when row i's
 * event happened (binary: actual positive; multiclass: predicted class was right).
 */
export function fitCalibration(scores: ArrayLike<number>, hits: ArrayLike<number>): number[] | null {
  if (scores.length < 200) return null;
  const even = binStats(scores, hits, (i) => i % 2 === 0);
  const odd = binStats(scores, hits, (i) => i % 2 === 1);
  const held = fitBins(even);
  if (ece(odd, (b) => held[b]!) >= ece(odd, null)) return null;
  return fitBins(binStats(scores, hits, () => true));
}
