import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { KeelError } from '../../core/errors.js';
import { isTabular, openTable } from '../../data/formats/index.js';
import { evaluate, planChecks, RowChecker, summarize } from '../../data/quality/checks.js';
import { readExpectations } from '../../data/quality/expectations.js';
import { checkReportJson, formatCheckReport } from '../../data/quality/report.js';
import { rowCoercer } from '../../data/schema.js';
import { withKeel } from '../connect.js';
import { materialize } from '../materialize.js';
import { printJson } from '../output.js';

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
    const v = await keel.datasets.get(ref);
    if (!v.profile || !v.schema)
      throw new KeelError('INVALID_PARAMETER_VALUE', `${v.ref} has no tabular files to check`);
    const plan = planChecks(expectations, v.profile);
    let rowResults: ReturnType<RowChecker['finish']> | undefined;
    if (plan.needsRows) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-check-'));
      try {
        const files = v.files.filter((f) => isTabular(f.path));
        await materialize(keel, `fetch ${v.ref}`, files, dir);
        const checker = new RowChecker(
          plan.rowChecks,
          v.schema.columns.map((c) => c.name),
        );
        for (const f of files) {
          const reader = await openTable(path.join(dir, f.path));
          const typed = rowCoercer(reader, v.schema);
          for await (const raw of reader.rows()) {
            const row = typed(raw);
            // Malformed rows were counted when the version was added; checks see the rows it kept.
            if (Array.isArray(row)) checker.add(row);
          }
        }
        rowResults = checker.finish();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    const results = evaluate(expectations, v.profile, rowResults);
    if (opts.json) printJson({ ref: v.ref, ...checkReportJson(results) });
    else {
      process.stdout.write(`${pc.bold(v.ref)} against ${opts.expect}\n`);
      process.stdout.write(formatCheckReport(results, { color: Boolean(process.stdout.isTTY) }));
    }
    return summarize(results);
  });
  if (!summary.success) process.exitCode = 1;
}
