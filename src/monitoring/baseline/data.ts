/**
 * Reading a reference dataset version server-side: its tabular files copied from the blob store
 * into a temporary folder, then read into typed columns exactly as training read them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../../context.js';
import { invalidParam, notFound } from '../../core/errors.js';
import { isTabular } from '../../data/formats/index.js';
import { readTable, type Table } from '../../data/table.js';
import { type DatasetVersion, resolveVersion } from '../../data/versions.js';

/** A dataset version by id, with its files. */
export async function versionById(ctx: Context, versionId: string): Promise<DatasetVersion> {
  const row = await ctx.store.db
    .selectFrom('dataset_versions')
    .select(['name', 'version'])
    .where('version_id', '=', versionId)
    .executeTakeFirst();
  if (!row) throw notFound(`dataset version ${versionId} does not exist`, 'reference');
  return resolveVersion(ctx.store.db, `${row.name}@${row.version}`, { files: true });
}

/** The rows of a dataset version as typed columns. */
export async function readVersionTable(ctx: Context, version: DatasetVersion): Promise<Table> {
  if (!version.schema) throw invalidParam(`${version.ref} has no tabular files to read`, 'reference');
  const files = (version.files ?? []).filter((f) => isTabular(f.path));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-ref-'));
  try {
    for (const f of files) {
      const target = path.resolve(dir, f.path);
      if (!target.startsWith(dir + path.sep)) throw invalidParam(`unsafe path in manifest: ${f.path}`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      await pipeline(await ctx.blobs.get(f.sha256), fs.createWriteStream(target));
    }
    return await readTable(dir, files, version.schema);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
