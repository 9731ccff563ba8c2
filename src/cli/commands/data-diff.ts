import fs from 'node:fs';
import type { Command } from 'commander';
import pc from 'picocolors';
import { driftReportHtml } from '../../data/report/html.js';
import { withKeel } from '../connect.js';
import { fmtNumber, printJson, printTable } from '../output.js';

/** `keel data diff loans@2 loans@3 [--html report.html] [--json]`: schema changes and drift from stored profiles. */
export async function run(
  from: string,
  to: string,
  opts: { html?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const d = await keel.datasets.diff(from, to);
    if (opts.html) {
      fs.writeFileSync(opts.html, driftReportHtml(d));
      process.stderr.write(`wrote ${opts.html}\n`);
    }
    if (opts.json) {
      return printJson({
        from: d.from,
        to: d.to,
        schema: d.schema,
        dataset: d.dataset,
        // The fields the issue names, `test` for the statistical test used.
        columns: d.columns.map((c) => ({
          column: c.column,
          type: c.type,
          test: c.method,
          statistic: c.statistic,
          pValue: c.pValue ?? null,
          threshold: c.threshold,
          drifted: c.drifted,
          approximate: c.approximate,
        })),
      });
    }
    const s = d.schema;
    for (const c of s.added) process.stdout.write(`${pc.green('+')} column ${c.name} (${c.type})\n`);
    for (const c of s.removed) process.stdout.write(`${pc.red('-')} column ${c.name} (${c.type})\n`);
    for (const c of s.changed)
      process.stdout.write(`${pc.yellow('~')} column ${c.name}: ${c.from} → ${c.to}\n`);
    printTable(
      ['column', 'type', 'test', 'statistic', 'p-value', 'threshold', 'drifted'],
      d.columns.map((c) => [
        c.column,
        c.type,
        c.method,
        fmtNumber(c.statistic),
        c.pValue === undefined ? '' : fmtNumber(c.pValue),
        fmtNumber(c.threshold),
        c.drifted ? pc.red('yes') : 'no',
      ]),
    );
    const ds = d.dataset;
    const line = `${ds.driftedColumns} of ${ds.totalColumns} columns drifted (share ${(ds.share * 100).toFixed(0)}%, threshold ${(ds.threshold * 100).toFixed(0)}%)`;
    process.stdout.write(
      ds.drifted ? `${pc.red(pc.bold('DATASET DRIFT'))}: ${line}\n` : `no dataset drift: ${line}\n`,
    );
  });
}
