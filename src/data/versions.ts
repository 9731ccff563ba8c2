import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import { newId, sha256Hex } from '../core/ids.js';
import type { DatasetProfile } from '../stats/types.js';
import type { Db } from '../store/db.js';
import type { DatasetVersionsTable } from '../store/schema.js';
import { safeArtifactPath } from '../tracking/artifacts.js';
import type { DataSchema } from './formats/types.js';

export interface DatasetFile {
  path: string;
  size: number;
  sha256: string;
}

export interface DatasetVersion {
  id: string;
  name: string;
  version: number;
  /** `name@version`, how users refer to it. */
  ref: string;
  contentHash: string;
  rows: number;
  badRows: number;
  fileCount: number;
  bytes: number;
  schema: DataSchema | null;
  profile: DatasetProfile | null;
  message: string;
  createdBy: string;
  createdAt: number;
  files?: DatasetFile[];
}

export interface NewVersion {
  name: string;
  files: DatasetFile[];
  rows: number;
  badRows: number;
  schema: DataSchema | null;
  profile: DatasetProfile | null;
  message?: string | undefined;
}

const NAME_RE = /^[A-Za-z0-9][\w.-]{0,127}$/;
const SHA_RE = /^[0-9a-f]{64}$/;

/** sha256 of the sorted manifest: two versions hold identical content exactly when it matches. */
export function contentHash(files: DatasetFile[]): string {
  const lines = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.path}\0${f.sha256}\n`);
  return sha256Hex(lines.join(''));
}

export function validateDatasetName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw invalidParam(
      `Invalid dataset name '${name}': letters, digits, '_', '-', '.' (max 128, starting with a letter or digit)`,
      'name',
    );
  }
}

const toVersion = (r: DatasetVersionsTable, files?: DatasetFile[]): DatasetVersion => ({
  id: r.version_id,
  name: r.name,
  version: r.version,
  ref: `${r.name}@${r.version}`,
  contentHash: r.content_hash,
  rows: r.rows,
  badRows: r.bad_rows,
  fileCount: r.file_count,
  bytes: r.bytes,
  schema: r.schema ? (JSON.parse(r.schema) as DataSchema) : null,
  profile: r.profile ? (JSON.parse(r.profile) as DatasetProfile) : null,
  message: r.message,
  createdBy: r.created_by,
  createdAt: r.created_at,
  ...(files ? { files } : {}),
});

/**
 * Records a version from files already in the blob store. Identical content under the same
 * name returns the existing version (`created: false`), as `dvc add` of unchanged data does.
 */
export async function createVersion(
  ctx: Context,
  input: NewVersion,
  actor: Actor,
): Promise<{ version: DatasetVersion; created: boolean }> {
  validateDatasetName(input.name);
  if (input.files.length === 0) throw invalidParam('A dataset version needs at least one file', 'files');
  const seen = new Set<string>();
  const files = input.files.map((f) => {
    const path = safeArtifactPath(f.path);
    if (seen.has(path)) throw invalidParam(`File '${path}' is listed twice`, 'files');
    seen.add(path);
    if (!SHA_RE.test(f.sha256))
      throw invalidParam(`File '${path}': sha256 must be 64 lowercase hex digits`, 'files');
    if (!Number.isInteger(f.size) || f.size < 0)
      throw invalidParam(`File '${path}': size must be a non-negative integer`, 'files');
    return { path, size: f.size, sha256: f.sha256 };
  });
  // Every blob must be stored (and be the right size) before a version may point at it.
  for (const f of files) {
    const head = await ctx.blobs.head(f.sha256);
    if (!head)
      throw invalidParam(
        `File '${f.path}': blob ${f.sha256} is not in the artifact store; upload it first`,
        'files',
      );
    if (head.size !== f.size)
      throw invalidParam(
        `File '${f.path}': stored blob has ${head.size} bytes, manifest says ${f.size}`,
        'files',
      );
  }
  const hash = contentHash(files);
  // Two writers adding to one dataset at once both pick max(version) + 1; the loser of the unique
  // (name, version) constraint simply tries again with the next number.
  for (let attempt = 1; ; attempt++) {
    try {
      return await insertVersion(ctx, input, files, hash, actor);
    } catch (e) {
      if (attempt >= 20 || !ctx.store.adapter.isUniqueViolation(e)) throw e;
      // Jitter, so racing writers do not retry in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

async function insertVersion(
  ctx: Context,
  input: NewVersion,
  files: DatasetFile[],
  hash: string,
  actor: Actor,
): Promise<{ version: DatasetVersion; created: boolean }> {
  return audited<{ version: DatasetVersion; created: boolean }>(
    ctx,
    async (trx) => {
      const existing = await trx
        .selectFrom('dataset_versions')
        .selectAll()
        .where('name', '=', input.name)
        .where('content_hash', '=', hash)
        .orderBy('version')
        .executeTakeFirst();
      if (existing) return { result: { version: toVersion(existing, files), created: false }, audit: null };
      const last = await trx
        .selectFrom('dataset_versions')
        .select((eb) => eb.fn.max('version').as('v'))
        .where('name', '=', input.name)
        .executeTakeFirst();
      const row: DatasetVersionsTable = {
        version_id: newId(),
        name: input.name,
        version: Number(last?.v ?? 0) + 1,
        content_hash: hash,
        rows: input.rows,
        bad_rows: input.badRows,
        file_count: files.length,
        bytes: files.reduce((s, f) => s + f.size, 0),
        schema: input.schema ? JSON.stringify(input.schema) : null,
        profile: input.profile ? JSON.stringify(input.profile) : null,
        message: input.message ?? '',
        created_by: actor,
        created_at: ctx.clock.now(),
      };
      await trx.insertInto('dataset_versions').values(row).execute();
      for (let i = 0; i < files.length; i += 1000) {
        await trx
          .insertInto('dataset_files')
          .values(files.slice(i, i + 1000).map((f) => ({ version_id: row.version_id, ...f })))
          .execute();
      }
      return {
        result: { version: toVersion(row, files), created: true },
        audit: {
          action: 'dataset.version.create',
          objectType: 'dataset',
          objectId: `${row.name}@${row.version}`,
          after: { content_hash: hash, files: files.length, rows: row.rows, bad_rows: row.bad_rows },
        },
      };
    },
    actor,
  );
}

/**
 * Resolves `name@3` (version number), `name@1a2b3c` (content-hash prefix, ≥ 4 hex digits)
 * or `name` (the latest version).
 */
export async function resolveVersion(
  db: Db,
  ref: string,
  opts: { files?: boolean } = {},
): Promise<DatasetVersion> {
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const sel = at < 0 ? '' : ref.slice(at + 1);
  validateDatasetName(name);
  let q = db.selectFrom('dataset_versions').selectAll().where('name', '=', name);
  if (sel === '') q = q.orderBy('version', 'desc').limit(1);
  else if (/^\d+$/.test(sel)) q = q.where('version', '=', Number(sel));
  else if (/^[0-9a-f]{4,64}$/.test(sel)) {
    q = q.where('content_hash', '>=', sel).where('content_hash', '<', `${sel}g`).limit(2);
  } else
    throw invalidParam(
      `Invalid dataset reference '${ref}': use name, name@<version> or name@<hash prefix>`,
      'ref',
    );
  const rows = await q.execute();
  if (rows.length === 0) throw notFound(`Dataset version '${ref}' does not exist`, 'ref');
  if (rows.length > 1)
    throw invalidParam(`Dataset reference '${ref}' is ambiguous: use a longer hash prefix`, 'ref');
  const row = rows[0]!;
  const files = opts.files
    ? await db
        .selectFrom('dataset_files')
        .select(['path', 'size', 'sha256'])
        .where('version_id', '=', row.version_id)
        .orderBy('path')
        .execute()
    : undefined;
  return toVersion(row, files);
}

/** Versions, newest first, optionally of one dataset (profiles left out: `show` has them). */
export async function listVersions(db: Db, name?: string): Promise<DatasetVersion[]> {
  let q = db.selectFrom('dataset_versions').selectAll().orderBy('name').orderBy('version', 'desc');
  if (name !== undefined) q = q.where('name', '=', name);
  return (await q.execute()).map((r) => ({ ...toVersion(r), profile: null }));
}

/** Runs that declared this version as an input (lineage), via MLflow-style dataset inputs. */
export async function runsUsing(
  db: Db,
  v: DatasetVersion,
): Promise<{ runId: string; runName: string; context: string | null }[]> {
  const rows = await db
    .selectFrom('run_inputs as i')
    .innerJoin('datasets as d', 'd.dataset_id', 'i.dataset_id')
    .innerJoin('runs as r', 'r.run_id', 'i.run_id')
    .select(['r.run_id', 'r.run_name', 'i.context'])
    .where('d.name', '=', v.name)
    .where('d.digest', '=', v.contentHash)
    .orderBy('r.start_time')
    .execute();
  return rows.map((r) => ({ runId: r.run_id, runName: r.run_name, context: r.context }));
}
