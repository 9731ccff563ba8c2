/**
 * Recording how attempts ended. Every write is guarded by the lease token (`lease_owner`) and
 * `status = 'running'`: a worker whose lease was taken over changes nothing, and its hooks do not
 * run. Hooks run inside a savepoint of the same transaction, so a throwing hook undoes only its
 * own job's change.
 */
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { retryDelay } from './backoff.js';
import { appendError, errorText, type JobRow } from './rows.js';
import { type ClaimedJob, type JobHandler, NonRetryableError } from './types.js';

/** One attempt this worker holds: the row as claimed, its lease token, and how to run it. */
export interface Lease {
  row: JobRow;
  token: string;
  job: ClaimedJob;
  handler: JobHandler;
  /** Aborts the attempt (`job.signal`). */
  controller: AbortController;
  /** Why the payload did not parse (the attempt then fails without running). */
  parseError?: Error;
}

export type Outcome =
  | { lease: Lease; ok: true; result: unknown }
  | { lease: Lease; ok: false; error: Error; final?: boolean; delayMs?: number };

export interface SettleReport {
  succeeded: number;
  failed: number;
  /** Outcomes discarded because the lease was no longer this worker's. */
  lost: Lease[];
  /** Hook failures, for the worker's log. */
  hookErrors: { lease: Lease; error: unknown }[];
}

/** Runs `fn` inside a savepoint; on a throw only its writes are undone, and the error propagates. */
export async function inSavepoint<T>(trx: Db, name: string, fn: () => Promise<T>): Promise<T> {
  await sql.raw(`savepoint ${name}`).execute(trx);
  try {
    const r = await fn();
    await sql.raw(`release savepoint ${name}`).execute(trx);
    return r;
  } catch (e) {
    await sql.raw(`rollback to savepoint ${name}`).execute(trx);
    await sql.raw(`release savepoint ${name}`).execute(trx);
    throw e;
  }
}

const guarded = (trx: Db, l: Lease) =>
  trx
    .updateTable('jobs')
    .where('id', '=', l.row.id)
    .where('lease_owner', '=', l.token)
    .where('status', '=', 'running');

const succeeded = (now: number) =>
  ({ status: 'succeeded', lease_owner: null, lease_until: 0, finished_at: now, updated_at: now }) as const;

/**
 * Records a failed attempt: back to `queued` after the backoff, or `dead` when attempts are used
 * up or the error is not retryable. Returns whether the lease was still ours.
 */
export async function recordFailure(
  trx: Db,
  o: Extract<Outcome, { ok: false }>,
  now: number,
  report: SettleReport,
  random: () => number = Math.random,
): Promise<boolean> {
  const { lease: l, error } = o;
  const r = l.row;
  const final = o.final || error instanceof NonRetryableError || r.attempts >= r.max_attempts;
  const write = async (message: string) => {
    const next = final
      ? { status: 'dead', finished_at: now }
      : {
          status: 'queued',
          run_at: now + (o.delayMs ?? retryDelay(r.attempts, r.backoff_ms, r.backoff_max_ms, random)),
        };
    const done = await guarded(trx, l)
      .set({
        ...next,
        lease_owner: null,
        lease_until: 0,
        last_error: message,
        errors: appendError(r.errors, { attempt: r.attempts, at: now, error: message }),
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirst();
    return done !== undefined;
  };
  const message = errorText(error);
  const hook = l.handler.onFail;
  if (!hook) {
    if (await write(message)) report.failed++;
    else report.lost.push(l);
    return true;
  }
  try {
    const ours = await inSavepoint(trx, `job_${r.id}`, async () => {
      if (!(await write(message))) return false;
      await hook.call(l.handler, trx, l.job, error, { final });
      return true;
    });
    if (ours) report.failed++;
    else report.lost.push(l);
    return ours;
  } catch (e) {
    // The failure is still recorded (a job must not stay leased forever); the hook's error is kept with it.
    report.hookErrors.push({ lease: l, error: e });
    const ours = await write(`${message} (onFail hook failed: ${errorText(e)})`);
    if (ours) report.failed++;
    else report.lost.push(l);
    return ours;
  }
}

/**
 * Records a batch of outcomes in the caller's transaction: completions without a hook or result
 * in one UPDATE per claim, the rest one by one with their hooks.
 */
export async function settle(
  trx: Db,
  outcomes: readonly Outcome[],
  now: number,
  random: () => number = Math.random,
): Promise<SettleReport> {
  const report: SettleReport = { succeeded: 0, failed: 0, lost: [], hookErrors: [] };
  const plain = new Map<string, Lease[]>();
  const rest: Outcome[] = [];
  for (const o of outcomes) {
    if (o.ok && (o.result === undefined || o.result === null) && !o.lease.handler.onComplete) {
      const group = plain.get(o.lease.token) ?? [];
      group.push(o.lease);
      plain.set(o.lease.token, group);
    } else rest.push(o);
  }
  for (const [token, leases] of plain) {
    const done = await trx
      .updateTable('jobs')
      .set({ ...succeeded(now), result: null })
      .where(
        'id',
        'in',
        leases.map((l) => l.row.id),
      )
      .where('lease_owner', '=', token)
      .where('status', '=', 'running')
      .returning('id')
      .execute();
    report.succeeded += done.length;
    if (done.length < leases.length) {
      const ok = new Set(done.map((d) => Number(d.id)));
      report.lost.push(...leases.filter((l) => !ok.has(Number(l.row.id))));
    }
  }
  for (const o of rest) {
    if (!o.ok) {
      await recordFailure(trx, o, now, report, random);
      continue;
    }
    const l = o.lease;
    let result: string | null;
    try {
      result = o.result === undefined ? null : JSON.stringify(o.result);
    } catch (e) {
      await recordFailure(
        trx,
        { lease: l, ok: false, error: new Error(`result is not JSON: ${errorText(e)}`) },
        now,
        report,
        random,
      );
      continue;
    }
    const hook = l.handler.onComplete;
    const complete = async () =>
      (await guarded(trx, l)
        .set({ ...succeeded(now), result })
        .returning('id')
        .executeTakeFirst()) !== undefined;
    if (!hook) {
      if (await complete()) report.succeeded++;
      else report.lost.push(l);
      continue;
    }
    try {
      const ours = await inSavepoint(trx, `job_${l.row.id}`, async () => {
        if (!(await complete())) return false;
        await hook.call(l.handler, trx, l.job, o.result);
        return true;
      });
      if (ours) report.succeeded++;
      else report.lost.push(l);
    } catch (e) {
      // Its effect did not commit, so the attempt did not succeed: it is retried per policy.
      report.hookErrors.push({ lease: l, error: e });
      const error = new Error(`onComplete hook failed: ${errorText(e)}`);
      await recordFailure(trx, { lease: l, ok: false, error }, now, report, random);
    }
  }
  return report;
}
