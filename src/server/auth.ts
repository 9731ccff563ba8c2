import type { FastifyInstance, FastifyRequest } from 'fastify';
import { allows, type Role } from '../auth/roles.js';
import { anyActiveToken, authenticate } from '../auth/tokens.js';
import type { Context } from '../context.js';
import { KeelError } from '../core/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: string;
    role: Role;
  }
  interface FastifyContextConfig {
    role?: Role;
    public?: boolean;
  }
}

export interface AuthOptions {
  /** Accept token-less requests while no token exists (loopback listeners). */
  allowLocal: boolean;
  /**
   * Accept every token-less request as `local` admin, tokens or not. Only for the CLI's
   * in-process app: whoever runs it already has the data dir's files.
   */
  trustLocal?: boolean;
}

const bearer = (req: FastifyRequest): string | undefined => {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h);
  if (!m) throw new KeelError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"');
  return m[1]!.trim();
};

/**
 * Authenticates every request but the public ones (health). A token decides actor and role;
 * with no token, requests are accepted as `local` admin only while no token exists and local
 * mode is allowed. Each route states the least role it needs.
 */
export function registerAuth(app: FastifyInstance, ctx: Context, opts: AuthOptions): void {
  app.decorateRequest('actor', 'anonymous');
  app.decorateRequest('role', 'viewer');
  app.addHook('onRequest', async (req) => {
    const config = req.routeOptions.config;
    // Unknown routes fall through to the 404 handler unauthenticated: there is nothing to protect.
    if (config.public || req.routeOptions.url === undefined) return;
    const secret = bearer(req);
    if (secret) {
      const tok = await authenticate(ctx, secret);
      if (!tok) throw new KeelError('UNAUTHENTICATED', 'Invalid or revoked API token');
      req.actor = tok.name;
      req.role = tok.role;
    } else if (opts.trustLocal || (opts.allowLocal && !(await anyActiveToken(ctx)))) {
      req.actor = 'local';
      req.role = 'admin';
    } else {
      throw new KeelError(
        'UNAUTHENTICATED',
        'An API token is required: send "Authorization: Bearer <token>"',
      );
    }
    const needs = config.role ?? 'admin';
    if (!allows(req.role, needs)) {
      throw new KeelError(
        'PERMISSION_DENIED',
        `Token '${req.actor}' has role ${req.role}; this requires ${needs}`,
      );
    }
  });
}
