/**
 * Tiny byte codec for the sketches' compact serialisations: unsigned LEB128 varints (counts up to
 * 2^53, so plain arithmetic rather than 32-bit shifts), zigzag for signed keys, little-endian
 * float64. Kept here so hll.ts and quantiles.ts share one tested implementation.
 */
import { invalidParam } from '../core/errors.js';

/** Growable byte buffer with varint/float64 writers. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** One raw byte (0..255). */
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** Unsigned integer 0..2^53-1 as LEB128. */
  uvarint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw invalidParam(`cannot encode ${n} as an unsigned varint`);
    this.reserve(8);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  /** Signed safe integer, zigzag-encoded so small negatives stay short. */
  svarint(n: number): void {
    this.uvarint(n < 0 ? -2 * n - 1 : 2 * n);
  }

  /** IEEE-754 double, little-endian. */
  float64(x: number): void {
    this.reserve(8);
    this.view.setFloat64(this.len, x, true);
    this.len += 8;
  }

  /** The bytes written so far as base64. */
  toBase64(): string {
    return Buffer.from(this.buf.buffer, 0, this.len).toString('base64');
  }
}

const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Whether `b64` matches /^[A-Za-z0-9+/]*={0,2}$/, given the length Buffer decoded it to. A regex
 * over a dense HLL (22 KB of base64) costs ~0.1 ms, ~15× the decode, so padded strings (all that
 * `toBase64` writes) are checked from the decoded length instead: Buffer skips characters outside
 * the alphabet and stops at an inner '=', so any such junk leaves fewer bytes than 3/4 of the
 * length minus the padding. What Buffer does not skip is checked apart: the URL-safe '-' and '_',
 * and characters beyond ASCII (it decodes a UTF-16 unit by its low byte).
 */
function isBase64(b64: string, decodedLength: number): boolean {
  const n = b64.length;
  if (n % 4 !== 0) return STRICT_BASE64.test(b64);
  let pad = 0;
  while (pad < 3 && pad < n && b64.charCodeAt(n - 1 - pad) === 0x3d) pad++;
  return (
    pad <= 2 &&
    decodedLength === (n / 4) * 3 - pad &&
    Buffer.byteLength(b64, 'utf8') === n &&
    b64.indexOf('-') < 0 &&
    b64.indexOf('_') < 0
  );
}

/** Reader matching ByteWriter; every read is bounds-checked and throws a typed error on bad input. */
export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Decode base64 (rejecting anything that is not base64, since Buffer silently skips junk). */
  static fromBase64(b64: string, what: string): ByteReader {
    if (typeof b64 !== 'string') throw invalidParam(`${what}: not base64`);
    const bytes = Buffer.from(b64, 'base64');
    if (!isBase64(b64, bytes.length)) throw invalidParam(`${what}: not base64`);
    return new ByteReader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), what);
  }

  private fail(): never {
    throw invalidParam(`${this.what}: truncated or corrupt data`);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  byte(): number {
    const b = this.buf[this.pos++];
    if (b === undefined) this.fail();
    return b;
  }

  uvarint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
      if (mul > 2 ** 49) this.fail();
    }
    return n;
  }

  svarint(): number {
    const z = this.uvarint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }

  float64(): number {
    if (this.pos + 8 > this.buf.length) this.fail();
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  /** A view of the next n bytes. */
  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) this.fail();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Throw unless every byte was consumed (trailing garbage means a corrupt or foreign blob). */
  end(): void {
    if (this.pos !== this.buf.length) this.fail();
  }
}
