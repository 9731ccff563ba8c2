/**
 * Evaluating expectations on a dataset version through the API: checks the stored profile
 * answers need no data; the others read the version's rows once. `keel data check` and the
 * `data.check` step both run exactly this.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeelError } from '../../../core/errors.js';
import { isTabular, openTable } from '../../../data/formats/index.js';
import { type CheckResult, evaluate, planChecks, RowChecker } from '../../../data/quality/checks.js';
import type { Expectation } from '../../../data/quality/expectations.js';
import { rowCoercer } from '../../../data/schema.js';
import type { DatasetVersion, Keel } from '../../../sdk/index.js';
import { materialize } from './dataset-io.js';
import type { ProgressFactory } from './progress.js';

/** One result per expectation, in the expectations' order. */
export async function checkDataset(
  keel: Keel,
  ref: string,
  expectations: readonly Expectation[],
  progress?: ProgressFactory,
): Promise<{ version: DatasetVersion; results: CheckResult[] }> {
  const v = await keel.datasets.get(ref);
  if (!v.profile || !v.schema)
    throw new KeelError('INVALID_PARAMETER_VALUE', `${v.ref} has no tabular files to check`);
  const plan = planChecks(expectations, v.profile);
  let rowResults: ReturnType<RowChecker['finish']> | undefined;
  if (plan.needsRows) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-check-'));
    try {
      const files = v.files.filter((f) => isTabular(f.path));
      await materialize(keel, `fetch ${v.ref}`, files, dir, progress);
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
  return { version: v, results: evaluate(expectations, v.profile, rowResults) };
}
