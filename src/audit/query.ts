import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';

/** One audit entry as readers see it: camelCase, `before`/`after` parsed back from their JSON text. */
export interface AuditRecord {
  seq: number;
  time: number;
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  objectType?: string | undefined;
  objectId?: string | undefined;
  limit: number;
  /** Only entries after this sequence number: the cursor of the previous page. */
  afterSeq?: number | undefined;
}

export const MAX_AUDIT_PAGE = 1000;

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/**
 * Reads the audit log oldest first (by seq), optionally for one object type or object. Paging is
 * by sequence number rather than offset, so a reader never skips or repeats entries while new
 * ones are appended: `nextAfterSeq` is set when more entries follow.
 */
export async function listAudit(
  ctx: Context,
  q: AuditQuery,
): Promise<{ entries: AuditRecord[]; nextAfterSeq?: number }> {
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_AUDIT_PAGE) {
    throw invalidParam(
      `Invalid value ${q.limit} for parameter 'limit': it must be between 1 and ${MAX_AUDIT_PAGE}`,
      'limit',
    );
  }
  if (q.afterSeq !== undefined && (!Number.isInteger(q.afterSeq) || q.afterSeq < 0)) {
    throw invalidParam(
      `Invalid value ${q.afterSeq} for parameter 'afterSeq': it must be a non-negative integer`,
      'afterSeq',
    );
  }
  let query = ctx.store.db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq')
    .limit(q.limit + 1);
  if (q.objectType !== undefined) query = query.where('object_type', '=', q.objectType);
  if (q.objectId !== undefined) query = query.where('object_id', '=', q.objectId);
  if (q.afterSeq !== undefined) query = query.where('seq', '>', q.afterSeq);
  const rows = await query.execute();
  const page = rows.slice(0, q.limit);
  const entries = page.map((r) => ({
    seq: r.seq,
    time: r.time,
    actor: r.actor,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    before: parse(r.before),
    after: parse(r.after),
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
  const last = entries.at(-1);
  return { entries, ...(rows.length > q.limit && last ? { nextAfterSeq: last.seq } : {}) };
}
