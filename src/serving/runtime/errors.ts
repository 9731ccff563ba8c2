/** Serving's typed errors: both are TEMPORARILY_UNAVAILABLE (503) and tell the client when to retry. */
import { KeelError } from '../../core/errors.js';

/** The deployment's queue is full: rejected at once (backpressure), retry after `retryAfterMs`. */
export class QueueFullError extends KeelError {
  readonly reason = 'queue_full';
  constructor(
    readonly retryAfterMs: number,
    queuedRows: number,
  ) {
    super('TEMPORARILY_UNAVAILABLE', `the model's queue is full (${queuedRows} rows waiting)`, {
      reason: 'queue_full',
      retryAfterMs,
    });
  }
}

/** The request waited or ran longer than its timeout; if it was still queued, it never ran. */
export class RequestTimeoutError extends KeelError {
  readonly reason = 'timeout';
  constructor(
    readonly timeoutMs: number,
    readonly dispatched: boolean,
  ) {
    super('TEMPORARILY_UNAVAILABLE', `the request timed out after ${timeoutMs} ms`, {
      reason: 'timeout',
      timeoutMs,
      dispatched,
    });
  }
}
