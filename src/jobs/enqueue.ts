import { invalidParam } from '../core/errors.js';
import type { Db } from '../store/db.js';
import type { JobsTable } from '../store/tables/jobs.js';
import { notifyEnqueued } from './wake.js';

export interface EnqueueOptions {
  /** The handler that runs it: letters, digits and `._:-`, up to 100 characters. */
  kind: string;
  /** Any JSON value (default null), up to 1 MiB serialised. */
  payload?: unknown;
  /** Not before this time (epoch ms or Date; default now). */
  runAt?: number | Date;
  /** Higher runs first among due jobs (integer, default 0). */
  priority?: number;
  /** Attempts before the job is dead-lettered (1–100, default 3). */
  maxAttempts?: number;
  /** Delay before the 2nd attempt, doubling for each later one, ±25 % jitter (0–86400000 ms, default 1000). */
  backoffMs?: number;
  /** Cap on the retry delay (default 3600000 ms). */
  backoffMaxMs?: number;
  /** An attempt running longer than this is aborted and fails (ms, default none). */
  timeoutMs?: number | null;
  /**
   * Idempotency key: while a job with this key exists — queued, running, succeeded or dead —
   * enqueueing the key again returns that job's id and creates nothing. Put what makes the work
   * distinct into the key (e.g. `pipeline-run:42:step:train`, `monitor:loans:window:1717200000000`).
   */
  dedupeKey?: string | null;
}

const DEFAULTS = { maxAttempts: 3, backoffMs: 1000, backoffMaxMs: 3_600_000 };
const MAX_PAYLOAD = 1 << 20;
const KIND = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const DAY = 86_400_000;

type Row = Omit<JobsTable, 'id'>;

