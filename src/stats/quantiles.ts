/**
 * Quantile sketch: a thin wrapper over `@datadog/sketches-js`'s DDSketch (Masson et al. 2019).
 * Every quantile it returns is within `relativeAccuracy` (default 1 %) of the exact order statistic
 * sorted[⌊q·(n−1)⌋], for negative values too (a second store holds magnitudes below zero).
 * Magnitudes under ~2.2e-308 share the zero bin (an absolute error below 1e-307, not relative).
 *
 * Three things the library does not do for us:
 * - its `merge` ignores the negative store, so merging is done here bin by bin;
 * - `toProto`/`fromProto` need `protobufjs`, which the package does not depend on, so the bins
 *   are serialised here (sparse varints, canonical: same bins → same string, whatever the history);
 * - it has no min/max after decoding, so our format keeps them; answers are clamped to them and
 *   the extreme bins answer with the exact min and max.
 */
import { DDSketch } from '@datadog/sketches-js';
import { invalidParam } from '../core/errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { binIndex, emptyHistogram } from './histogram.js';
import type { Histogram } from './types.js';

/** Default relative accuracy: every quantile within ±1 % of the exact value. */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;

const FORMAT_VERSION = 1;
// Keys of finite doubles at 1 % accuracy span about ±36,000; anything far beyond is corrupt input.
const MAX_ABS_KEY = 1 << 20;

/** The library's dense store, as far as this module uses it (its fields are public in its typings). */
type Store = DDSketch['store'];

/** Mergeable, serialisable quantile sketch with relative-error guarantees. */
export class QuantileSketch {
  readonly relativeAccuracy: number;
  private readonly s: DDSketch;

  constructor(relativeAccuracy = QUANTILE_RELATIVE_ACCURACY) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1))
      throw invalidParam('relative accuracy must be in (0, 1)', 'relativeAccuracy');
    this.relativeAccuracy = relativeAccuracy;
    this.s = new DDSketch({ relativeAccuracy });
  }

  /** Values added (and merged in). */
  get count(): number {
    return this.s.count;
  }

  /** Exact minimum (+Infinity when empty). */
  get min(): number {
    return this.s.min;
  }

  /** Exact maximum (−Infinity when empty). */
  get max(): number {
    return this.s.max;
  }

  /** Add one finite value (NaN and ±Infinity would corrupt the bins, so they throw). */
  add(x: number): void {
    if (x - x !== 0) throw invalidParam(`cannot add ${x} to a quantile sketch`);
    this.s.accept(x);
  }

  /** Fold `other` in; the result is bin-for-bin the sketch of the union. */
  merge(other: QuantileSketch): this {
    if (other.relativeAccuracy !== this.relativeAccuracy)
      throw invalidParam('cannot merge quantile sketches of different relative accuracy');
    const a = this.s;
    const b = other.s;
    if (b.count === 0) return this;
    addStore(a.store, b.store);
    addStore(a.negativeStore, b.negativeStore);
    a.zeroCount += b.zeroCount;
    a.count += b.count;
    a.sum += b.sum;
    if (b.min < a.min) a.min = b.min;
    if (b.max > a.max) a.max = b.max;
    return this;
  }

  /** Estimated q-quantile (0 ≤ q ≤ 1) within the relative accuracy; exact at 0 and 1; NaN when empty. */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw invalidParam('quantile must be in [0, 1]', 'q');
    if (this.s.count === 0) return Number.NaN;
    if (q === 0) return this.s.min;
    if (q === 1) return this.s.max;
    return this.snapper()(this.s.getValueAtQuantile(q));
  }

  /**
   * Estimated fraction of values ≤ x: the share of bins whose representative value is ≤ x. Exact
   * except for values within the relative accuracy of x, i.e. F(x/(1+α)) ≤ cdf(x) ≤ F(x·(1+α))
   * for x > 0 (mirrored below 0). NaN when empty.
   */
  cdf(x: number): number {
    if (this.s.count === 0) return Number.NaN;
    let below = 0;
    this.forEachBin((v, c) => {
      if (v <= x) below += c;
    });
    return below / this.s.count;
  }

  /** Visit every non-empty bin in increasing value order: its representative (see `snapper`) and count. */
  forEachBin(visit: (value: number, count: number) => void): void {
    const { mapping, negativeStore: neg, store: pos } = this.s;
    const snap = this.snapper();
    for (let i = neg.bins.length - 1; i >= 0; i--) {
      const c = neg.bins[i]!;
      if (c > 0) visit(snap(-mapping.value(i + neg.offset)), c);
    }
    if (this.s.zeroCount > 0) visit(snap(0), this.s.zeroCount);
    for (let i = 0; i < pos.bins.length; i++) {
      const c = pos.bins[i]!;
      if (c > 0) visit(snap(mapping.value(i + pos.offset)), c);
    }
  }

  /** The representative value of the bin `x` falls in (as the library computes it). */
  private binValue(x: number): number {
    const { mapping } = this.s;
    if (x > mapping.minPossible) return mapping.value(mapping.key(x));
    if (x < -mapping.minPossible) return -mapping.value(mapping.key(-x));
    return 0;
  }

  /**
   * Maps a bin representative to a better estimate: the bins holding the min and the max answer
   * with the exact min and max (so a constant or two-valued column gets its exact values), and
   * everything is clamped to [min, max], which can only reduce the error.
   */
  private snapper(): (v: number) => number {
    const { min, max } = this.s;
    const lo = this.binValue(min);
    const hi = this.binValue(max);
    return (v) => (v === hi ? max : v === lo ? min : Math.min(Math.max(v, min), max));
  }

  /**
   * Compact base64: version, relative accuracy, min, max, zero count, then per store (positive,
   * negative) the non-empty bins as (key delta, count) varints. Canonical: equal bins, equal string.
   */
  toBase64(): string {
    const w = new ByteWriter();
    w.byte(FORMAT_VERSION);
    w.float64(this.relativeAccuracy);
    w.float64(this.s.min);
    w.float64(this.s.max);
    w.uvarint(this.s.zeroCount);
    writeStore(w, this.s.store);
    writeStore(w, this.s.negativeStore);
    return w.toBase64();
  }

  /** Decode `toBase64()` output; throws INVALID_PARAMETER_VALUE on anything else. */
  static fromBase64(b64: string): QuantileSketch {
    const r = ByteReader.fromBase64(b64, 'quantile sketch');
    if (r.byte() !== FORMAT_VERSION) throw invalidParam('quantile sketch: unknown format version');
    const sketch = new QuantileSketch(r.float64());
    const s = sketch.s;
    const min = r.float64();
    const max = r.float64();
    s.zeroCount = r.uvarint();
    const n = s.zeroCount + readStore(r, s.store) + readStore(r, s.negativeStore);
    r.end();
    if (n > 0 && !(Number.isFinite(min) && Number.isFinite(max) && min <= max))
      throw invalidParam('quantile sketch: corrupt min/max');
    s.count = n;
    s.min = n > 0 ? min : Number.POSITIVE_INFINITY;
    s.max = n > 0 ? max : Number.NEGATIVE_INFINITY;
    // The library's running sum is not part of the format; nothing here reads it.
    s.sum = Number.NaN;
    return sketch;
  }
}

