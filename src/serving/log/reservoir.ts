/**
 * Bounded uniform samples of raw rows (Algorithm R), and the merge of two such samples into a
 * uniform sample of the union — which is what lets each checkpoint sample only the rows since the
 * last one and fold them into the stored segment, like profiles.
 */

/** A uniform sample of at most `capacity` of the `seen` items offered. */
export class Reservoir<T> {
  readonly sample: T[] = [];
  seen = 0;

  constructor(
    readonly capacity: number,
    private readonly random: () => number,
  ) {}

  /**
   * Offers the next item; `make` builds it only when it is kept, so rows that are not sampled
   * cost one random number.
   */
  offer(make: () => T): void {
    const n = this.seen++;
    if (this.sample.length < this.capacity) {
      this.sample.push(make());
      return;
    }
    const j = Math.floor(this.random() * (n + 1));
    if (j < this.capacity) this.sample[j] = make();
  }
}

/**
 * A uniform sample of at most `capacity` items of the union of two disjoint populations, given
 * a uniform sample of each (of min(capacity, seen) items) and their sizes. Each draw takes from
 * a side with probability proportional to its population not yet drawn — the hypergeometric split
 * of a uniform sample of the union — and a uniformly chosen, not yet taken item of that side.
 */
export function mergeSamples<T>(
  a: { sample: readonly T[]; seen: number },
  b: { sample: readonly T[]; seen: number },
  capacity: number,
  random: () => number,
): { sample: T[]; seen: number } {
  const seen = a.seen + b.seen;
  const k = Math.min(capacity, seen, a.sample.length + b.sample.length);
  const left = [a.sample.slice(), b.sample.slice()];
  const population = [a.seen, b.seen];
  const out: T[] = [];
  for (let d = 0; d < k; d++) {
    const pa = population[0]!;
    const total = pa + population[1]!;
    let side = random() * total < pa ? 0 : 1;
    // A side whose sample ran out has no population left either, unless its sample was cut short.
    if (left[side]!.length === 0) side = 1 - side;
    const pool = left[side]!;
    const j = Math.floor(random() * pool.length);
    out.push(pool[j]!);
    pool[j] = pool[pool.length - 1]!;
    pool.pop();
    population[side]!--;
  }
  return { sample: out, seen };
}
