/**
 * Leases: claiming due jobs, extending the leases of running ones, and handing them back. Times
 * are the workers' wall clock (machines running workers keep their clocks in sync, e.g. NTP).
 */
import { sql } from 'kysely';
import type { Store } from '../store/db.js';
import type { JobRow } from './rows.js';
import { type Lease, recordFailure, type SettleReport } from './settle.js';

export const LEASE_EXPIRED = 'lease expired (worker lost)';

export interface ClaimRequest {
  /** Only jobs of these kinds (the ones this worker has handlers for). */
  kinds: readonly string[];
  limit: number;
  /** This claim's lease token (`<worker id>#<n>`). */
  token: string;
  leaseMs: number;
  now: number;
  /** Builds the lease of a row: its handler and parsed payload. */
  lease(row: JobRow, token: string): Lease;
  random?: () => number;
}

export interface ClaimResult {
  leases: Lease[];
  /** Expired leases found on the way: their attempts recorded as failed, final ones dead-lettered. */
  expired: SettleReport;
}

const byPriority = (a: JobRow, b: JobRow): number =>
  b.priority - a.priority || Number(a.run_at) - Number(b.run_at) || Number(a.id) - Number(b.id);

/**
 * Claims up to `limit` due jobs in one transaction: first, jobs whose lease expired count as a
 * failed attempt (retried at once, or dead when attempts are used up); then the due queued jobs,
 * highest priority first, become `running` under `token` with their attempt count raised.
 * PostgreSQL claimers skip rows another claimer has locked; SQLite's claimers take turns.
 */
export async function claim(store: Store, req: ClaimRequest): Promise<ClaimResult> {
  const { kinds, limit, token, leaseMs, now } = req;
  const expired: SettleReport = { succeeded: 0, failed: 0, lost: [], hookErrors: [] };
  if (kinds.length === 0 || limit <= 0) return { leases: [], expired };
  // A plain read first: an idle worker then never takes SQLite's write lock (or opens a PostgreSQL
  // transaction) just to find nothing.
  if (!(await anythingDue(store, kinds, now))) return { leases: [], expired };
  const leases = await store.db.transaction().execute(async (trx) => {
    const lapsed = await store.adapter
      .skipLocked(
        trx
          .selectFrom('jobs')
          .selectAll()
          .where('status', '=', 'running')
          .where('lease_until', '<=', now)
          .where('kind', 'in', kinds)
          .orderBy('id')
          .limit(limit),
      )
      .execute();
    for (const row of lapsed) {
      const lease = req.lease(row, row.lease_owner ?? '');
      const outcome = { lease, ok: false as const, error: new Error(LEASE_EXPIRED), delayMs: 0 };
      await recordFailure(trx, outcome, now, expired, req.random);
    }
    const due = await store.adapter
      .skipLocked(
        trx
          .selectFrom('jobs')
          .select('id')
          .where('status', '=', 'queued')
          .where('run_at', '<=', now)
          .where('kind', 'in', kinds)
          .orderBy('priority', 'desc')
          .orderBy('run_at')
          .orderBy('id')
          .limit(limit),
      )
      .execute();
    if (due.length === 0) return [];
    const rows = await trx
      .updateTable('jobs')
      .set({
        status: 'running',
        lease_owner: token,
        lease_until: now + leaseMs,
        attempts: sql<number>`attempts + 1`,
        started_at: now,
        updated_at: now,
      })
      .where(
        'id',
        'in',
        due.map((d) => d.id),
      )
      .where('status', '=', 'queued')
      .returningAll()
      .execute();
    return rows.sort(byPriority).map((r) => req.lease(r, token));
  });
  return { leases, expired };
}

async function anythingDue(store: Store, kinds: readonly string[], now: number): Promise<boolean> {
  const probe = (status: 'queued' | 'running') =>
    store.db
      .selectFrom('jobs')
      .select('id')
      .where('status', '=', status)
      .where(status === 'queued' ? 'run_at' : 'lease_until', '<=', now)
      .where('kind', 'in', kinds)
      .limit(1)
      .executeTakeFirst();
  return (await probe('queued')) !== undefined || (await probe('running')) !== undefined;
}

/**
 * Extends the leases held under `tokens` to `now + leaseMs`; returns the `id:token` pairs still
 * held (a running attempt missing from it has lost its lease).
 */
export async function extendLeases(
  store: Store,
  tokens: readonly string[],
  leaseMs: number,
  now: number,
): Promise<Set<string>> {
  if (tokens.length === 0) return new Set();
  const rows = await store.db
    .updateTable('jobs')
    .set({ lease_until: now + leaseMs })
    .where('status', '=', 'running')
    .where('lease_owner', 'in', tokens)
    .returning(['id', 'lease_owner'])
    .execute();
  return new Set(rows.map((r) => `${r.id}:${r.lease_owner}`));
}

/**
 * Hands leases back on shutdown: the jobs are due again at once, and the interrupted attempt does
 * not count against `maxAttempts`. Returns how many were still held.
 */
export async function releaseLeases(store: Store, leases: readonly Lease[], now: number): Promise<number> {
  const byToken = new Map<string, number[]>();
  for (const l of leases) byToken.set(l.token, [...(byToken.get(l.token) ?? []), l.row.id]);
  let released = 0;
  for (const [token, ids] of byToken) {
    const rows = await store.db
      .updateTable('jobs')
      .set({
        status: 'queued',
        lease_owner: null,
        lease_until: 0,
        attempts: sql<number>`attempts - 1`,
        run_at: now,
        updated_at: now,
      })
      .where('id', 'in', ids)
      .where('lease_owner', '=', token)
      .where('status', '=', 'running')
      .returning('id')
      .execute();
    released += rows.length;
  }
  return released;
}
