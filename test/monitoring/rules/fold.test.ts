import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FoldWindow, foldRule } from '../../../src/monitoring/rules/fold.js';
import { evaluateRule, parseRule } from '../../../src/monitoring/rules/parse.js';
import type { AlertRule } from '../../../src/monitoring/types.js';

const H = 3_600_000;

const ruleOf = (when: string, over: Partial<AlertRule> = {}): AlertRule => ({
  name: when,
  when,
  for: 1,
  cooldownMs: 0,
  severity: 'warning',
  channels: [],
  routes: null,
  ...over,
});

/** Hourly windows, the i-th starting at i·H, with `key` set to each value (null = no data). */
const hourly = (
  values: (number | null)[],
  key = 'accuracy',
  reference: Record<string, number> = {},
): FoldWindow[] =>
  values.map((v, i) => ({ windowStart: i * H, windowEnd: (i + 1) * H, metrics: { [key]: v }, reference }));

const fold = (when: string, values: (number | null)[], over: Partial<AlertRule> = {}) =>
  foldRule(ruleOf(when, over), parseRule(when), hourly(values));

describe('foldRule', () => {
  it('opens on the first breach with for: 1 and resolves on the first clear window', () => {
    expect(fold('accuracy < 0.85', [0.9, 0.8, 0.82, 0.9, 0.95])).toEqual([
      {
        firstWindow: 1 * H,
        openedWindow: 1 * H,
        openedWindowEnd: 2 * H,
        lastWindow: 2 * H,
        resolvedWindow: 3 * H,
        value: 0.82,
        threshold: 0.85,
        openValue: 0.8,
        worstValue: 0.8,
        windows: 2,
      },
    ]);
  });

  it('waits for `for` consecutive breaching windows and tracks the episode while open', () => {
    const episodes = fold('accuracy < 0.85', [0.9, 0.84, 0.8, 0.82, 0.7, 0.83, 0.9], { for: 3 });
    expect(episodes).toEqual([
      {
        firstWindow: 1 * H,
        openedWindow: 3 * H,
        openedWindowEnd: 4 * H,
        lastWindow: 5 * H,
        resolvedWindow: 6 * H,
        value: 0.83,
        threshold: 0.85,
        openValue: 0.82,
        worstValue: 0.7,
        windows: 5,
      },
    ]);
  });

  it('restarts the count after a clear window', () => {
    expect(fold('accuracy < 0.85', [0.8, 0.8, 0.9, 0.8, 0.8], { for: 3 })).toEqual([]);
    const [e] = fold('accuracy < 0.85', [0.8, 0.8, 0.9, 0.8, 0.8, 0.8], { for: 3 });
    expect(e).toMatchObject({ firstWindow: 3 * H, openedWindow: 5 * H, windows: 3, resolvedWindow: null });
  });

  it('skips windows without data: they neither count, reset nor resolve', () => {
    // Two breaches, a gap, a breach: the third breach opens (the gap did not reset the count).
    const [opened] = fold('accuracy < 0.85', [0.8, 0.8, null, 0.8], { for: 3 });
    expect(opened).toMatchObject({ firstWindow: 0, openedWindow: 3 * H, windows: 3 });
    // The gap did not count either: two breaches around it are not three.
    expect(fold('accuracy < 0.85', [0.8, null, 0.8], { for: 3 })).toEqual([]);
    // An open episode survives a gap and resolves at the next clear window.
    const [open] = fold('accuracy < 0.85', [0.8, null, Number.NaN, 0.9]);
    expect(open).toMatchObject({ lastWindow: 0, resolvedWindow: 3 * H, windows: 1 });
  });

  it('stays open (resolvedWindow null) while the last windows still breach', () => {
    const episodes = fold('accuracy < 0.85', [0.8, 0.9, 0.8, 0.81]);
    expect(episodes.map((e) => [e.openedWindow, e.resolvedWindow])).toEqual([
      [0, 1 * H],
      [2 * H, null],
    ]);
  });

  it('suppresses a new episode within the cool-down, then opens while the breach lasts past it', () => {
    // Opens at 0 (ends 1H); breaches again at 2 and 3. Window 2 ends at 3H, only 2H after 1H;
    // window 3 ends at 4H, 3H after: the cool-down is over and it opens there, run starting at 2.
    const episodes = fold('accuracy < 0.85', [0.8, 0.9, 0.8, 0.7, 0.8, 0.9], { cooldownMs: 3 * H });
    expect(episodes).toEqual([
      expect.objectContaining({ firstWindow: 0, openedWindow: 0, resolvedWindow: 1 * H }),
      {
        firstWindow: 2 * H,
        openedWindow: 3 * H,
        openedWindowEnd: 4 * H,
        lastWindow: 4 * H,
        resolvedWindow: 5 * H,
        value: 0.8,
        threshold: 0.85,
        openValue: 0.7,
        worstValue: 0.7,
        windows: 3,
      },
    ]);
  });

  it('drops a breach that clears within the cool-down, and opens the next one after it', () => {
    const values = [0.8, 0.9, 0.8, 0.9, 0.9, 0.8, 0.9];
    expect(fold('accuracy < 0.85', values).map((e) => e.openedWindow)).toEqual([0, 2 * H, 5 * H]);
    expect(fold('accuracy < 0.85', values, { cooldownMs: 4 * H }).map((e) => e.openedWindow)).toEqual([
      0,
      5 * H,
    ]);
    expect(fold('accuracy < 0.85', values, { cooldownMs: 6 * H }).map((e) => e.openedWindow)).toEqual([0]);
  });

  it('counts for and cool-down together', () => {
    // for 2, cool-down 4H: opens at 1 (ends 2H); run 3,4,5: 4 ends 5H (3H < 4H), 5 ends 6H → opens at 5.
    const values = [0.8, 0.8, 0.9, 0.8, 0.8, 0.8, 0.8];
    const episodes = fold('accuracy < 0.85', values, { for: 2, cooldownMs: 4 * H });
    expect(episodes.map((e) => [e.firstWindow, e.openedWindow, e.lastWindow, e.windows])).toEqual([
      [0, 1 * H, 1 * H, 2],
      [3 * H, 5 * H, 6 * H, 4],
    ]);
  });

  it('takes the worst value in the direction of the rule', () => {
    const [e] = foldRule(
      ruleOf('psi(salary) > 0.25'),
      parseRule('psi(salary) > 0.25'),
      hourly([0.3, 0.6, 0.4], 'psi(salary)'),
    );
    expect(e).toMatchObject({ openValue: 0.3, worstValue: 0.6, value: 0.4 });
  });

  it('folds change rules against each window’s reference', () => {
    const when = 'estimated_accuracy drops 5 points vs reference';
    const windows = hourly([0.88, 0.84, 0.83, 0.9], 'estimated_accuracy', { estimated_accuracy: 0.9 });
    windows[2]!.reference = {}; // no reference value: no verdict
    const episodes = foldRule(ruleOf(when), parseRule(when), windows);
    expect(episodes).toEqual([
      expect.objectContaining({
        openedWindow: 1 * H,
        lastWindow: 1 * H,
        resolvedWindow: 3 * H,
        threshold: 0.85,
      }),
    ]);
  });

  it('treats for below 1 as 1', () => {
    expect(fold('accuracy < 0.85', [0.8], { for: 0 })).toHaveLength(1);
  });

  it('is deterministic and independent of the input order', () => {
    const values = [0.8, 0.9, null, 0.8, 0.8, 0.7, 0.9, 0.8];
    const over = { for: 2, cooldownMs: 2 * H };
    const once = fold('accuracy < 0.85', values, over);
    expect(fold('accuracy < 0.85', values, over)).toEqual(once);
    const shuffled = hourly(values).reverse();
    expect(foldRule(ruleOf('accuracy < 0.85', over), parseRule('accuracy < 0.85'), shuffled)).toEqual(once);
  });
});

