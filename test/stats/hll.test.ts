import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import { HLL_SEEDS, HLL_STD_ERROR, Hll, murmur3Float64, murmur3Utf16 } from '../../src/stats/hll.js';

const relErr = (est: number, n: number): number => Math.abs(est - n) / n;

/** Textbook byte-wise MurmurHash3 x86_32, independent of the implementation under test. */
function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  const mix = (k: number) => Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
  let h = seed | 0;
  const blocks = bytes.length >> 2;
  for (let b = 0; b < blocks; b++) {
    const o = b * 4;
    const k = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
    h = (Math.imul(rotl(h ^ mix(k), 13), 5) + 0xe6546b64) | 0;
  }
  const t = blocks * 4;
  if (bytes.length > t) {
    // Tail: the remaining 1–3 bytes, little-endian.
    let k = 0;
    for (let i = bytes.length - 1; i >= t; i--) k = (k << 8) | bytes[i]!;
    h ^= mix(k);
  }
  h ^= bytes.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

describe('MurmurHash3 (the HLL hash)', () => {
  it('the reference implementation matches published test vectors', () => {
    const v = (bytes: number[], seed: number) => murmur3Bytes(Uint8Array.from(bytes), seed);
    expect(v([], 0)).toBe(0);
    expect(v([], 1)).toBe(0x514e28b7);
    expect(v([], 0xffffffff)).toBe(0x81f16f39);
    expect(v([0xff, 0xff, 0xff, 0xff], 0)).toBe(0x76293b50);
    expect(v([0x21, 0x43, 0x65, 0x87], 0)).toBe(0xf55b516b);
    expect(v([0x21, 0x43, 0x65, 0x87], 0x5082edee)).toBe(0x2362f9de);
    expect(v([0x21, 0x43, 0x65], 0)).toBe(0x7e4a8634);
    expect(v([0x21, 0x43], 0)).toBe(0xa0f7b07a);
    expect(v([0x21], 0)).toBe(0x72661cf4);
    expect(v([0, 0, 0, 0], 0)).toBe(0x2362f9de);
  });

  it('strings hash as their UTF-16LE bytes, numbers as their float64 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.double(), fc.integer(), (str, x, seed) => {
        expect(murmur3Utf16(str, seed)).toBe(murmur3Bytes(new Uint8Array(Buffer.from(str, 'utf16le')), seed));
        const bytes = new Uint8Array(8);
        new DataView(bytes.buffer).setFloat64(0, x === 0 ? 0 : x, true);
        expect(murmur3Float64(x, seed)).toBe(murmur3Bytes(bytes, seed));
      }),
    );
  });

  it('Hll.add and addNumber set the register the two seeded hashes name', () => {
    for (const [value, h1, h2] of [
      ['hello', murmur3Utf16('hello', HLL_SEEDS[0]), murmur3Utf16('hello', HLL_SEEDS[1])],
      ['odd', murmur3Utf16('odd', HLL_SEEDS[0]), murmur3Utf16('odd', HLL_SEEDS[1])],
      [1.5, murmur3Float64(1.5, HLL_SEEDS[0]), murmur3Float64(1.5, HLL_SEEDS[1])],
    ] as const) {
      const h = new Hll();
      if (typeof value === 'string') h.add(value);
      else h.addNumber(value);
      const expected = new Uint8Array(16384);
      expected[h1 >>> 18] = Math.clz32(h2) + 1;
      expect(Buffer.from(h.registers).equals(expected)).toBe(true);
    }
  });
});

