import { KeelError } from '../../src/core/errors.js';
import { getJob, type JobInfo } from '../../src/jobs/index.js';
import type { TestEnv } from '../helpers/context.js';

/** The KeelError a promise rejects with (fails the test if it resolves or throws something else). */
export async function keelError(p: Promise<unknown>): Promise<KeelError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KeelError) return e;
    throw e;
  }
  throw new Error('expected a KeelError');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until job `id` has `status` and returns it. */
export function jobIn(
  env: TestEnv,
  id: number,
  status: JobInfo['status'],
  timeoutMs?: number,
): Promise<JobInfo> {
  return waitFor(
    `job ${id} to be ${status}`,
    async () => {
      const j = await getJob(env.ctx, id);
      return j.status === status ? j : undefined;
    },
    timeoutMs,
  );
}

/** A promise with its resolve function, for handlers a test releases by hand. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
