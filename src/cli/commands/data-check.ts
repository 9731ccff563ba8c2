import type { Command } from 'commander';
import pc from 'picocolors';
import { summarize } from '../../data/quality/checks.js';
import { readExpectations } from '../../data/quality/expectations.js';
import { checkReportJson, formatCheckReport } from '../../data/quality/report.js';
import { checkDataset } from '../../pipelines/steps/builtins/check-dataset.js';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';
import { progressBar } from '../progress.js';

/**
 * `keel data check loans@3 --expect expectations.yaml`: checks answerable from the stored profile
 * need no data; the others read the version's rows once. Exit code 1 when any check fails.
 */
export async function run(
  ref: string,
  opts: { expect: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const expectations = await readExpectations(opts.expect);
  const summary = await withKeel(cmd, async ({ keel }) => {
    const { version: v, results } = await checkDataset(keel, ref, expectations, (label, total, unit) =>
      progressBar(label, total, { unit }),
    );
    if (opts.json) printJson({ ref: v.ref, ...checkReportJson(results) });
    else {
      process.stdout.write(`${pc.bold(v.ref)} against ${opts.expect}\n`);
      process.stdout.write(formatCheckReport(results, { color: Boolean(process.stdout.isTTY) }));
    }
    return summarize(results);
  });
  if (!summary.success) process.exitCode = 1;
}
