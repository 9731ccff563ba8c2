import { randomBytes } from 'node:crypto';
import { type Actor, audited, uniquely } from '../audit/tx.js';
import type { Context } from '../context.js';
import { alreadyExists, invalidParam, notFound } from '../core/errors.js';
import { newId, sha256Hex } from '../core/ids.js';
import { ROLES, type Role } from './roles.js';

export interface TokenInfo {
  name: string;
  role: Role;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const NAME_RE = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** Creates a token and returns its secret once; only its sha256 is stored. */
export async function createToken(
  ctx: Context,
  name: string,
  role: Role,
  actor: Actor,
): Promise<{ token: string; info: TokenInfo }> {
  if (!NAME_RE.test(name))
    throw invalidParam(`Invalid token name '${name}': use letters, digits, '_', '-', '.' (max 64)`, 'name');
  if (!ROLES.includes(role))
    throw invalidParam(`Invalid role '${role}': expected one of ${ROLES.join(', ')}`, 'role');
  const token = `keel_${randomBytes(32).toString('base64url')}`;
  const now = ctx.clock.now();
  await uniquely(
    ctx,
    () =>
      audited(
        ctx,
        async (trx) => {
          const clash = await trx
            .selectFrom('api_tokens')
            .select('name')
            .where('name', '=', name)
            .executeTakeFirst();
          if (clash) throw alreadyExists(`Token '${name}' already exists`);
          await trx
            .insertInto('api_tokens')
            .values({
              token_id: newId(),
              name,
              role,
              token_hash: sha256Hex(token),
              created_at: now,
              last_used_at: null,
              revoked_at: null,
            })
            .execute();
          return {
            result: undefined,
            audit: { action: 'token.create', objectType: 'token', objectId: name, after: { role } },
          };
        },
        actor,
      ),
    () => alreadyExists(`Token '${name}' already exists`),
  );
  clearAuthCache(ctx);
  return { token, info: { name, role, createdAt: now, lastUsedAt: null, revokedAt: null } };
}

/** All tokens, revoked ones included (their secrets are never shown again). */
export async function listTokens(ctx: Context): Promise<TokenInfo[]> {
  const rows = await ctx.store.db.selectFrom('api_tokens').selectAll().orderBy('created_at').execute();
  return rows.map((r) => ({
    name: r.name,
    role: r.role as Role,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }));
}

/** Revokes a token by name; it stops working at once in this process, within a second on other replicas. */
export async function revokeToken(ctx: Context, name: string, actor: Actor): Promise<void> {
  await audited(
    ctx,
    async (trx) => {
      const res = await trx
        .updateTable('api_tokens')
        .set({ revoked_at: ctx.clock.now() })
        .where('name', '=', name)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw notFound(`No active token named '${name}'`);
      return { result: undefined, audit: { action: 'token.revoke', objectType: 'token', objectId: name } };
    },
    actor,
  );
  clearAuthCache(ctx);
}

/**
 * Authentication runs on every request, including the serving hot path (≥ 10k requests/s), so
 * answers are cached for a second. Creating or revoking a token in this process clears the cache at
 * once; another replica sees a revocation within AUTH_CACHE_MS.
 */
const AUTH_CACHE_MS = 1000;
interface AuthCache {
  any: { value: boolean; at: number } | null;
  secrets: Map<string, { value: { name: string; role: Role } | null; at: number }>;
}
const authCaches = new WeakMap<Context, AuthCache>();
const authCache = (ctx: Context): AuthCache => {
  let c = authCaches.get(ctx);
  if (!c) {
    c = { any: null, secrets: new Map() };
    authCaches.set(ctx, c);
  }
  return c;
};
/** Forgets cached authentication answers (after a token is created or revoked). */
export function clearAuthCache(ctx: Context): void {
  authCaches.delete(ctx);
}

/** The cached answer of anyActiveToken, or undefined when it must be asked (no await on the hot path). */
export function cachedAnyActiveToken(ctx: Context): boolean | undefined {
  const any = authCaches.get(ctx)?.any;
  return any && performance.now() - any.at < AUTH_CACHE_MS ? any.value : undefined;
}

/** The cached answer of authenticate, or undefined when it must be asked. */
export function cachedAuthentication(
  ctx: Context,
  secret: string,
): { name: string; role: Role } | null | undefined {
  const hit = authCaches.get(ctx)?.secrets.get(secret);
  return hit && performance.now() - hit.at < AUTH_CACHE_MS ? hit.value : undefined;
}

/** Whether any usable token exists (local mode ends when the first one is created). */
export async function anyActiveToken(ctx: Context): Promise<boolean> {
  const cache = authCache(ctx);
  const now = performance.now();
  if (cache.any && now - cache.any.at < AUTH_CACHE_MS) return cache.any.value;
  const value = await anyActiveTokenUncached(ctx);
  cache.any = { value, at: now };
  return value;
}

async function anyActiveTokenUncached(ctx: Context): Promise<boolean> {
  const row = await ctx.store.db
    .selectFrom('api_tokens')
    .select('name')
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

// last_used_at is a convenience, not an audit record: write it at most once a minute per token.
const LAST_USED_EVERY_MS = 60_000;
const lastUsedWrites = new WeakMap<Context, Map<string, number>>();

/** Resolves a presented secret to its active token, or null. */
export async function authenticate(
  ctx: Context,
  secret: string,
): Promise<{ name: string; role: Role } | null> {
  const cache = authCache(ctx);
  const t = performance.now();
  const hit = cache.secrets.get(secret);
  if (hit && t - hit.at < AUTH_CACHE_MS) return hit.value;
  const value = await authenticateUncached(ctx, secret);
  // Bounded: a flood of wrong secrets must not grow memory.
  if (cache.secrets.size >= 10_000) cache.secrets.clear();
  cache.secrets.set(secret, { value, at: t });
  return value;
}

async function authenticateUncached(
  ctx: Context,
  secret: string,
): Promise<{ name: string; role: Role } | null> {
  const row = await ctx.store.db
    .selectFrom('api_tokens')
    .select(['name', 'role', 'token_id'])
    .where('token_hash', '=', sha256Hex(secret))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const now = ctx.clock.now();
  let seen = lastUsedWrites.get(ctx);
  if (!seen) {
    seen = new Map();
    lastUsedWrites.set(ctx, seen);
  }
  if (now - (seen.get(row.token_id) ?? 0) > LAST_USED_EVERY_MS) {
    seen.set(row.token_id, now);
    await ctx.store.db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('token_id', '=', row.token_id)
      .execute();
  }
  return { name: row.name, role: row.role as Role };
}