describe('HyperLogLog', () => {
  it('states ~0.81 % standard error at precision 14', () => {
    expect(HLL_STD_ERROR).toBeCloseTo(0.0081, 4);
  });

  it('estimates 100k distinct strings within 3 % (and numbers too)', () => {
    const s = new Hll();
    const n = new Hll();
    for (let i = 0; i < 100_000; i++) {
      s.add(`user-${i}`);
      s.add(`user-${i}`); // repeats change nothing
      n.addNumber(i * 0.5);
    }
    expect(relErr(s.estimate(), 100_000)).toBeLessThan(0.03);
    expect(relErr(n.estimate(), 100_000)).toBeLessThan(0.03);
  });

  it('stays within 3 % across cardinalities from 1 to 1M, including the linear-counting range', () => {
    const h = new Hll();
    let added = 0;
    for (const target of [1, 10, 100, 1000, 10_000, 30_000, 50_000, 80_000, 300_000, 1_000_000]) {
      for (; added < target; added++) h.add(`k${added}:${added * 7919}`);
      const est = h.estimate();
      if (target <= 100) expect(Math.abs(est - target)).toBeLessThanOrEqual(2);
      else expect(relErr(est, target)).toBeLessThan(0.03);
    }
  });

  it('is 0 when empty and counts 0 and -0 as one value', () => {
    const h = new Hll();
    expect(h.estimate()).toBe(0);
    h.addNumber(0);
    h.addNumber(-0);
    expect(Math.round(h.estimate())).toBe(1);
  });

  it('hashes odd-length and non-ASCII strings distinctly', () => {
    const h = new Hll();
    for (const v of ['', 'a', 'ab', 'abc', 'é', 'e\u0301', '😀', '日本語']) h.add(v);
    expect(Math.round(h.estimate())).toBe(8);
  });

  it('merge equals the sketch of the union exactly, and is commutative and associative', () => {
    const arr = fc.array(fc.oneof(fc.string(), fc.integer().map(String)), { maxLength: 300 });
    fc.assert(
      fc.property(arr, arr, arr, (a, b, c) => {
        const of = (xs: string[]) => {
          const h = new Hll();
          for (const x of xs) h.add(x);
          return h;
        };
        // Registers identical, byte for byte (compared as buffers: toEqual on 16 KiB is slow).
        const union = Buffer.from(of([...a, ...b, ...c]).registers);
        expect(union.equals(of(a).merge(of(b)).merge(of(c)).registers)).toBe(true);
        expect(union.equals(of(c).merge(of(b).merge(of(a))).registers)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('merges any registers as their byte-wise maximum, and decodes ranks up to 33 only', () => {
    const registers = fc.uint8Array({ min: 0, max: 33, minLength: 1 << 10, maxLength: 1 << 10 });
    fc.assert(
      fc.property(registers, registers, (ra, rb) => {
        const [a, b] = [new Hll(10), new Hll(10)];
        a.registers.set(ra);
        b.registers.set(rb);
        a.merge(b);
        const max = Buffer.from(ra.map((r, i) => Math.max(r, rb[i]!)));
        expect(max.equals(a.registers)).toBe(true);
        expect(max.equals(Hll.fromBase64(a.toBase64()).registers)).toBe(true);
      }),
      { numRuns: 30 },
    );
    // Every byte position of a 32-bit word, in the dense and the sparse format.
    const h = new Hll(10);
    for (const filled of [300, 0])
      for (const i of [0, 1, 2, 3, 517, 1023])
        for (const rank of [33, 34, 64, 200]) {
          h.registers.fill(0).fill(1, 0, filled);
          h.registers[i] = rank;
          if (rank <= 33) expect(Hll.fromBase64(h.toBase64()).registers[i]).toBe(rank);
          else expect(() => Hll.fromBase64(h.toBase64())).toThrow(/out of range/);
        }
  });

  it('round-trips through base64, sparse and dense', () => {
    for (const n of [0, 3, 1000, 200_000]) {
      const h = new Hll();
      for (let i = 0; i < n; i++) h.addNumber(i);
      const b64 = h.toBase64();
      const back = Hll.fromBase64(b64);
      expect(back.registers).toEqual(h.registers);
      expect(back.toBase64()).toBe(b64);
      if (n <= 1000) expect(b64.length).toBeLessThan(4000); // sparse: far below 16 KiB
    }
  });

  it('rejects corrupt input with a typed error', () => {
    for (const bad of ['', '!!!', 'AQ4C', Buffer.from([1, 14, 0, 1]).toString('base64')]) {
      try {
        Hll.fromBase64(bad);
        expect.unreachable();
      } catch (e) {
        expect(isKeelError(e)).toBe(true);
      }
    }
    expect(() => new Hll().merge(new Hll(12))).toThrow(/precision/);
  });
});