/** Add every bin of `src` to `dst`, widest keys first so `dst` grows at most twice. */
function addStore(dst: Store, src: Store): void {
  if (src.count === 0) return;
  let first = -1;
  let last = -1;
  for (let i = 0; i < src.bins.length; i++) {
    if (src.bins[i]! > 0) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return;
  dst.add(first + src.offset, src.bins[first]!);
  if (last !== first) dst.add(last + src.offset, src.bins[last]!);
  for (let i = first + 1; i < last; i++) {
    const c = src.bins[i]!;
    if (c > 0) dst.add(i + src.offset, c);
  }
}

function writeStore(w: ByteWriter, st: Store): void {
  let n = 0;
  for (const c of st.bins) if (c > 0) n++;
  w.uvarint(n);
  let prev = 0;
  let started = false;
  for (let i = 0; i < st.bins.length; i++) {
    const c = st.bins[i]!;
    if (!(c > 0)) continue;
    const key = i + st.offset;
    if (started) w.uvarint(key - prev);
    else w.svarint(key);
    w.uvarint(c);
    prev = key;
    started = true;
  }
}

// Scratch for the bins of one store being read (grown as needed; reading is synchronous).
let scratchKeys = new Int32Array(1024);
let scratchCounts = new Float64Array(1024);

/**
 * Read one store's bins into the empty store `st`; returns the count it holds. The bins are
 * validated first, then laid out in one array spanning exactly [lowest, highest key]: adding them
 * one by one, the library's store grows and re-centres (copying its bins) whenever a key falls
 * outside its range — every 64 keys in ascending order. The fields set are the store's public
 * state, as its own `copy` sets them: bins[i] counts key offset + i, minKey/maxKey bound the keys.
 */
function readStore(r: ByteReader, st: Store): number {
  const n = r.uvarint();
  if (n > 2 * MAX_ABS_KEY) throw invalidParam('quantile sketch: too many bins');
  if (n > scratchKeys.length) {
    const size = Math.max(n, 2 * scratchKeys.length);
    scratchKeys = new Int32Array(size);
    scratchCounts = new Float64Array(size);
  }
  const keys = scratchKeys;
  const counts = scratchCounts;
  let key = 0;
  let total = 0;
  for (let j = 0; j < n; j++) {
    if (j === 0) key = r.svarint();
    else {
      const delta = r.uvarint();
      if (delta === 0) throw invalidParam('quantile sketch: corrupt bin keys');
      key += delta;
    }
    const c = r.uvarint();
    if (Math.abs(key) > MAX_ABS_KEY || c === 0) throw invalidParam('quantile sketch: corrupt bin');
    keys[j] = key;
    counts[j] = c;
    total += c;
  }
  if (n === 0) return 0;
  const lo = keys[0]!;
  const hi = keys[n - 1]!;
  const bins = new Array<number>(hi - lo + 1).fill(0);
  for (let j = 0; j < n; j++) bins[keys[j]! - lo] = counts[j]!;
  st.bins = bins;
  st.offset = lo;
  st.minKey = lo;
  st.maxKey = hi;
  st.count = total;
  return total;
}

/**
 * Approximate histogram of the sketch on `edges`: each sketch bin's count goes wholly to the edge
 * bin holding its representative value, so counts are integers summing to the sketch's count and
 * are exact except for values within the relative accuracy of an edge.
 */
export function histogramFromSketch(sketch: QuantileSketch, edges: readonly number[]): Histogram {
  const h = emptyHistogram(edges);
  const nBins = h.counts.length;
  sketch.forEachBin((v, c) => {
    const i = binIndex(h.edges, v);
    if (i < 0) h.underflow += c;
    else if (i >= nBins) h.overflow += c;
    else h.counts[i]! += c;
  });
  return h;
}
