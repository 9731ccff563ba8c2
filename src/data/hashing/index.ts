import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { invalidParam, type KeelError, notFound } from '../../core/errors.js';
import type { FileStamp, HashCache } from './cache.js';
import { type FileHash, FileHasher, type HashedFile } from './hash-file.js';
import { hashInWorkers, PoolFileError, workerUrl } from './pool.js';

export { type FileStamp, HashCache, type HashCacheEntry, hashCachePath } from './cache.js';
export { type FileHash, FileHasher } from './hash-file.js';
export { walkFiles } from './walk.js';

/** How `hashFiles` reports progress, how many threads it may use, and its cache. */
export interface HashOptions {
  /** Called as bytes are hashed (cached files count as done at once); the last call has done === total. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Most worker threads to use (default: one per core); 0 hashes on the main thread. */
  workers?: number;
  /** Skips files whose inode, size and mtime match a cached hash; saved when it changed. */
  cache?: HashCache;
}

/** Hashes by the paths as given, plus what the run did. */
export class HashResults extends Map<string, FileHash> {
  /** Files read and hashed in this run. */
  hashed = 0;
  /** Files answered from the cache. */
  cached = 0;
  /** Worker threads started (0: main thread or nothing to hash). */
  threads = 0;
}

// Below this a pool costs more to start (~30 ms a worker) than it saves.
const POOL_MIN_FILES = 32;
const POOL_MIN_BYTES = 32 * 2 ** 20;
// Main-thread fallback: a few files in flight hide open/close latency behind hashing.
const MAIN_THREAD_CONCURRENCY = 4;
const STAT_CONCURRENCY = 64;

/**
 * sha256 and size of each file. Several files go to a pool of worker threads (one per core, a
 * shared queue, largest first); a single file streams on this thread with large overlapped reads,
 * which is as fast as a worker without its start-up. Fails (naming the file) on a missing or
 * unreadable path.
 */
export async function hashFiles(paths: string[], opts: HashOptions = {}): Promise<HashResults> {
  const results = new HashResults();
  const unique = [...new Set(paths)];
  const stamps = await mapLimit(unique, STAT_CONCURRENCY, stampOf);
  const total = stamps.reduce((s, st) => s + st.size, 0);
  let done = 0;
  const pending: number[] = [];
  for (const [i, p] of unique.entries()) {
    const sha256 = opts.cache?.lookup(path.resolve(p), stamps[i]!);
    if (sha256 === undefined) pending.push(i);
    else {
      results.set(p, { sha256, size: stamps[i]!.size });
      results.cached++;
      done += stamps[i]!.size;
    }
  }
  const progress = (bytes: number): void => {
    done += bytes;
    opts.onProgress?.(done, total);
  };
  opts.onProgress?.(done, total);
  if (pending.length > 0) {
    const hashes = await hashSome(
      unique,
      pending,
      stamps,
      opts.workers ?? os.availableParallelism(),
      progress,
      results,
    );
    for (const i of pending) {
      const { sha256, size, stamp } = hashes[i]!;
      results.set(unique[i]!, { sha256, size });
      // Cache a hash only if the file did not change between the stat above and its last byte read.
      const before = stamps[i]!;
      const same =
        stamp.inode === before.inode && stamp.size === before.size && stamp.mtimeMs === before.mtimeMs;
      if (same && size === before.size) opts.cache?.store(path.resolve(unique[i]!), before, sha256);
    }
    results.hashed = pending.length;
    // Files can change size while hashed: end on exactly total so a progress bar completes.
    if (done !== total) {
      done = total;
      opts.onProgress?.(done, total);
    }
  }
  await opts.cache?.save();
  return results;
}

/** Hashes the files at `pending` indices: in a worker pool when it pays, else on this thread. */
async function hashSome(
  paths: string[],
  pending: number[],
  stamps: FileStamp[],
  maxWorkers: number,
  progress: (bytes: number) => void,
  results: HashResults,
): Promise<HashedFile[]> {
  const bytes = pending.reduce((s, i) => s + stamps[i]!.size, 0);
  const order = [...pending].sort((a, b) => stamps[b]!.size - stamps[a]!.size);
  const url = workerUrl();
  const threads = Math.min(maxWorkers, pending.length);
  if (url && threads > 1 && (pending.length >= POOL_MIN_FILES || bytes >= POOL_MIN_BYTES)) {
    results.threads = threads;
    try {
      return await hashInWorkers(url, paths, order, threads, progress);
    } catch (e) {
      if (e instanceof PoolFileError) throw fileError(paths[e.index]!, e.code, e.message);
      throw e;
    }
  }
  const out: HashedFile[] = new Array(paths.length);
  const hashers: FileHasher[] = [];
  await mapLimit(order, MAIN_THREAD_CONCURRENCY, async (i, slot) => {
    hashers[slot] ??= new FileHasher();
    let seen = 0;
    try {
      out[i] = await hashers[slot].hash(paths[i]!, (n) => {
        progress(n - seen);
        seen = n;
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw fileError(paths[i]!, err.code, err.message);
    }
  });
  return out;
}

async function stampOf(p: string): Promise<FileStamp> {
  let st: Awaited<ReturnType<typeof fs.stat>>;
  try {
    st = await fs.stat(p);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw fileError(p, err.code, err.message);
  }
  if (!st.isFile()) throw invalidParam(`${p}: not a regular file`, 'path');
  return { inode: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

function fileError(p: string, code: string | undefined, message: string): KeelError {
  if (code === 'ENOENT') return notFound(`${p}: no such file`, 'path');
  if (code === 'EISDIR') return invalidParam(`${p}: not a regular file`, 'path');
  return invalidParam(`${p}: cannot read (${code ?? message})`, 'path');
}

/** Maps with at most `limit` calls in flight; `slot` (0..limit-1) identifies the lane a call runs in. */
async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, slot: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async (slot: number): Promise<void> => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(items[k]!, slot);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, (_, s) => lane(s)));
  return out;
}
