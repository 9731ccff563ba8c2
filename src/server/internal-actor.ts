import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * In-process callers (pipeline steps, rollouts) act under their own name: they send this header with
 * a secret that exists only in this process's memory, so no request from the network can claim it.
 */
export const INTERNAL_ACTOR_HEADER = 'x-keel-internal-actor';

const SECRET = randomBytes(32).toString('hex');

export const internalActorHeader = (actor: string): string => `${SECRET} ${actor}`;

/** The actor named by a genuine internal header, or undefined. */
export function internalActor(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string' || value.length <= SECRET.length + 1) return undefined;
  const given = Buffer.from(value.slice(0, SECRET.length));
  if (!timingSafeEqual(given, Buffer.from(SECRET)) || value[SECRET.length] !== ' ') return undefined;
  return value.slice(SECRET.length + 1);
}
