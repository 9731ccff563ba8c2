/**
 * The prediction log's worker thread: opens its own connection to the metadata store and its own
 * blob store (migrations are the server's job, never done here), takes packed event batches from
 * the main thread, and checkpoints profiles, records and samples off the request path. Messages
 * and checkpoints run one at a time, in arrival order, so a flush sees every batch sent before it.
 */
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createBlobStore } from '../../artifacts/index.js';
import { seededRandom } from '../../core/random.js';
import { openStore } from '../../store/db.js';
import type { FromWorker, ToWorker, WorkerData } from './messages.js';
import { batchDrops, LogState } from './state.js';

/**
 * Logging must never slow serving down: on Linux this thread lowers its own scheduling priority
 * (nice 10; a thread is a task with its own id), so under CPU contention the request path and the
 * model workers run first and the log falls behind — and then drops and counts — instead.
 */
function yieldToServing(): void {
  try {
    const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, 10);
  } catch {
    // Not Linux, or not permitted: the log runs at normal priority.
  }
}
yieldToServing();

const port = parentPort!;
const { config, options } = workerData as WorkerData;
const store = openStore(config.database);
const blobs = createBlobStore(config.artifacts);
const state = new LogState(store, blobs, options, seededRandom(randomInt(2 ** 31)));

const send = (m: FromWorker): void => port.postMessage(m);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

let queue: Promise<void> = Promise.resolve();
/** Runs tasks one after another; each task reports its own errors. */
const enqueue = (task: () => Promise<void>): void => {
  queue = queue.then(task);
};

let checkpointQueued = false;
async function checkpoint(segments: boolean): Promise<void> {
  const r = await state.checkpoint(segments);
  if (r.written > 0 || r.dropped.length > 0) send({ type: 'written', rows: r.written, dropped: r.dropped });
}

/** A periodic (or early) checkpoint, unless one is already waiting in the queue. */
function scheduleCheckpoint(): void {
  if (checkpointQueued) return;
  checkpointQueued = true;
  enqueue(async () => {
    checkpointQueued = false;
    try {
      await checkpoint(false);
    } catch (e) {
      send({ type: 'error', message: `prediction log checkpoint failed: ${message(e)}` });
    }
  });
}

const timer = setInterval(scheduleCheckpoint, options.checkpointMs);

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'batch':
      enqueue(async () => {
        let dropped: ReturnType<LogState['ingest']>;
        try {
          await state.prepare(m);
          dropped = state.ingest(m);
        } catch (e) {
          send({ type: 'error', message: `prediction log batch failed: ${message(e)}` });
          dropped = batchDrops(m, 'error');
        }
        send({ type: 'ack', id: m.id, dropped });
        if (state.wantsCheckpoint) scheduleCheckpoint();
      });
      return;
    case 'flush':
      enqueue(async () => {
        try {
          await checkpoint(true);
          send({ type: 'flushed', id: m.id });
        } catch (e) {
          send({ type: 'flushed', id: m.id, error: message(e) });
        }
      });
      return;
    case 'close':
      enqueue(async () => {
        clearInterval(timer);
        let error: string | undefined;
        try {
          await checkpoint(true);
        } catch (e) {
          error = message(e);
        }
        await Promise.allSettled([store.close(), blobs.close()]);
        send(error === undefined ? { type: 'closed', id: m.id } : { type: 'closed', id: m.id, error });
        port.close();
      });
      return;
  }
});
