/**
 * The alert state machine as a pure fold over one route's windows. Alerts are derived, never
 * mutated in place: the evaluator re-folds a rule over the windows it has and diffs the episodes
 * against stored alerts (keyed by `openedWindow`), so late windows, re-evaluation and restarts all
 * converge on the same alerts.
 */
import type { AlertRule, MetricMap } from '../types.js';
import { evaluateRule, type ParsedRule, worseDirection } from './parse.js';

/** One evaluated window of a route: its metrics and those of the reference it was compared with. */
export interface FoldWindow {
  windowStart: number;
  windowEnd: number;
  metrics: MetricMap;
  reference: MetricMap;
}

/** One alert episode: from the first breaching window of the run that opened it to its resolution. */
export interface Episode {
  /** Start of the first of the consecutive breaching windows that led to the opening. */
  firstWindow: number;
  /** Start and end of the window at which the episode opened (the `for`-th breach, after any cool-down). */
  openedWindow: number;
  openedWindowEnd: number;
  /** Start of the last breaching window. */
  lastWindow: number;
  /** Start of the first non-breaching window after the episode; null while it is open. */
  resolvedWindow: number | null;
  /** Value and threshold at the last breaching window. */
  value: number | null;
  threshold: number | null;
  /** Value at the opening window. */
  openValue: number | null;
  /** Most extreme breaching value in the rule's bad direction. */
  worstValue: number | null;
  /** Breaching windows in the episode, counting the run before it opened. */
  windows: number;
}

/**
 * Folds a rule over a route's windows into its episodes. A breach must last `for` consecutive
 * windows (windows without data are skipped: they neither count, reset nor resolve); a new episode
 * may not open within `cooldownMs` of the previous opening (event time, window ends), so a
 * flapping metric does not page every window; the first clear window resolves. Same windows, same
 * episodes.
 */
export function foldRule(rule: AlertRule, parsed: ParsedRule, windows: readonly FoldWindow[]): Episode[] {
  const needed = Math.max(1, Math.floor(rule.for) || 1);
  const cooldown = Math.max(0, rule.cooldownMs || 0);
  const low = worseDirection(parsed) === 'low';
  const worse = (a: number | null, b: number | null): number | null => {
    if (a === null || b === null) return a ?? b;
    return low ? Math.min(a, b) : Math.max(a, b);
  };
  const sorted = [...windows].sort((a, b) => a.windowStart - b.windowStart);

  const episodes: Episode[] = [];
  let open: Episode | null = null;
  let lastOpenedEnd: number | null = null;
  // The current run of consecutive breaching windows.
  let run = 0;
  let runStart = 0;
  let runWorst: number | null = null;

  for (const w of sorted) {
    const { breached, value, threshold } = evaluateRule(parsed, w.metrics, w.reference);
    if (breached === null) continue;
    if (!breached) {
      if (open) open.resolvedWindow = w.windowStart;
      open = null;
      run = 0;
      runWorst = null;
      continue;
    }
    if (run === 0) runStart = w.windowStart;
    run++;
    runWorst = worse(runWorst, value);
    if (open) {
      open.lastWindow = w.windowStart;
      open.value = value;
      open.threshold = threshold;
      open.worstValue = runWorst;
      open.windows++;
      continue;
    }
    const cooling = lastOpenedEnd !== null && w.windowEnd - lastOpenedEnd < cooldown;
    if (run < needed || cooling) continue;
    open = {
      firstWindow: runStart,
      openedWindow: w.windowStart,
      openedWindowEnd: w.windowEnd,
      lastWindow: w.windowStart,
      resolvedWindow: null,
      value,
      threshold,
      openValue: value,
      worstValue: runWorst,
      windows: run,
    };
    lastOpenedEnd = w.windowEnd;
    episodes.push(open);
  }
  return episodes;
}