describe('foldRule properties', () => {
  const when = 'accuracy < 0.85';
  const parsed = parseRule(when);
  const value = fc.oneof(
    fc.constant(null),
    fc.double({ min: 0, max: 0.84, noNaN: true }),
    fc.double({ min: 0.85, max: 1, noNaN: true }),
  );
  const params = fc.record({
    for: fc.integer({ min: 1, max: 4 }),
    cooldownMs: fc.integer({ min: 0, max: 6 }).map((h) => h * H),
  });

  it('opens only after `for` breaches, outside the cool-down, with episodes that never overlap', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), params, (values, over) => {
        const rule = ruleOf(when, over);
        const windows = hourly(values);
        const episodes = foldRule(rule, parsed, windows);
        expect(foldRule(rule, parsed, windows)).toEqual(episodes);
        const verdicts = windows
          .map((w) => ({ w, breached: evaluateRule(parsed, w.metrics, w.reference).breached }))
          .filter((v) => v.breached !== null);
        episodes.forEach((e, i) => {
          // The `for` windows with data up to the opening all breach.
          const upTo = verdicts.filter((v) => v.w.windowStart <= e.openedWindow);
          expect(upTo.length).toBeGreaterThanOrEqual(rule.for);
          expect(upTo.slice(-rule.for).every((v) => v.breached)).toBe(true);
          // Every window with data from the first to the last breaches, and `windows` counts them.
          const inside = verdicts.filter(
            (v) => v.w.windowStart >= e.firstWindow && v.w.windowStart <= e.lastWindow,
          );
          expect(inside.every((v) => v.breached)).toBe(true);
          expect(e.windows).toBe(inside.length);
          expect(e.firstWindow).toBeLessThanOrEqual(e.openedWindow);
          expect(e.openedWindow).toBeLessThanOrEqual(e.lastWindow);
          const next = episodes[i + 1];
          if (next) {
            expect(e.resolvedWindow).not.toBeNull();
            expect(next.firstWindow).toBeGreaterThan(e.resolvedWindow!);
            expect(next.openedWindowEnd - e.openedWindowEnd).toBeGreaterThanOrEqual(rule.cooldownMs);
          }
        });
      }),
    );
  });

  it('never leaves a qualifying breach unreported once the cool-down has passed', () => {
    // Without a cool-down, every run of `for` consecutive breaches (skipping gaps) opens an episode.
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (values, n) => {
        const episodes = foldRule(ruleOf(when, { for: n }), parsed, hourly(values));
        let run = 0;
        let expected = 0;
        for (const v of values) {
          if (v === null) continue;
          run = v < 0.85 ? run + 1 : 0;
          if (run === n) expected++;
        }
        expect(episodes).toHaveLength(expected);
      }),
    );
  });
});
