import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeelError } from '../core/errors.js';
import { isTabular } from '../data/formats/index.js';
import { readTable, type Table } from '../data/table.js';
import type { DatasetVersion } from '../data/versions.js';
import type { Keel } from '../sdk/index.js';
import { materialize } from './materialize.js';
import { progressBar } from './progress.js';

/** Fetches a dataset version (verified against its hashes) and reads it into typed columns. */
export async function loadDataset(
  keel: Keel,
  ref: string,
): Promise<{ version: DatasetVersion; table: Table }> {
  const version = await keel.datasets.get(ref);
  if (!version.schema)
    throw new KeelError('INVALID_PARAMETER_VALUE', `${version.ref} has no tabular files to read`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-data-'));
  try {
    const files = version.files.filter((f) => isTabular(f.path));
    await materialize(keel, `fetch ${version.ref}`, files, dir);
    const counter = progressBar(`read ${version.ref}`, version.rows, { unit: 'rows' });
    try {
      const table = await readTable(dir, files, version.schema, (n) => counter.update(n));
      return { version, table };
    } finally {
      counter.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
