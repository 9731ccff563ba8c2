import { sha256Hex } from '../core/ids.js';
import type { Db } from '../store/db.js';
import type { AuditLogTable } from '../store/schema.js';

/** What a state change records. `before`/`after` are short summaries, not whole objects. */
export interface AuditEvent {
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  before?: unknown;
  after?: unknown;
}

export type AuditEntry = AuditLogTable;

export const GENESIS_HASH = '0'.repeat(64);

/** The bytes an entry's hash covers: every field but the hash itself, in a fixed order. */
export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  return sha256Hex(
    JSON.stringify([
      e.seq,
      e.time,
      e.actor,
      e.action,
      e.object_type,
      e.object_id,
      e.before,
      e.after,
      e.prev_hash,
    ]),
  );
}

const summary = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/**
 * Appends one entry inside the caller's transaction, so the entry exists exactly when the
 * change it describes does. Updating the head row first takes its row lock (PostgreSQL) or is
 * covered by BEGIN IMMEDIATE (SQLite), so concurrent appenders form one chain.
 */
export async function appendAudit(trx: Db, event: AuditEvent, time: number): Promise<AuditEntry> {
  const head = await trx
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  const partial = {
    seq: head.seq,
    time,
    actor: event.actor,
    action: event.action,
    object_type: event.objectType,
    object_id: event.objectId,
    before: summary(event.before),
    after: summary(event.after),
    prev_hash: head.hash,
  };
  const entry: AuditEntry = { ...partial, hash: entryHash(partial) };
  await trx.insertInto('audit_log').values(entry).execute();
  await trx.updateTable('audit_head').set({ hash: entry.hash }).where('id', '=', 1).execute();
  return entry;
}
