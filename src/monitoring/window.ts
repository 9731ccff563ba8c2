/**
 * Monitor windows on event time: `30m`, `1h`, `1d`, `1w` (aligned to the epoch, UTC), or every N
 * predictions (`10000p`). Time windows are built from the prediction log's windows, so they must
 * be a whole multiple of the deployment's log window; count windows close on the first log window
 * that brings the running total to N (their edges are log-window edges).
 */
import { invalidParam } from '../core/errors.js';
import type { WindowSpec } from './types.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const LONG_UNITS: Record<string, string> = {
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  hour: 'h',
  hours: 'h',
  day: 'd',
  days: 'd',
  week: 'w',
  weeks: 'w',
};
const MAX_WINDOW_MS = 366 * 86_400_000;

/** Milliseconds of a duration like `30m`, `6h`, `2d`; `field` names the option in errors. */
export function parseDuration(text: string, field: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  const unit = m ? (LONG_UNITS[m[2]!.toLowerCase()] ?? m[2]!.toLowerCase()) : '';
  const scale = UNITS[unit];
  if (!m || scale === undefined) {
    throw invalidParam(
      `${field} '${text}' is not a duration: use a number and a unit s, m, h, d or w (e.g. 30m, 1h, 1d)`,
      field,
    );
  }
  const ms = Math.round(Number(m[1]) * scale);
  if (ms <= 0) throw invalidParam(`${field} '${text}' must be positive`, field);
  return ms;
}

/** A window option (`1d`, `15m`, `5000p`, `5000 predictions`). */
export function parseWindow(text: string): WindowSpec {
  const count = /^\s*(\d+)\s*(p|preds|predictions|rows)\s*$/i.exec(text);
  if (count) {
    const rows = Number(count[1]);
    if (!Number.isSafeInteger(rows) || rows < 1)
      throw invalidParam(`window '${text}' must count at least 1 prediction`, 'window');
    return { kind: 'count', rows, text: `${rows}p` };
  }
  let ms: number;
  try {
    ms = parseDuration(text, 'window');
  } catch {
    throw invalidParam(
      `window '${text}' does not parse: use a duration (30m, 1h, 1d, 1w) or a prediction count (10000p)`,
      'window',
    );
  }
  if (ms > MAX_WINDOW_MS) throw invalidParam(`window '${text}' is longer than 366 days`, 'window');
  return { kind: 'time', ms, text: text.trim() };
}

/** Refuses a time window the deployment's log windows cannot tile. */
export function checkWindowFits(window: WindowSpec, logWindowMs: number): void {
  if (window.kind !== 'time') return;
  if (window.ms % logWindowMs !== 0) {
    throw invalidParam(
      `window ${window.text} is not a whole multiple of the deployment's prediction-log window ` +
        `(${logWindowMs / 1000} s): monitor windows are merged from log windows`,
      'window',
    );
  }
}

/** A short text for a duration in ms (`1d`, `90m`, `45s`). */
export function formatDuration(ms: number): string {
  for (const [u, s] of [
    ['w', UNITS.w!],
    ['d', UNITS.d!],
    ['h', UNITS.h!],
    ['m', UNITS.m!],
  ] as const) {
    if (ms % s === 0) return `${ms / s}${u}`;
  }
  return `${ms / 1000}s`;
}

/** The time window holding `t`. */
export function windowOf(t: number, ms: number): { start: number; end: number } {
  const start = Math.floor(t / ms) * ms;
  return { start, end: start + ms };
}

/** A log window's [start, end) with its rows, in event-time order: what count windows group. */
export interface LogSpan {
  start: number;
  end: number;
  rows: number;
}

/**
 * Groups consecutive log windows into count windows of at least `rows` predictions; the trailing
 * group below `rows` is open (not returned unless `includeOpen`).
 */
export function countWindows(
  spans: readonly LogSpan[],
  rows: number,
  includeOpen = false,
): { start: number; end: number; rows: number }[] {
  const out: { start: number; end: number; rows: number }[] = [];
  let cur: { start: number; end: number; rows: number } | null = null;
  for (const s of spans) {
    cur = cur ? { start: cur.start, end: s.end, rows: cur.rows + s.rows } : { ...s };
    if (cur.rows >= rows) {
      out.push(cur);
      cur = null;
    }
  }
  if (cur && includeOpen) out.push(cur);
  return out;
}
