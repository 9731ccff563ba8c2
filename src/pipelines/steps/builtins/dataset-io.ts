/**
 * Client-side reading of a dataset version through the API: its blobs fetched and verified
 * against their hashes, then read into typed columns. Shared by `keel train`/`eval`/`data check`
 * and the built-in steps, so both read data the same way.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeelError } from '../../../core/errors.js';
import { isTabular } from '../../../data/formats/index.js';
import { readTable, type Table } from '../../../data/table.js';
import type { DatasetFile } from '../../../data/versions.js';
import type { DatasetVersionDetail, Keel } from '../../../sdk/index.js';
import { noProgress, type ProgressFactory } from './progress.js';

/**
 * Writes a version's files under `dir`, each verified against its sha256 while it streams; a
 * file is renamed into place only once its hash matched, so `dir` never holds a bad file.
 */
export async function materialize(
  keel: Keel,
  label: string,
  files: DatasetFile[],
  dir: string,
  progress: ProgressFactory = noProgress,
): Promise<void> {
  const root = path.resolve(dir);
  const total = files.reduce((s, f) => s + f.size, 0);
  const bar = progress(label, total, 'bytes');
  let done = 0;
  try {
    for (const f of files) {
      const target = path.resolve(root, f.path);
      if (!target.startsWith(root + path.sep))
        throw new KeelError('INVALID_PARAMETER_VALUE', `Unsafe path in manifest: ${f.path}`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const tmp = `${target}.keel-tmp-${process.pid}`;
      const hash = createHash('sha256');
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          done += chunk.length;
          bar.update(done);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(await keel.datasets.downloadBlob(f.sha256), count, fs.createWriteStream(tmp));
        const got = hash.digest('hex');
        if (got !== f.sha256) {
          throw new KeelError(
            'INTERNAL_ERROR',
            `${f.path}: downloaded content hashes to ${got}, expected ${f.sha256}`,
          );
        }
        fs.renameSync(tmp, target);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    }
  } finally {
    bar.stop();
  }
}

/** Fetches a dataset version (verified against its hashes) and reads it into typed columns. */
export async function loadDataset(
  keel: Keel,
  ref: string,
  progress: ProgressFactory = noProgress,
): Promise<{ version: DatasetVersionDetail; table: Table }> {
  const version = await keel.datasets.get(ref);
  if (!version.schema)
    throw new KeelError('INVALID_PARAMETER_VALUE', `${version.ref} has no tabular files to read`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-data-'));
  try {
    const files = version.files.filter((f) => isTabular(f.path));
    await materialize(keel, `fetch ${version.ref}`, files, dir, progress);
    const counter = progress(`read ${version.ref}`, version.rows, 'rows');
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
