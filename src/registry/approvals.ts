import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';
import { requireVersionRow, validateModelName } from './rows.js';
import type { ApprovalRecord, ModelVersion } from './types.js';
import { getModelVersion } from './versions.js';

export const MAX_REASON_LENGTH = 10_000;

/**
 * Records a review decision on a version: its approval fields change and the decision is
 * appended to its history. Rejecting a version an alias points at is refused: the alias would
 * keep serving a rejected model, so it has to be moved or removed first.
 */
export async function reviewVersion(
  ctx: Context,
  name: string,
  version: number,
  review: { status: 'approved' | 'rejected'; reason?: string | undefined },
  actor: Actor,
): Promise<ModelVersion> {
  validateModelName(name);
  if (review.status !== 'approved' && review.status !== 'rejected') {
    throw invalidParam(
      `Invalid review status '${String(review.status)}': use approved or rejected`,
      'status',
    );
  }
  const reason = review.reason ?? '';
  if (reason.length > MAX_REASON_LENGTH) {
    throw invalidParam(
      `reason has ${reason.length} characters, more than the limit of ${MAX_REASON_LENGTH}`,
      'reason',
    );
  }
  await audited(
    ctx,
    async (trx) => {
      const row = await requireVersionRow(trx, name, version);
      if (review.status === 'rejected') {
        const aliases = await trx
          .selectFrom('model_aliases')
          .select('alias')
          .where('name', '=', name)
          .where('version', '=', version)
          .orderBy('alias')
          .execute();
        if (aliases.length > 0) {
          const list = aliases.map((a) => a.alias).join(', ');
          throw invalidParam(
            `version ${version} of ${name} is the target of alias ${list}; remove alias ${list} first`,
            'status',
          );
        }
      }
      const now = ctx.clock.now();
      await trx
        .updateTable('model_versions')
        .set({
          approval_status: review.status,
          approval_actor: actor,
          approval_reason: reason,
          approval_time: now,
          updated_at: now,
        })
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
      await trx
        .insertInto('model_approvals')
        .values({ name, version, status: review.status, actor, reason, time: now })
        .execute();
      return {
        result: undefined,
        audit: {
          action: review.status === 'approved' ? 'model_version.approve' : 'model_version.reject',
          objectType: 'model_version',
          objectId: `${name}@${version}`,
          before: { status: row.approval_status },
          after: { status: review.status, reason },
        },
      };
    },
    actor,
  );
  return getModelVersion(ctx, name, version);
}

/** Every review decision on a version, oldest first. */
export async function approvalHistory(
  ctx: Context,
  name: string,
  version: number,
): Promise<ApprovalRecord[]> {
  validateModelName(name);
  await requireVersionRow(ctx.store.db, name, version);
  const rows = await ctx.store.db
    .selectFrom('model_approvals')
    .select(['status', 'actor', 'reason', 'time'])
    .where('name', '=', name)
    .where('version', '=', version)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    status: r.status as ApprovalRecord['status'],
    actor: r.actor,
    reason: r.reason,
    time: r.time,
  }));
}
