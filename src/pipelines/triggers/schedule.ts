/**
 * Schedule triggers: cron in a timezone. At each look the latest tick in (cursor, now] starts one
 * run keyed by the tick, so any number of schedulers (replicas) make one run per tick; ticks missed
 * while no scheduler ran are not caught up (one run for the latest, like Airflow with catchup off).
 */
import { CronExpressionParser } from 'cron-parser';
import type { ScheduleTrigger } from '../spec/index.js';
import type { Trigger } from '../types.js';

/** The latest tick in (after, now], or null. */
export function latestTick(t: ScheduleTrigger, after: number, now: number): number | null {
  if (now <= after) return null;
  const it = CronExpressionParser.parse(t.schedule, { currentDate: new Date(now + 1), tz: t.timezone });
  const prev = it.prev().getTime();
  return prev > after ? prev : null;
}

export function scheduleTriggers(
  t: ScheduleTrigger,
  index: number,
  after: number,
  now: number,
): { triggers: Trigger[]; cursor: number } {
  const tick = latestTick(t, after, now);
  if (tick === null) return { triggers: [], cursor: after };
  return {
    triggers: [
      {
        kind: 'schedule',
        key: `schedule:${index}:${new Date(tick).toISOString()}`,
        context: { tick: new Date(tick).toISOString(), schedule: t.schedule, timezone: t.timezone },
      },
    ],
    cursor: tick,
  };
}
