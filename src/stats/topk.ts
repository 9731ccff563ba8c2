/**
 * Category counts. Exact while the column has at most `cap` distinct values (the common case for
 * categoricals, and what drift tests want); past the cap it becomes Space-Saving (Metwally,
 * Agrawal & El Abbadi 2005) with `cap` counters: every value with frequency > N/cap is kept, and a
 * kept count overestimates the true one by at most the smallest counter.
 *
 * Storage is one Map from value to slot plus flat arrays, so counting an already-seen value is a
 * single Map lookup and an array increment; Space-Saving adds a min-heap of slots by count.
 */
import { invalidParam } from '../core/errors.js';
import type { TopK } from './types.js';

/** Default number of tracked categories. */
export const DEFAULT_TOPK_CAP = 1000;

/** Most frequent first, then by value (code-unit order, locale-independent, so output is deterministic). */
const byCountThenValue = (a: [string, number], b: [string, number]): number =>
  b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Streaming category counter: exact under the cap, Space-Saving beyond it. */
export class TopKAccumulator {
  readonly cap: number;
  private slotOf = new Map<string, number>();
  private keys: string[] = [];
  private counts: Float64Array;
  private size = 0;
  private total = 0;
  private isExact = true;
  /** Space-Saving min-heap of slots by count, and each slot's heap position; null while exact. */
  private heap: Int32Array | null = null;
  private pos: Int32Array | null = null;

  constructor(cap = DEFAULT_TOPK_CAP) {
    if (!Number.isInteger(cap) || cap < 1) throw invalidParam('top-k cap must be a positive integer', 'cap');
    this.cap = cap;
    this.counts = new Float64Array(cap);
  }

  /** True while every value seen has its own exact count. */
  get exact(): boolean {
    return this.isExact;
  }

  /** Distinct values tracked (every distinct value seen while `exact`). */
  get tracked(): number {
    return this.size;
  }

  /** Values counted (including any mass outside the tracked items). */
  get count(): number {
    return this.total;
  }

  /**
   * Count one value. Returns true when the value was not being tracked (first sight, or re-entry
   * after eviction) — the caller can feed its distinct sketch only then, since re-adding is idempotent.
   */
  add(value: string): boolean {
    this.total++;
    const slot = this.slotOf.get(value);
    if (slot !== undefined) {
      this.counts[slot]!++;
      if (this.heap !== null) this.siftDown(this.pos![slot]!);
      return false;
    }
    if (this.size < this.cap) {
      const s = this.size++;
      this.keys[s] = value;
      this.counts[s] = 1;
      this.slotOf.set(value, s);
      if (this.heap !== null) {
        this.heap[s] = s;
        this.pos![s] = s;
        this.siftUp(s);
      }
      return true;
    }
    if (this.heap === null) this.startSpaceSaving();
    // Space-Saving: the new value takes over the smallest counter, inheriting its count (+1).
    const s = this.heap![0]!;
    this.slotOf.delete(this.keys[s]!);
    this.keys[s] = value;
    this.slotOf.set(value, s);
    this.counts[s]!++;
    this.siftDown(0);
    return true;
  }

  /** Fold `other` in: counts add (absent = 0), then the `cap` largest stay; exact iff both were and they fit. */
  merge(other: TopKAccumulator): this {
    const sums = new Map<string, number>();
    for (const acc of [this, other])
      for (let s = 0; s < acc.size; s++)
        sums.set(acc.keys[s]!, (sums.get(acc.keys[s]!) ?? 0) + acc.counts[s]!);
    const exact = this.isExact && other.isExact && sums.size <= this.cap;
    this.load([...sums], this.total + other.total, exact);
    return this;
  }

  /** The stored form: tracked values by count desc then value; `other` = mass outside them. */
  toTopK(): TopK {
    const items: [string, number][] = [];
    let held = 0;
    for (let s = 0; s < this.size; s++) {
      items.push([this.keys[s]!, this.counts[s]!]);
      held += this.counts[s]!;
    }
    items.sort(byCountThenValue);
    return { items, other: this.total - held, exact: this.isExact };
  }

  /** Rebuild an accumulator from its stored form, e.g. to merge stored profiles. */
  static fromTopK(top: TopK, cap = DEFAULT_TOPK_CAP): TopKAccumulator {
    const acc = new TopKAccumulator(cap);
    const seen = new Set<string>();
    let total = top.other;
    if (!(Number.isFinite(top.other) && top.other >= 0)) throw invalidParam('top-k: bad "other" count');
    for (const item of top.items) {
      const [value, count] = item;
      if (typeof value !== 'string' || !(Number.isFinite(count) && count > 0) || seen.has(value))
        throw invalidParam('top-k: items must be distinct [string, positive count] pairs');
      seen.add(value);
      total += count;
    }
    acc.load(
      top.items.map(([v, c]) => [v, c]),
      total,
      top.exact === true && top.items.length <= cap,
    );
    return acc;
  }

  /** Replace the state with `entries` (the `cap` largest kept) and `total`. */
  private load(entries: [string, number][], total: number, exact: boolean): void {
    entries.sort(byCountThenValue);
    const kept = Math.min(entries.length, this.cap);
    this.slotOf = new Map();
    this.keys = [];
    this.counts.fill(0);
    for (let s = 0; s < kept; s++) {
      const [v, c] = entries[s]!;
      this.keys[s] = v;
      this.counts[s] = c;
      this.slotOf.set(v, s);
    }
    this.size = kept;
    this.total = total;
    this.isExact = exact && entries.length <= this.cap;
    this.heap = null;
    this.pos = null;
    if (!this.isExact) this.startSpaceSaving();
  }

  private startSpaceSaving(): void {
    this.isExact = false;
    this.heap = new Int32Array(this.cap);
    this.pos = new Int32Array(this.cap);
    for (let s = 0; s < this.size; s++) {
      this.heap[s] = s;
      this.pos[s] = s;
    }
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(i: number): void {
    const heap = this.heap!;
    const pos = this.pos!;
    const counts = this.counts;
    const n = this.size;
    const slot = heap[i]!;
    const c = counts[slot]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && counts[heap[r]!]! < counts[heap[l]!]! ? r : l;
      if (counts[heap[child]!]! >= c) break;
      heap[i] = heap[child]!;
      pos[heap[i]!] = i;
      i = child;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  private siftUp(i: number): void {
    const heap = this.heap!;
    const pos = this.pos!;
    const slot = heap[i]!;
    const c = this.counts[slot]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.counts[heap[p]!]! <= c) break;
      heap[i] = heap[p]!;
      pos[heap[i]!] = i;
      i = p;
    }
    heap[i] = slot;
    pos[slot] = i;
  }
}

/** Count one category into `acc` (see `TopKAccumulator.add`). */
export const addCategory = (acc: TopKAccumulator, value: string): boolean => acc.add(value);

/** Merge two stored top-k summaries (exact + exact stays exact while the union fits the cap). */
export function mergeTopK(a: TopK, b: TopK, cap = DEFAULT_TOPK_CAP): TopK {
  return TopKAccumulator.fromTopK(a, cap).merge(TopKAccumulator.fromTopK(b, cap)).toTopK();
}
