/**
 * Route choice for one request: canary or A/B variant by weight, sticky when the request carries the
 * deployment's key (the same key always lands in the same bucket), random otherwise. Shadows are
 * not chosen: every request is mirrored to all of them.
 */
import { murmur3Utf16 } from '../stats/hll.js';
import type { DeploymentSpec, RouteName } from './types.js';

export interface RouteChoice {
  version: number;
  route: RouteName;
}

/** Buckets per 100%: weights are percentages with up to two decimals. */
const BUCKETS = 10_000;
const STICKY_SEED = 0x6b65656c;

/** The bucket (0 ≤ b < 10,000) a request key falls in; stable across processes and restarts. */
export function stickyBucket(key: string): number {
  return (murmur3Utf16(key, STICKY_SEED) >>> 0) % BUCKETS;
}

export function chooseRoute(
  spec: DeploymentSpec,
  key: string | null,
  random: () => number = Math.random,
): RouteChoice {
  const canary = spec.canary;
  const variants = spec.variants;
  if ((!canary || canary.weight <= 0) && variants.length === 0)
    return { version: spec.primary, route: 'primary' };
  const bucket = key === null ? Math.floor(random() * BUCKETS) : stickyBucket(key);
  if (canary && canary.weight > 0) {
    return bucket < canary.weight * (BUCKETS / 100)
      ? { version: canary.version, route: 'canary' }
      : { version: spec.primary, route: 'primary' };
  }
  let upTo = 0;
  for (const v of variants) {
    upTo += v.weight * (BUCKETS / 100);
    if (bucket < upTo) return { version: v.version, route: `variant:${v.name}` };
  }
  const last = variants[variants.length - 1]!;
  return { version: last.version, route: `variant:${last.name}` };
}
