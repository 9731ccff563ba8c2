import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { invalidParam, isKeelError, KeelError } from '../core/errors.js';
import type { BlobInfo, BlobSource } from './store.js';

/** Shared by both backends: turning a BlobSource into bytes, hashing them, and naming failures. */

const SHA256_RE = /^[0-9a-f]{64}$/;

/** True if `value` is a 64-char lowercase hex sha256. */
export const isSha256 = (value: string): boolean => SHA256_RE.test(value);

/** Returns `value` if it is a lowercase hex sha256; rejects anything else, since hashes become paths and keys. */
export function checkSha256(value: string, field = 'sha256'): string {
  if (!isSha256(value)) throw invalidParam(`${field} must be 64 lowercase hex characters`, field);
  return value;
}

/** Path segments of a blob under the store root: sha256/ab/cd/<hash>. */
export const blobSegments = (sha256: string): string[] => [
  'sha256',
  sha256.slice(0, 2),
  sha256.slice(2, 4),
  sha256,
];

/** A byte stream over any BlobSource; Readables pass through untouched. */
export function toReadable(source: BlobSource): Readable {
  if (typeof source === 'string') return Readable.from([Buffer.from(source, 'utf8')], { objectMode: false });
  if (source instanceof Uint8Array) return Readable.from([source], { objectMode: false });
  if (source instanceof Readable) return source;
  // Byte mode so the buffer limit counts bytes, not chunks: 16 buffered 1 MiB chunks would be 16 MiB.
  return Readable.from(source, { objectMode: false });
}

/** Pass-through that computes the sha256 and size of everything flowing through it. */
export class Sha256Meter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  // Not `size`: lib-storage reads Body.size as the total length and would expect 0 parts.
  private bytes = 0;
  private result: BlobInfo | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = { sha256: this.hash.digest('hex'), size: this.bytes };
    callback();
  }

  /** Hash and size; only valid once the stream has been fully consumed. */
  info(): BlobInfo {
    if (!this.result) throw new KeelError('INTERNAL_ERROR', 'blob hash read before the stream ended');
    return this.result;
  }
}

// What pipeline() throws into a stream it tears down because some *other* stream failed.
const FORWARDED = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED']);

/**
 * Remembers an error raised by the caller's own stream, so a broken upload is reported as the
 * caller's problem (BAD_REQUEST) rather than a storage fault. Errors that pipeline() forwards into
 * the source after storage failed must not count, hence storageFailed().
 */
export class SourceWatch {
  private error: unknown;
  private decided = false;

  constructor(source: Readable) {
    source.once('error', (e: unknown) => {
      const code = (e as { code?: unknown } | null)?.code;
      if (!this.decided && !(typeof code === 'string' && FORWARDED.has(code))) this.error = e;
      this.decided = true;
    });
  }

  /** Marks storage as the first thing that broke. */
  storageFailed(): void {
    this.decided = true;
  }

  /** The source's own error, if it failed first. */
  get failure(): unknown {
    return this.error;
  }
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Wraps a put() failure in a KeelError, blaming the source if it broke first. */
export function putError(e: unknown, watch: SourceWatch): KeelError {
  if (isKeelError(e)) return e;
  if (watch.failure !== undefined) {
    const err = new KeelError('BAD_REQUEST', `upload stream failed: ${messageOf(watch.failure)}`);
    err.cause = watch.failure;
    return err;
  }
  return storageError('store blob', e);
}

/** Wraps an unexpected backend failure; KeelErrors pass through. */
export function storageError(action: string, e: unknown): KeelError {
  if (isKeelError(e)) return e;
  const err = new KeelError('INTERNAL_ERROR', `artifact store could not ${action}: ${messageOf(e)}`);
  err.cause = e;
  return err;
}
