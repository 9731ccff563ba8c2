/**
 * The prediction log's writes, each safe against another writer doing the same (a second serving
 * replica, or this one after a window was evicted and reopened by a late event): window profiles
 * and sample segments are read, merged with the new part and written back only if the stored row
 * is still the one read (optimistic: `rows` / `seen` only ever grow), else read again.
 */
import { Readable } from 'node:stream';
import { blobReferenced } from '../../artifacts/references.js';
import type { BlobStore } from '../../artifacts/store.js';
import { isKeelError } from '../../core/errors.js';
import { mergeDatasetProfiles } from '../../stats/profile.js';
import type { DatasetProfile } from '../../stats/types.js';
import type { Db, Store } from '../../store/db.js';
import type { PredictionRecordsTable } from '../../store/schema.js';
import type { PredictionErrorsTable } from '../../store/tables/rollouts.js';
import { mergeSamples } from './reservoir.js';

export type RecordRow = Omit<PredictionRecordsTable, 'id'>;

const ATTEMPTS = 20;

/** Appends records in one statement per call (the dialect's bulk form; each commits on its own). */
export async function insertRecords(store: Store, rows: readonly RecordRow[]): Promise<void> {
  await store.adapter.insertPredictionRecords(store.db, rows);
}

/** Failed-inference counts of one window since the last checkpoint (`reasons`: reason → rows). */
export type FailureRow = Omit<PredictionErrorsTable, 'id' | 'reasons' | 'written_at'> & {
  reasons: Record<string, number>;
};

/** Appends failure counts (a handful of rows per checkpoint). */
export async function insertFailures(db: Db, rows: readonly FailureRow[], now: number): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('prediction_errors')
    .values(rows.map((r) => ({ ...r, reasons: JSON.stringify(r.reasons), written_at: now })))
    .execute();
}

/** Identity of one window profile row. */
export interface WindowKey {
  deployment: string;
  model: string;
  version: number;
  route: string;
  windowStart: number;
  windowMs: number;
}

/** Merges `delta` into the stored profile of its window (or creates the row). */
export async function mergeWindow(db: Db, key: WindowKey, delta: DatasetProfile, now: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const row = await db
      .selectFrom('prediction_windows')
      .select(['rows', 'profile'])
      .where('deployment', '=', key.deployment)
      .where('version', '=', key.version)
      .where('route', '=', key.route)
      .where('window_start', '=', key.windowStart)
      .executeTakeFirst();
    let done: boolean;
    if (!row) {
      const r = await db
        .insertInto('prediction_windows')
        .values({
          deployment: key.deployment,
          model: key.model,
          version: key.version,
          route: key.route,
          window_start: key.windowStart,
          window_ms: key.windowMs,
          rows: delta.rows,
          profile: JSON.stringify(delta),
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['deployment', 'version', 'route', 'window_start']).doNothing())
        .executeTakeFirst();
      done = Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    } else {
      const merged = mergeDatasetProfiles(JSON.parse(row.profile) as DatasetProfile, delta);
      const r = await db
        .updateTable('prediction_windows')
        .set({ rows: merged.rows, profile: JSON.stringify(merged), updated_at: now })
        .where('deployment', '=', key.deployment)
        .where('version', '=', key.version)
        .where('route', '=', key.route)
        .where('window_start', '=', key.windowStart)
        .where('rows', '=', row.rows)
        .executeTakeFirst();
      done = Number(r.numUpdatedRows) === 1;
    }
    if (done) return;
    if (attempt >= ATTEMPTS)
      throw new Error(`prediction window ${key.deployment}@${key.windowStart}: too many concurrent writers`);
  }
}

/** A sampled raw row as stored in a segment (one JSON line each). */
export interface SampleRow {
  request_id: string;
  row: number;
  model: string;
  version: number;
  route: string;
  event_time: number;
  inputs: Record<string, unknown>;
  prediction: unknown;
}

/** The rows of a stored segment blob (JSON lines). */
export async function readSegment(blobs: BlobStore, sha256: string): Promise<SampleRow[]> {
  const chunks: Buffer[] = [];
  for await (const c of await blobs.get(sha256)) chunks.push(Buffer.from(c as Uint8Array));
  const text = Buffer.concat(chunks).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SampleRow);
}

/**
 * Folds a window's new sample (uniform over the `seen` rows since the last checkpoint) into its
 * stored segment: reads the stored sample, merges the two into one uniform sample of all rows,
 * writes it as a new content-addressed blob and points the segment row at it. The replaced blob is
 * deleted once nothing refers to it.
 */
export async function mergeSegment(
  store: Store,
  blobs: BlobStore,
  key: { deployment: string; windowStart: number; windowMs: number },
  delta: { sample: SampleRow[]; seen: number },
  capacity: number,
  random: () => number,
  now: number,
): Promise<void> {
  const db = store.db;
  for (let attempt = 1; ; attempt++) {
    const row = await db
      .selectFrom('prediction_segments')
      .select(['sha256', 'seen'])
      .where('deployment', '=', key.deployment)
      .where('window_start', '=', key.windowStart)
      .executeTakeFirst();
    let stored: { sample: SampleRow[]; seen: number } = { sample: [], seen: 0 };
    if (row) {
      try {
        stored = { sample: await readSegment(blobs, row.sha256), seen: row.seen };
      } catch (e) {
        // Another writer replaced the segment and deleted its blob since we read the row: read again.
        if (isKeelError(e) && e.code === 'RESOURCE_DOES_NOT_EXIST' && attempt < ATTEMPTS) continue;
        throw e;
      }
    }
    const merged = mergeSamples(stored, delta, capacity, random);
    const text = merged.sample.map((r) => `${JSON.stringify(r)}\n`).join('');
    const blob = await blobs.put(Readable.from([Buffer.from(text, 'utf8')]));
    const values = {
      rows: merged.sample.length,
      seen: merged.seen,
      sha256: blob.sha256,
      size: blob.size,
      updated_at: now,
    };
    let done: boolean;
    if (!row) {
      const r = await db
        .insertInto('prediction_segments')
        .values({
          deployment: key.deployment,
          window_start: key.windowStart,
          window_ms: key.windowMs,
          ...values,
        })
        .onConflict((oc) => oc.columns(['deployment', 'window_start']).doNothing())
        .executeTakeFirst();
      done = Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    } else {
      const r = await db
        .updateTable('prediction_segments')
        .set(values)
        .where('deployment', '=', key.deployment)
        .where('window_start', '=', key.windowStart)
        .where('sha256', '=', row.sha256)
        .where('seen', '=', row.seen)
        .executeTakeFirst();
      done = Number(r.numUpdatedRows) === 1;
    }
    if (!done) {
      await dropIfUnreferenced(store, blobs, blob.sha256);
      if (attempt >= ATTEMPTS)
        throw new Error(
          `prediction segment ${key.deployment}@${key.windowStart}: too many concurrent writers`,
        );
      continue;
    }
    if (row && row.sha256 !== blob.sha256) await dropIfUnreferenced(store, blobs, row.sha256);
    return;
  }
}

async function dropIfUnreferenced(store: Store, blobs: BlobStore, sha256: string): Promise<void> {
  if (!(await blobReferenced(store.db, sha256))) await blobs.delete(sha256);
}
