import type { Context } from '../context.js';
import type { Db } from '../store/db.js';
import { type AuditEvent, appendAudit } from './log.js';

/** Who is acting: a token's name, or `local` for CLI local mode and tokenless loopback servers. */
export type Actor = string;

/**
 * Runs `write`, turning a unique-constraint violation (a concurrent writer took the name between
 * our check and our insert) into the given typed error instead of a 500.
 */
export async function uniquely<T>(ctx: Context, write: () => Promise<T>, clash: () => Error): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (ctx.store.adapter.isUniqueViolation(e)) throw clash();
    throw e;
  }
}

/**
 * Runs `fn` in one transaction and appends the audit entries it returns in the same
 * transaction: the change and its record commit together or not at all.
 */
export async function audited<T>(
  ctx: Context,
  fn: (trx: Db) => Promise<{ result: T; audit: Omit<AuditEvent, 'actor'> | null }>,
  actor: Actor,
): Promise<T> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const { result, audit } = await fn(trx);
    if (audit) await appendAudit(trx, { ...audit, actor }, ctx.clock.now());
    return result;
  });
}
