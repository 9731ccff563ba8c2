/**
 * One regression tree over binned data, grown to `maxDepth` with histograms and the subtraction
 * trick (build the smaller child's histogram, subtract it from the parent's for the larger one).
 * No leaf-count limit applies, so the tree equals a level-by-level (depth-wise) growth; nodes are
 * expanded depth-first only to keep at most two histograms per level alive.
 */
import type { BinnedMatrix } from './binning.js';
import {
  bestSplit,
  buildHistogram,
  type HistLayout,
  histLayout,
  type SplitRules,
  subtractInto,
} from './histogram.js';

/**
 * A fitted tree as flat arrays indexed by node id (root 0). Internal nodes send `x <= threshold` to
 * `left`; leaves have feature -1 and carry `value`. Thresholds and values are float32 numbers.
 */
export interface GbdtTree {
  /** The score column this tree adds to (the class for multiclass, else 0). */
  target: number;
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Leaf values (0 on internal nodes). */
  value: number[];
  /** Split gains (0 on leaves), for feature importance. */
  gain: number[];
}

/** Growth settings shared by every tree of a model. */
export interface GrowRules extends SplitRules {
  maxDepth: number;
  learningRate: number;
}

interface Pending {
  node: number;
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  hist: Float64Array | null;
}

/** Buffers reused across trees: row partitions and a histogram pool (no per-row allocation). */
export class TreeGrower {
  private readonly idx: Uint32Array;
  private readonly tmp: Uint32Array;
  private readonly layout: HistLayout;
  private readonly pool: Float64Array[] = [];

  constructor(
    private readonly data: BinnedMatrix,
    private readonly rules: GrowRules,
  ) {
    this.idx = new Uint32Array(data.rows);
    this.tmp = new Uint32Array(data.rows);
    this.layout = histLayout(data.edges);
  }

  /**
   * Grows one tree on gradients/hessians (length rows) and adds each leaf's value to
   * `scores[r * stride + target]` for the rows it holds, keeping the training scores current.
   */
  grow(
    grad: Float64Array,
    hess: Float64Array,
    scores: Float64Array,
    stride: number,
    target: number,
  ): GbdtTree {
    const { rows, bins, edges } = this.data;
    const { maxDepth, minSamplesLeaf, l2, learningRate } = this.rules;
    const idx = this.idx;
    for (let i = 0; i < rows; i++) idx[i] = i;
    let g0 = 0;
    let h0 = 0;
    for (let r = 0; r < rows; r++) {
      g0 += grad[r]!;
      h0 += hess[r]!;
    }
    const tree: GbdtTree = { target, feature: [], threshold: [], left: [], right: [], value: [], gain: [] };
    const newNode = (): number => {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(0);
      tree.gain.push(0);
      return tree.feature.length - 1;
    };
    const splittable = (n: number, depth: number): boolean => depth < maxDepth && n >= 2 * minSamplesLeaf;

    const root: Pending = { node: newNode(), start: 0, end: rows, depth: 0, g: g0, h: h0, hist: null };
    if (splittable(rows, 0)) {
      root.hist = this.take();
      buildHistogram(root.hist, this.layout, bins, idx, 0, rows, grad, hess);
    }
    const stack: Pending[] = [root];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const split = p.hist ? bestSplit(p.hist, this.layout, p.g, p.h, p.end - p.start, this.rules) : null;
      if (!split) {
        if (p.hist) this.pool.push(p.hist);
        // Leaf values are float32 so that training scores, raw() and onnxruntime add the same numbers.
        // (+ 0 turns the -0 of a zero gradient sum into 0.)
        const v = Math.fround((-p.g / Math.max(p.h + l2, 1e-15)) * learningRate) + 0;
        tree.value[p.node] = v;
        for (let i = p.start; i < p.end; i++) scores[idx[i]! * stride + target]! += v;
        continue;
      }
      const mid = this.partition(p.start, p.end, split.feature, split.bin);
      const l = newNode();
      const r = newNode();
      tree.feature[p.node] = split.feature;
      tree.threshold[p.node] = Math.fround(edges[split.feature]![split.bin]!);
      tree.left[p.node] = l;
      tree.right[p.node] = r;
      tree.gain[p.node] = split.gain;
      const depth = p.depth + 1;
      const left: Pending = {
        node: l,
        start: p.start,
        end: mid,
        depth,
        g: split.gl,
        h: split.hl,
        hist: null,
      };
      const right: Pending = { node: r, start: mid, end: p.end, depth, g: split.gr, h: split.hr, hist: null };
      this.childHistograms(
        p.hist!,
        left,
        right,
        grad,
        hess,
        splittable(split.cl, depth),
        splittable(split.cr, depth),
      );
      stack.push(right, left);
    }
    return tree;
  }

  /** Gives each splittable child a histogram, building only the smaller child's from its rows. */
  private childHistograms(
    parent: Float64Array,
    left: Pending,
    right: Pending,
    grad: Float64Array,
    hess: Float64Array,
    leftSplits: boolean,
    rightSplits: boolean,
  ): void {
    const [small, large, smallSplits, largeSplits] =
      left.end - left.start <= right.end - right.start
        ? [left, right, leftSplits, rightSplits]
        : [right, left, rightSplits, leftSplits];
    const build = (into: Float64Array): void =>
      buildHistogram(into, this.layout, this.data.bins, this.idx, small.start, small.end, grad, hess);
    if (largeSplits) {
      const h = this.take();
      build(h);
      subtractInto(parent, h);
      large.hist = parent;
      if (smallSplits) small.hist = h;
      else this.pool.push(h);
    } else if (smallSplits) {
      build(parent);
      small.hist = parent;
    } else {
      this.pool.push(parent);
    }
  }

  /** Stable partition of idx[start..end) by bin ≤ `bin` of `feature`; returns the first right index. */
  private partition(start: number, end: number, feature: number, bin: number): number {
    const { bins, cols } = this.data;
    const idx = this.idx;
    const tmp = this.tmp;
    let w = start;
    let t = 0;
    for (let i = start; i < end; i++) {
      const r = idx[i]!;
      if (bins[r * cols + feature]! <= bin) idx[w++] = r;
      else tmp[t++] = r;
    }
    idx.set(tmp.subarray(0, t), w);
    return w;
  }

  private take(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.layout.size);
  }
}

/** The leaf value a tree gives row `r` of a row-major float matrix (compared as float32). */
export function treeValue(tree: GbdtTree, data: Float64Array, offset: number): number {
  let n = 0;
  let f = tree.feature[0]!;
  while (f >= 0) {
    n = Math.fround(data[offset + f]!) <= tree.threshold[n]! ? tree.left[n]! : tree.right[n]!;
    f = tree.feature[n]!;
  }
  return tree.value[n]!;
}
