import type { Context } from '../context.js';
import type { Db } from '../store/db.js';
import { type AuditEvent, appendAudit } from './log.js';

/** Who is acting: a token's name, or `local` for CLI local mode and tokenless loopback servers. */
export type Actor = string;

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
