import type { FastifyInstance, FastifyRequest } from 'fastify';
import { allows, type Role } from '../auth/roles.js';
import { anyActiveToken, authenticate, cachedAnyActiveToken, cachedAuthentication } from '../auth/tokens.js';
import type { Context } from '../context.js';
import { KeelError } from '../core/errors.js';
import { INTERNAL_ACTOR_HEADER, internalActor } from './internal-actor.js';

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
  // Callback style with synchronous paths for cached answers: this hook runs on every inference
  // request, where an extra promise per request is measurable.
  app.addHook('onRequest', (req, _reply, done) => {
    const config = req.routeOptions.config;
    // Unknown routes fall through to the 404 handler unauthenticated: there is nothing to protect.
    if (config.public || req.routeOptions.url === undefined) return done();
    const admit = (who: { name: string; role: Role }): void => {
      req.actor = who.name;
      req.role = who.role;
      const needs = config.role ?? 'admin';
      if (!allows(req.role, needs)) {
        done(
          new KeelError(
            'PERMISSION_DENIED',
            `Token '${req.actor}' has role ${req.role}; this requires ${needs}`,
          ),
        );
        return;
      }
      done();
    };
    const internal = internalActor(req.headers[INTERNAL_ACTOR_HEADER]);
    if (internal !== undefined) return admit({ name: internal, role: 'admin' });
    let secret: string | undefined;
    try {
      secret = bearer(req);
    } catch (e) {
      return done(e as Error);
    }
    if (secret) {
      const onToken = (tok: { name: string; role: Role } | null): void => {
        if (!tok) done(new KeelError('UNAUTHENTICATED', 'Invalid or revoked API token'));
        else admit(tok);
      };
      const cached = cachedAuthentication(ctx, secret);
      if (cached !== undefined) return onToken(cached);
      authenticate(ctx, secret).then(onToken, done);
      return;
    }
    const onLocal = (anyToken: boolean): void => {
      if (opts.trustLocal || (opts.allowLocal && !anyToken)) admit(LOCAL);
      else
        done(
          new KeelError('UNAUTHENTICATED', 'An API token is required: send "Authorization: Bearer <token>"'),
        );
    };
    if (opts.trustLocal || !opts.allowLocal) return onLocal(false);
    const cached = cachedAnyActiveToken(ctx);
    if (cached !== undefined) return onLocal(cached);
    anyActiveToken(ctx).then(onLocal, done);
  });
}

const LOCAL = { name: 'local', role: 'admin' as Role };
