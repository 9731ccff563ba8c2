import { parentPort, workerData } from 'node:worker_threads';
import { CHUNK, FileHasher } from './hash-file.js';
import type { PoolInput, PoolMessage } from './pool.js';

/**
 * Worker thread entry (run from the compiled dist/ only). Files come from a queue shared by all
 * workers: an index into `order` claimed with an atomic add, so no round trip to the main thread
 * separates two files. I/O is blocking (this thread has nothing else to do). Results and progress
 * go back as messages; the worker exits when the queue is empty or at its first error.
 */
const { paths, order, next } = workerData as PoolInput;
const counter = new Int32Array(next);
const post = (m: PoolMessage): void => parentPort!.postMessage(m);
const hasher = new FileHasher();

for (;;) {
  const k = Atomics.add(counter, 0, 1);
  if (k >= order.length) break;
  const i = order[k]!;
  let reported = 0;
  try {
    const r = hasher.hashSync(paths[i]!, (n) => {
      // Report every few chunks: a message per 4 MiB would be cheap too, but this keeps it quieter.
      if (n - reported >= 4 * CHUNK) {
        post({ type: 'progress', bytes: n - reported });
        reported = n;
      }
    });
    post({ type: 'done', i, sha256: r.sha256, size: r.size, stamp: r.stamp, bytes: r.size - reported });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    post({ type: 'error', i, code: err.code, message: err.message });
    break;
  }
}