function whole(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw invalidParam(
      `${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
      field,
    );
  return v;
}

/** Validates one job's options into a row; `at` names the options in messages (`jobs[3]`). */
function toRow(o: EnqueueOptions, now: number, at: string): Row {
  const f = (name: string) => (at ? `${at}.${name}` : name);
  if (typeof o !== 'object' || o === null)
    throw invalidParam(`${at || 'job'} must be an object`, at || 'job');
  if (typeof o.kind !== 'string' || !KIND.test(o.kind))
    throw invalidParam(
      `${f('kind')} must be 1–100 letters, digits or ._:- starting with a letter or digit, got ${JSON.stringify(o.kind)}`,
      f('kind'),
    );
  let payload: string | undefined;
  try {
    payload = JSON.stringify(o.payload ?? null);
  } catch (e) {
    throw invalidParam(`${f('payload')} is not JSON-serialisable: ${(e as Error).message}`, f('payload'));
  }
  if (payload === undefined)
    throw invalidParam(`${f('payload')} is not JSON-serialisable (${typeof o.payload})`, f('payload'));
  const bytes = Buffer.byteLength(payload);
  if (bytes > MAX_PAYLOAD)
    throw invalidParam(`${f('payload')} is ${bytes} bytes serialised, over the 1 MiB limit`, f('payload'));
  const runAt = o.runAt instanceof Date ? o.runAt.getTime() : (o.runAt ?? now);
  if (typeof runAt !== 'number' || !Number.isFinite(runAt))
    throw invalidParam(
      `${f('runAt')} must be epoch milliseconds or a Date, got ${String(o.runAt)}`,
      f('runAt'),
    );
  const backoffMs = whole(o.backoffMs ?? DEFAULTS.backoffMs, f('backoffMs'), 0, DAY);
  const backoffMaxMs = whole(o.backoffMaxMs ?? DEFAULTS.backoffMaxMs, f('backoffMaxMs'), 0, 7 * DAY);
  if (
    o.dedupeKey != null &&
    (typeof o.dedupeKey !== 'string' || o.dedupeKey.length === 0 || o.dedupeKey.length > 500)
  )
    throw invalidParam(`${f('dedupeKey')} must be a string of 1–500 characters`, f('dedupeKey'));
  return {
    kind: o.kind,
    payload,
    status: 'queued',
    priority: whole(o.priority ?? 0, f('priority'), -1_000_000, 1_000_000),
    run_at: Math.round(runAt),
    attempts: 0,
    max_attempts: whole(o.maxAttempts ?? DEFAULTS.maxAttempts, f('maxAttempts'), 1, 100),
    backoff_ms: backoffMs,
    backoff_max_ms: backoffMaxMs,
    timeout_ms: o.timeoutMs == null ? null : whole(o.timeoutMs, f('timeoutMs'), 1, 7 * DAY),
    dedupe_key: o.dedupeKey ?? null,
    lease_owner: null,
    lease_until: 0,
    last_error: null,
    errors: '[]',
    result: null,
    created_at: now,
    started_at: null,
    finished_at: null,
    updated_at: now,
  };
}

// 21 columns: well under either dialect's bind-parameter limit, and cheap for SQLite to prepare.
const CHUNK = 500;

/**
 * Inserts validated rows and returns each one's job id, in order: a row whose dedupe key already
 * exists (in the table or earlier in `rows`) gets the existing job's id.
 */
async function insertRows(db: Db, rows: Row[]): Promise<number[]> {
  const ids: number[] = new Array(rows.length);
  const firstByKey = new Map<string, number>();
  const unique: { row: Row; index: number }[] = [];
  rows.forEach((row, index) => {
    if (row.dedupe_key !== null) {
      if (firstByKey.has(row.dedupe_key)) return;
      firstByKey.set(row.dedupe_key, index);
    }
    unique.push({ row, index });
  });
  for (let i = 0; i < unique.length; i += CHUNK) {
    const part = unique.slice(i, i + CHUNK);
    const inserted = await db
      .insertInto('jobs')
      .values(part.map((p) => p.row))
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning(['id', 'dedupe_key'])
      .execute();
    // Ids are handed out in VALUES order on both dialects; RETURNING's order is not promised.
    const plain = inserted
      .filter((r) => r.dedupe_key === null)
      .map((r) => Number(r.id))
      .sort((a, b) => a - b);
    const byKey = new Map(
      inserted.filter((r) => r.dedupe_key !== null).map((r) => [r.dedupe_key!, Number(r.id)]),
    );
    const missing = part.filter((p) => p.row.dedupe_key !== null && !byKey.has(p.row.dedupe_key));
    if (missing.length > 0) {
      const existing = await db
        .selectFrom('jobs')
        .select(['id', 'dedupe_key'])
        .where(
          'dedupe_key',
          'in',
          missing.map((p) => p.row.dedupe_key!),
        )
        .execute();
      for (const r of existing) byKey.set(r.dedupe_key!, Number(r.id));
    }
    let next = 0;
    for (const p of part)
      ids[p.index] = p.row.dedupe_key === null ? plain[next++]! : byKey.get(p.row.dedupe_key)!;
  }
  rows.forEach((row, index) => {
    if (row.dedupe_key !== null && ids[index] === undefined)
      ids[index] = ids[firstByKey.get(row.dedupe_key)!]!;
  });
  return ids;
}

/**
 * Queues a job and returns its id (the existing job's id when `dedupeKey` is taken). `db` may be
 * the caller's open transaction, so recording a change and queueing its follow-up commit together.
 */
export async function enqueue(db: Db, opts: EnqueueOptions): Promise<number> {
  // Wall-clock time, as leases use: run times are compared by workers on any machine.
  const [id] = await write(db, [toRow(opts, Date.now(), '')]);
  return id!;
}

/**
 * Queues many jobs in a few statements; every option is validated before anything is written.
 * Returns the ids in the order given.
 */
export async function enqueueMany(db: Db, jobs: readonly EnqueueOptions[]): Promise<number[]> {
  if (!Array.isArray(jobs)) throw invalidParam('jobs must be an array', 'jobs');
  if (jobs.length === 0) return [];
  const now = Date.now();
  return write(
    db,
    jobs.map((o, i) => toRow(o, now, `jobs[${i}]`)),
  );
}

async function write(db: Db, rows: Row[]): Promise<number[]> {
  // Several chunks commit together (or within the caller's transaction).
  const ids =
    rows.length <= CHUNK || db.isTransaction
      ? await insertRows(db, rows)
      : await db.transaction().execute((trx) => insertRows(trx, rows));
  notifyEnqueued();
  return ids;
}
