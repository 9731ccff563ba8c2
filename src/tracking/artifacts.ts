import type { Readable } from 'node:stream';
import { blobReferenced } from '../artifacts/references.js';
import type { BlobSource } from '../artifacts/store.js';
import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import { requireRunRow } from './run-read.js';

export interface FileInfo {
  path: string;
  isDir: boolean;
  fileSize?: number;
}

const unsafe = (p: string): boolean =>
  p.includes('\0') ||
  p.includes('\\') ||
  p.startsWith('/') ||
  /^[a-zA-Z]:/.test(p) ||
  p.split('/').includes('..');

/**
 * Normalises a relative artifact path (already URL-decoded by the router) and rejects anything
 * that could escape its root: `..` segments, absolute paths, backslashes and NUL bytes, also
 * behind one more level of percent-encoding (`%2e%2e`), as MLflow checks. The name itself is
 * kept as given: `50%.txt` is a valid file name.
 */
export function safeArtifactPath(raw: string, allowEmpty = false): string {
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    decoded = undefined;
  }
  if (unsafe(raw) || (decoded !== undefined && unsafe(decoded))) throw invalidParam('Invalid path', 'path');
  const path = raw
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
  if (!path && !allowEmpty) throw invalidParam('Invalid path', 'path');
  return path;
}

const join = (root: string, rel: string): string => (rel ? (root ? `${root}/${rel}` : rel) : root);

/** Stores a file at a logical path (content-addressed underneath); replaces any previous file there. */
export async function putArtifact(
  ctx: Context,
  rawPath: string,
  source: BlobSource,
  actor: Actor,
): Promise<void> {
  const path = safeArtifactPath(rawPath);
  const blob = await ctx.blobs.put(source);
  await audited(
    ctx,
    async (trx) => {
      const dirClash = await trx
        .selectFrom('artifact_files')
        .select('path')
        .where('path', '>', `${path}/`)
        .where('path', '<', `${path}0`)
        .limit(1)
        .executeTakeFirst();
      if (dirClash) throw invalidParam(`Invalid path: '${path}' is a directory`, 'path');
      await trx
        .insertInto('artifact_files')
        .values({ path, sha256: blob.sha256, size: blob.size, created_at: ctx.clock.now() })
        .onConflict((oc) =>
          oc
            .column('path')
            .doUpdateSet({ sha256: blob.sha256, size: blob.size, created_at: ctx.clock.now() }),
        )
        .execute();
      return {
        result: undefined,
        audit: {
          action: 'artifact.put',
          objectType: 'artifact',
          objectId: path,
          after: { sha256: blob.sha256, size: blob.size },
        },
      };
    },
    actor,
  );
}

/** Opens a stored file for reading. */
export async function getArtifact(
  ctx: Context,
  rawPath: string,
): Promise<{ stream: Readable; size: number; path: string }> {
  const path = safeArtifactPath(rawPath);
  const row = await ctx.store.db
    .selectFrom('artifact_files')
    .selectAll()
    .where('path', '=', path)
    .executeTakeFirst();
  if (!row) throw notFound(`Artifact '${path}' does not exist`);
  return { stream: await ctx.blobs.get(row.sha256), size: row.size, path };
}

/** Immediate children of a directory; paths are relative to `relativeTo` (default: the listed dir). */
export async function listArtifacts(ctx: Context, rawDir: string, relativeTo?: string): Promise<FileInfo[]> {
  const dir = safeArtifactPath(rawDir, true);
  const base = relativeTo === undefined ? dir : safeArtifactPath(relativeTo, true);
  let q = ctx.store.db.selectFrom('artifact_files').select(['path', 'size']).orderBy('path');
  // A range on the primary key instead of LIKE: no wildcard escaping, and it uses the index.
  if (dir) q = q.where('path', '>', `${dir}/`).where('path', '<', `${dir}0`);
  const rows = await q.execute();
  const out: FileInfo[] = [];
  const seenDirs = new Set<string>();
  const strip = dir ? dir.length + 1 : 0;
  const rebase = (rel: string) => {
    const full = join(dir, rel);
    return base ? full.slice(base.length + 1) : full;
  };
  for (const r of rows) {
    const rest = r.path.slice(strip);
    const slash = rest.indexOf('/');
    if (slash < 0) out.push({ path: rebase(rest), isDir: false, fileSize: r.size });
    else {
      const child = rest.slice(0, slash);
      if (!seenDirs.has(child)) {
        seenDirs.add(child);
        out.push({ path: rebase(child), isDir: true });
      }
    }
  }
  return out;
}

/** Deletes a file, or everything under a directory. Blobs still referenced elsewhere stay. */
export async function deleteArtifact(ctx: Context, rawPath: string, actor: Actor): Promise<void> {
  const path = safeArtifactPath(rawPath);
  const removed = await audited(
    ctx,
    async (trx) => {
      const rows = await trx
        .selectFrom('artifact_files')
        .select(['path', 'sha256'])
        .where((eb) =>
          eb.or([eb('path', '=', path), eb.and([eb('path', '>', `${path}/`), eb('path', '<', `${path}0`)])]),
        )
        .execute();
      if (rows.length === 0) throw notFound(`Artifact '${path}' does not exist`);
      await trx
        .deleteFrom('artifact_files')
        .where(
          'path',
          'in',
          rows.map((r) => r.path),
        )
        .execute();
      return {
        result: [...new Set(rows.map((r) => r.sha256))],
        audit: {
          action: 'artifact.delete',
          objectType: 'artifact',
          objectId: path,
          before: { files: rows.length },
        },
      };
    },
    actor,
  );
  // Garbage-collect blobs nothing refers to any more: content-addressed blobs can be shared, e.g.
  // a registered model version holds the ONNX its run logged.
  for (const sha of removed) {
    if (!(await blobReferenced(ctx.store.db, sha))) await ctx.blobs.delete(sha);
  }
}

/** The artifact-store root of a run, from its `mlflow-artifacts:/` URI. */
export async function runArtifactRoot(ctx: Context, runId: string): Promise<{ root: string; uri: string }> {
  const run = await requireRunRow(ctx.store.db, runId);
  const m = /^mlflow-artifacts:\/+(.*)$/.exec(run.artifact_uri);
  if (!m)
    throw invalidParam(
      `Run ${runId} has artifact URI '${run.artifact_uri}', which this server does not serve`,
      'run_id',
    );
  return { root: safeArtifactPath(m[1] ?? '', true), uri: run.artifact_uri };
}
