import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FileStamp } from './cache.js';
import type { HashedFile } from './hash-file.js';

/** What every worker receives: all paths, the order to take them in, and the shared queue head. */
export interface PoolInput {
  paths: string[];
  order: number[];
  next: SharedArrayBuffer;
}

/** Worker to main thread: bytes hashed so far, a finished file, or the error that stopped the worker. */
export type PoolMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; i: number; sha256: string; size: number; stamp: FileStamp; bytes: number }
  | { type: 'error'; i: number; code: string | undefined; message: string };

/**
 * The compiled worker next to this module, or null. Under vitest this module runs from src/*.ts,
 * where there is no worker.js (and Node 20 cannot start a .ts worker): callers then hash on the
 * main thread. The CLI and server run from dist/, where worker.js sits beside index.js.
 */
export function workerUrl(): URL | null {
  if (!import.meta.url.endsWith('.js')) return null;
  const url = new URL('./worker.js', import.meta.url);
  return fs.existsSync(fileURLToPath(url)) ? url : null;
}

/** A failed file: its index and the error the worker saw. */
export class PoolFileError extends Error {
  constructor(
    readonly index: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Hashes `paths` on `threads` workers sharing one queue, largest files first (so one big file does
 * not start last and leave the other cores idle). Resolves with the hashes by index; at the first
 * failure every worker is stopped and the promise rejects with a PoolFileError.
 */
export function hashInWorkers(
  url: URL,
  paths: string[],
  order: number[],
  threads: number,
  onBytes: (bytes: number) => void,
): Promise<HashedFile[]> {
  const results: HashedFile[] = new Array(paths.length);
  const next = new SharedArrayBuffer(4);
  const input: PoolInput = { paths, order, next };
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let running = threads;
    let failed = false;
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    for (let t = 0; t < threads; t++) {
      // Inherited flags apply to the worker's entry; --input-type (from `node -e`) is refused there.
      const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
      const w = new Worker(url, { workerData: input, execArgv });
      workers.push(w);
      w.on('message', (m: PoolMessage) => {
        if (m.type === 'progress') onBytes(m.bytes);
        else if (m.type === 'done') {
          results[m.i] = { sha256: m.sha256, size: m.size, stamp: m.stamp };
          onBytes(m.bytes);
        } else fail(new PoolFileError(m.i, m.code, m.message));
      });
      w.on('error', fail);
      // Node drains a worker's messages before 'exit', so every result has arrived by then.
      w.on('exit', (code) => {
        if (code !== 0) fail(new Error(`hash worker exited with code ${code}`));
        else if (--running === 0 && !failed) {
          const missing = order.find((i) => results[i] === undefined);
          if (missing === undefined) resolve(results);
          else fail(new PoolFileError(missing, undefined, 'no result from the hash workers'));
        }
      });
    }
  });
}
