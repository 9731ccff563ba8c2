import type { Command } from 'commander';
import pc from 'picocolors';
import type { AlertEventPayload } from '../../sdk/alerts.js';
import type { WindowResult } from '../../sdk/monitors.js';
import { withKeel } from '../connect.js';
import { fmtNumber, fmtTime, printJson, printTable } from '../output.js';
import { fmtWindow, out, parseRange } from './monitor.js';

/** `keel monitor run` (evaluate now) and `keel monitor results` (what the runs stored). */

/**
 * An elapsed-time counter on stderr while a request runs: drawn only on a TTY and only once the
 * wait passes a second, so scripts and quick runs print nothing extra (cf. progress.ts's bars,
 * which need a known total).
 */
function waiting(label: string, stream: NodeJS.WriteStream = process.stderr): { stop(): void } {
  if (!stream.isTTY) return { stop() {} };
  const started = Date.now();
  let drawn = false;
  const timer = setInterval(() => {
    const s = (Date.now() - started) / 1000;
    if (s < 1) return;
    drawn = true;
    stream.write(`\r${label} ${s.toFixed(0)} s`);
  }, 250);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

const pct = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '' : `${(v * 100).toFixed(1)}%`;
const num = (v: number | null | undefined): string => (v === null || v === undefined ? '' : fmtNumber(v));

const kind = (e: AlertEventPayload): string => {
  const k = e.type.slice('alert.'.length);
  return k === 'opened' ? pc.red(k) : k === 'resolved' ? pc.green(k) : pc.yellow(k);
};

/** `keel monitor run credit-api [--from T] [--to T]`: evaluates the range now; prints windows and alert events. */
export async function run(name: string, opts: { from?: string; to?: string; json?: boolean }, cmd: Command) {
  const range = parseRange(opts);
  await withKeel(cmd, async ({ keel }) => {
    const spinner = waiting(`evaluating monitor ${name}…`);
    let r: Awaited<ReturnType<typeof keel.monitors.run>>;
    let windows: WindowResult[];
    try {
      r = await keel.monitors.run(name, range);
      windows = r.windows > 0 ? await keel.monitors.results(name, { from: r.from, to: r.to }) : [];
    } finally {
      spinner.stop();
    }
    if (opts.json) return printJson({ ...r, results: windows });
    const requested = `${fmtTime(r.from)} → ${fmtTime(r.to)} UTC`;
    if (r.windows === 0) {
      out(`monitor ${name}: no logged predictions in ${requested}: nothing evaluated (run ${r.id})`);
    } else {
      // The windows evaluated (a range left open ends at the last logged window's start).
      const from = windows.length ? Math.min(...windows.map((w) => w.windowStart)) : r.from;
      const to = windows.length ? Math.max(...windows.map((w) => w.windowEnd)) : r.to;
      const starts = new Set(windows.map((w) => w.windowStart)).size;
      out(
        `monitor ${name}: evaluated ${starts} window(s) in ${fmtTime(from)} → ${fmtTime(to)} UTC` +
          `${r.windows === starts ? '' : ` (${r.windows} results, one per route)`} (run ${r.id})`,
      );
      for (const w of windows) {
        const drift = w.metrics.drift_share;
        out(
          `  ${fmtWindow(w.windowStart, w.windowEnd)}  ${w.route}  ${w.rows} rows` +
            (drift !== null && drift !== undefined ? `  drift share ${fmtNumber(drift)}` : '') +
            (w.labelled > 0 ? `  ${w.labelled} labelled` : ''),
        );
      }
    }
    if (r.events.length === 0) return out('no alert events');
    out(`${r.events.length} alert event(s):`);
    for (const e of r.events) {
      out(
        `  ${kind(e)}  ${pc.bold(e.alert.rule)}  ${e.alert.route}  ${e.alert.message}  ${pc.dim(`window ${fmtWindow(e.window.start, e.window.end)}`)}`,
      );
    }
  });
}

/** Columns (features, not prediction outputs) that drifted in a window. */
const driftedColumns = (w: WindowResult): string =>
  w.drift
    .filter((d) => d.drifted && !d.prediction)
    .map((d) => d.column)
    .join(', ');

/** The realised headline metric: accuracy for classifiers, rmse for regressions. */
function realised(w: WindowResult): string {
  const m = w.performance.realised;
  if (!m) return '';
  if (m.accuracy !== undefined && m.accuracy !== null) return `accuracy ${fmtNumber(m.accuracy)}`;
  if (m.rmse !== undefined && m.rmse !== null) return `rmse ${fmtNumber(m.rmse)}`;
  return '';
}

/** `keel monitor results credit-api [--from] [--to] [--route]`: one row per window and route. */
export async function results(
  name: string,
  opts: { from?: string; to?: string; route?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const range = parseRange(opts);
  await withKeel(cmd, async ({ keel }) => {
    const all = await keel.monitors.results(name, { ...range, route: opts.route });
    if (opts.json) return printJson(all);
    if (all.length === 0)
      return out(`no results for monitor ${name} (\`keel monitor run ${name}\` evaluates now)`);
    printTable(
      [
        'window start (UTC)',
        'route',
        'rows',
        'drift share',
        'drifted columns',
        'missing rate',
        'labelled / coverage',
        'realised',
        'estimated_accuracy',
      ],
      all.map((w) => [
        fmtTime(w.windowStart),
        w.route,
        w.rows,
        num(w.metrics.drift_share),
        driftedColumns(w),
        pct(w.metrics.missing_rate),
        `${w.labelled} / ${pct(w.performance.labelCoverage)}`,
        realised(w),
        num(w.performance.estimated?.estimated_accuracy ?? w.metrics.estimated_accuracy),
      ]),
    );
  });
}
