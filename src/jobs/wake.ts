/**
 * In-process wake-ups: an enqueue tells this process's idle workers to look now instead of at
 * their next poll. Workers in other processes still find the job by polling.
 */
const listeners = new Set<() => void>();

/** Subscribes to enqueues in this process; returns the unsubscribe function. */
export function onEnqueue(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Wakes this process's workers (called by `enqueue`; also after committing a transaction that enqueued). */
export function notifyEnqueued(): void {
  for (const l of listeners) l();
}
