import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ROLES } from '../../../auth/roles.js';
import { createToken, listTokens, revokeToken } from '../../../auth/tokens.js';
import type { Context } from '../../../context.js';
import { route } from '../../route.js';
import { Empty } from './wire.js';

const tags = ['tokens'];
const Role = z.enum(ROLES);
const Ms = z.number().int();
const TokenInfoSchema = z.object({
  name: z.string(),
  role: Role,
  createdAt: Ms,
  lastUsedAt: Ms.nullable(),
  revokedAt: Ms.nullable(),
});

/** API token management (admins only). Creating the first token ends tokenless local mode. */
export function registerTokens(app: FastifyInstance, ctx: Context): void {
  route(app, {
    method: 'POST',
    url: '/api/v1/tokens',
    role: 'admin',
    summary: 'Create an API token; its secret is returned once',
    tags,
    body: z.object({ name: z.string().min(1), role: Role }),
    response: z.object({ token: z.string(), info: TokenInfoSchema }),
    handler: ({ body, actor }) => createToken(ctx, body.name, body.role, actor),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/tokens',
    role: 'admin',
    summary: 'List tokens, revoked ones included (secrets are never shown again)',
    tags,
    response: z.object({ tokens: z.array(TokenInfoSchema) }),
    handler: async () => ({ tokens: await listTokens(ctx) }),
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/tokens/:name',
    role: 'admin',
    summary: 'Revoke a token; it stops working at once',
    tags,
    params: z.object({ name: z.string().min(1) }),
    response: Empty,
    handler: async ({ params, actor }) => {
      await revokeToken(ctx, params.name, actor);
      return {};
    },
  });
}
