import { CronExpressionParser } from 'cron-parser';
import type { ScheduleTrigger } from './types.js';

/** Null when `tz` is an IANA timezone the runtime knows (e.g. Europe/Paris, UTC), else the reason. */
export function checkTimezone(tz: string): string | null {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return null;
  } catch {
    return `unknown timezone '${tz}' (use an IANA name such as UTC or Europe/Paris)`;
  }
}

/**
 * Null when `cron` is a 5-field expression (minute hour day-of-month month day-of-week) that fires
 * at least once, else the reason. The library also takes 6 fields (seconds) and macros; a pipeline
 * schedule is refused them so a schedule reads the same as in crontab.
 */
export function checkCron(cron: string, tz: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5)
    return `cron '${cron}' has ${fields.length} field(s): use 5 (minute hour day-of-month month day-of-week)`;
  try {
    CronExpressionParser.parse(cron, { tz }).next();
    return null;
  } catch (e) {
    return `cron '${cron}' is invalid: ${(e as Error).message}`;
  }
}

/** The first time strictly after `after` at which the schedule fires. */
export function nextScheduleTime(trigger: ScheduleTrigger, after: Date): Date {
  return CronExpressionParser.parse(trigger.schedule, { tz: trigger.timezone, currentDate: after })
    .next()
    .toDate();
}
