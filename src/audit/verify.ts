import type { Db } from '../store/db.js';
import { entryHash, GENESIS_HASH } from './log.js';

export interface VerifyResult {
  ok: boolean;
  checked: number;
  /** The first entry that breaks the chain, and why. */
  firstBad?: { seq: number; reason: string };
}

const PAGE = 5000;

/**
 * Walks the chain in sequence order and recomputes every hash. An edited entry fails its own
 * hash; a deleted or reordered one breaks the next entry's link or the sequence; a deleted tail
 * no longer matches the head row.
 */
export async function verifyAudit(db: Db): Promise<VerifyResult> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  for (;;) {
    const page = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const e of page) {
      if (e.seq !== expectedSeq) {
        return {
          ok: false,
          checked,
          firstBad: { seq: expectedSeq, reason: `entry ${expectedSeq} is missing` },
        };
      }
      if (e.prev_hash !== prevHash) {
        return {
          ok: false,
          checked,
          firstBad: { seq: e.seq, reason: 'link to the previous entry is broken' },
        };
      }
      const { hash, ...rest } = e;
      if (entryHash(rest) !== hash) {
        return {
          ok: false,
          checked,
          firstBad: { seq: e.seq, reason: 'entry content does not match its hash' },
        };
      }
      prevHash = hash;
      expectedSeq++;
      checked++;
    }
    if (page.length < PAGE) break;
  }
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
  if (head && (head.seq !== expectedSeq - 1 || head.hash !== prevHash)) {
    return {
      ok: false,
      checked,
      firstBad: {
        seq: expectedSeq,
        reason: `entries after ${expectedSeq - 1} were deleted (head is at ${head.seq})`,
      },
    };
  }
  return { ok: true, checked };
}
