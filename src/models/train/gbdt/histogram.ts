/**
 * Gradient/hessian histograms and the best-split search over them. A histogram holds, for every
 * (feature, bin), the sums of gradient, hessian and row count: three doubles per bin, features laid
 * end to end at `offsets[f]`.
 */

/** Where each feature's bins start in a histogram, in bins (multiply by 3 for the array index). */
export interface HistLayout {
  cols: number;
  /** offsets[f] = first bin of feature f; offsets[cols] = total bins. */
  offsets: Int32Array;
  /** Array length of one histogram. */
  size: number;
}

export function histLayout(edges: Float64Array[]): HistLayout {
  const offsets = new Int32Array(edges.length + 1);
  for (let f = 0; f < edges.length; f++) offsets[f + 1] = offsets[f]! + edges[f]!.length;
  return { cols: edges.length, offsets, size: offsets[edges.length]! * 3 };
}

/** Sums grad/hess/count of rows idx[start..end) into `hist` (which is cleared first). */
export function buildHistogram(
  hist: Float64Array,
  layout: HistLayout,
  bins: Uint8Array,
  idx: Uint32Array,
  start: number,
  end: number,
  grad: Float64Array,
  hess: Float64Array,
): void {
  hist.fill(0);
  const cols = layout.cols;
  const offsets = layout.offsets;
  for (let i = start; i < end; i++) {
    const r = idx[i]!;
    const g = grad[r]!;
    const h = hess[r]!;
    const o = r * cols;
    for (let f = 0; f < cols; f++) {
      const j = (offsets[f]! + bins[o + f]!) * 3;
      hist[j]! += g;
      hist[j + 1]! += h;
      hist[j + 2]! += 1;
    }
  }
}

/** parent -= child, in place: the sibling's histogram without a pass over its rows. */
export function subtractInto(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i]! -= child[i]!;
}

/** What a split needs to be admissible. */
export interface SplitRules {
  l2: number;
  minSamplesLeaf: number;
  /** Each side's hessian sum must reach this (keeps leaf values finite when probabilities saturate). */
  minHessian: number;
  minGain: number;
}

/** The best split of a node: rows with bin ≤ `bin` of `feature` go left. */
export interface Split {
  feature: number;
  bin: number;
  gain: number;
  gl: number;
  hl: number;
  cl: number;
  gr: number;
  hr: number;
  cr: number;
}

/**
 * The split maximising the second-order gain GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ), or null when no
 * admissible split has gain > minGain. Ties keep the first (lowest feature, then lowest bin).
 */
export function bestSplit(
  hist: Float64Array,
  layout: HistLayout,
  G: number,
  H: number,
  C: number,
  rules: SplitRules,
): Split | null {
  const { l2, minSamplesLeaf, minHessian } = rules;
  const parent = (G * G) / (H + l2);
  let best: Split | null = null;
  let bestGain = rules.minGain;
  const offsets = layout.offsets;
  for (let f = 0; f < layout.cols; f++) {
    const first = offsets[f]!;
    const last = offsets[f + 1]! - 1;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    // The last bin cannot be a split point: nothing would go right.
    for (let b = first; b < last; b++) {
      const j = b * 3;
      gl += hist[j]!;
      hl += hist[j + 1]!;
      cl += hist[j + 2]!;
      if (cl < minSamplesLeaf) continue;
      const cr = C - cl;
      if (cr < minSamplesLeaf) break;
      if (hl < minHessian) continue;
      const hr = H - hl;
      if (hr < minHessian) continue;
      const gr = G - gl;
      const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
      if (gain > bestGain) {
        bestGain = gain;
        best = { feature: f, bin: b - first, gain, gl, hl, cl, gr, hr, cr };
      }
    }
  }
  return best;
}
