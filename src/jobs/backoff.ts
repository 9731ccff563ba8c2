/**
 * Delay before the attempt after failed attempt `attempt` (1-based): `baseMs · 2^(attempt-1)`,
 * ±25 % jitter so jobs that failed together do not retry together, never above `maxMs`.
 */
export function retryDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(baseMs * 2 ** Math.max(attempt - 1, 0), maxMs);
  return Math.min(Math.round(exp * (0.75 + 0.5 * random())), maxMs);
}
