import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listAudit } from '../../../audit/query.js';
import { verifyAudit } from '../../../audit/verify.js';
import type { Context } from '../../../context.js';
import { route } from '../../route.js';
import { int64 } from '../mlflow/wire.js';

const tags = ['audit'];

const AuditEntrySchema = z.object({
  seq: z.number().int(),
  time: z.number().int(),
  actor: z.string(),
  action: z.string(),
  objectType: z.string(),
  objectId: z.string(),
  before: z.unknown().describe('Summary of the state before (JSON), or null'),
  after: z.unknown().describe('Summary of the state after (JSON), or null'),
  prevHash: z.string(),
  hash: z.string(),
});

/** Read access to the hash-chained audit log. */
export function registerAudit(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/audit',
    role: 'viewer',
    summary: 'Audit entries, oldest first; page on with afterSeq=nextAfterSeq',
    tags,
    query: z.object({
      objectType: z.string().optional(),
      objectId: z.string().optional(),
      limit: int64.optional(),
      afterSeq: int64.optional(),
    }),
    response: z.object({ entries: z.array(AuditEntrySchema), nextAfterSeq: z.number().int().optional() }),
    handler: ({ query }) => listAudit(ctx, { ...query, limit: query.limit ?? 100 }),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/audit/verify',
    role: 'viewer',
    summary: 'Recompute the hash chain and report the first broken entry, if any',
    tags,
    response: z.object({
      ok: z.boolean(),
      checked: z.number().int(),
      firstBad: z.object({ seq: z.number().int(), reason: z.string() }).optional(),
    }),
    handler: () => verifyAudit(ctx.store.db),
  });
}
