import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import type { BacktestResult } from '../../monitoring/backtest.js';
import { ensureOk } from '../../sdk/transport.js';
import { withKeel } from '../connect.js';
import { printJson, printTable } from '../output.js';

/**
 * `keel monitor backtest --deployment D --data loans@4 --timestamp-column ts [--label-column y]
 * [--monitor M] [--window 1d] [--rule "<expr>"]… [--for N] [--cooldown 6h] [--json]`: replays a
 * labelled dataset through the monitor on event time and prints when each alert would have fired.
 */
export interface BacktestOptions {
  deployment: string;
  data: string;
  timestampColumn: string;
  labelColumn?: string;
  monitor?: string;
  window?: string;
  rule?: string[];
  for?: string;
  cooldown?: string;
  json?: boolean;
}

const utc = (t: number | null) => (t === null ? '-' : new Date(t).toISOString().replace('.000Z', 'Z'));
const num = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : Number(v.toPrecision(3)).toString();

export async function run(opts: BacktestOptions, cmd: Command): Promise<void> {
  const n = opts.for === undefined ? undefined : Number(opts.for);
  if (n !== undefined && !(Number.isInteger(n) && n >= 1))
    throw invalidParam(`--for must be a whole number ≥ 1, got '${opts.for}'`, 'for');
  const rules = opts.rule?.map((when) => ({
    when,
    ...(n ? { for: n } : {}),
    ...(opts.cooldown ? { cooldown: opts.cooldown } : {}),
  }));
  const result = await withKeel(cmd, (c) =>
    c.keel.transport
      .request({
        method: 'POST',
        path: '/api/v1/monitors/backtest',
        json: {
          deployment: opts.deployment,
          data: opts.data,
          timestampColumn: opts.timestampColumn,
          ...(opts.labelColumn ? { labelColumn: opts.labelColumn } : {}),
          ...(opts.monitor ? { monitor: opts.monitor } : {}),
          ...(opts.window ? { window: opts.window } : {}),
          ...(rules ? { rules } : {}),
        },
      })
      .then(async (r) => (await (await ensureOk(r)).json()) as BacktestResult),
  );
  if (opts.json) return printJson(result);
  console.log(
    `backtest of ${result.deployment} (${result.model}@${result.version}) on ${result.data}: ${result.rows} rows in ${result.windows.length} windows, reference ${result.reference}`,
  );
  printTable(
    ['window', 'rows', 'drift share', 'accuracy', 'est. accuracy', 'labelled'],
    result.windows.map((w) => [
      utc(w.windowStart),
      String(w.rows),
      num(w.metrics.drift_share),
      num(w.metrics.accuracy ?? w.metrics.rmse),
      num(w.metrics.estimated_accuracy),
      String(w.labelled),
    ]),
  );
  if (result.alerts.length === 0) {
    console.log('no alert would have fired');
    return;
  }
  console.log(pc.bold(`\n${result.alerts.length} alert(s) would have fired:`));
  for (const a of result.alerts) {
    const until = a.resolvedWindow === null ? 'still open at the end' : `resolved ${utc(a.resolvedWindow)}`;
    console.log(`  ${utc(a.openedWindow)}  [${a.severity}] ${a.rule}: ${a.message} (${until})`);
  }
}
