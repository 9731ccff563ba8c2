import type { Readable } from 'node:stream';

/** A stored blob: named by the sha256 of its bytes. */
export interface BlobInfo {
  sha256: string;
  size: number;
}

export type BlobSource = Readable | AsyncIterable<Uint8Array> | Uint8Array | string;

/**
 * Content-addressed blob store. Backends differ only behind this interface (fs.ts, s3.ts).
 * Writes are atomic: a blob is visible under its hash only once it is completely written.
 */
export interface BlobStore {
  readonly kind: 'fs' | 's3';
  /** Human-readable location, e.g. the folder or s3://bucket/prefix. */
  readonly location: string;
  /**
   * Streams `source` in (constant memory), hashing as it goes, and stores it under its sha256.
   * Storing content that already exists is a no-op that returns the same info. With
   * `expectedSha256`, a mismatch rejects with INVALID_PARAMETER_VALUE and stores nothing.
   */
  put(source: BlobSource, opts?: { expectedSha256?: string }): Promise<BlobInfo>;
  /** A stream of the blob's bytes; rejects with RESOURCE_DOES_NOT_EXIST if absent. */
  get(sha256: string): Promise<Readable>;
  /** Size of the blob, or null if absent. */
  head(sha256: string): Promise<BlobInfo | null>;
  /** Every stored blob (order unspecified). */
  list(): AsyncIterable<BlobInfo>;
  /** Removes the blob; returns false if it was not there. */
  delete(sha256: string): Promise<boolean>;
  /** Releases clients and handles. */
  close(): Promise<void>;
}
