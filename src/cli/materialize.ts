import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeelError } from '../core/errors.js';
import type { DatasetFile } from '../data/versions.js';
import type { Keel } from '../sdk/index.js';
import { progressBar } from './progress.js';

/**
 * Writes a version's files under `dir`, each verified against its sha256 while it streams; a
 * file is renamed into place only once its hash matched, so `dir` never holds a bad file.
 */
export async function materialize(
  keel: Keel,
  label: string,
  files: DatasetFile[],
  dir: string,
): Promise<void> {
  const root = path.resolve(dir);
  const total = files.reduce((s, f) => s + f.size, 0);
  const bar = progressBar(label, total, { unit: 'bytes' });
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
