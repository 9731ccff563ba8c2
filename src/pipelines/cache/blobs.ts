/** Moving a manifest's files between a folder (workspace, step work dir) and the blob store. */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../../artifacts/store.js';
import { invalidParam, isKeelError, notFound } from '../../core/errors.js';
import { normaliseWorkspacePath, stripSlash } from '../spec/paths.js';
import { type Manifest, sortManifest } from './manifest.js';
import { walkFiles } from './walk.js';

// Blob puts and gets are I/O-bound (and network-bound on S3): a few in flight hide their latency.
const CONCURRENCY = 8;

async function forEachLimit<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, lane));
}

/** A manifest path that stays inside the folder it is written to. */
function safeRel(p: string): string {
  const n = normaliseWorkspacePath(p);
  if ('error' in n || n.path !== p || p.endsWith('/'))
    throw invalidParam(`manifest path '${p}' is not a clean relative file path`, 'manifest');
  return p;
}

/** Opens a file for upload, so a missing one is reported by name rather than as a broken stream. */
async function openForUpload(abs: string, rel: string) {
  try {
    return await fs.open(abs, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw notFound(`'${rel}' no longer exists`, 'manifest');
    throw invalidParam(`'${rel}' cannot be read (${(e as Error).message})`, 'manifest');
  }
}

export interface UploadResult {
  /** Blobs stored now, and their bytes. */
  uploaded: number;
  bytes: number;
  /** Blobs the store already had. */
  present: number;
}

/**
 * Stores the blobs of a manifest's files (read under `root`) that the store lacks. A file whose
 * content no longer matches its hash is refused by name (nothing is stored for it).
 */
export async function uploadManifest(
  blobs: BlobStore,
  root: string,
  manifest: Manifest,
): Promise<UploadResult> {
  const bySha = new Map<string, string>();
  for (const [p, e] of Object.entries(manifest)) if (!bySha.has(e.sha256)) bySha.set(e.sha256, safeRel(p));
  const result: UploadResult = { uploaded: 0, bytes: 0, present: 0 };
  await forEachLimit([...bySha], async ([sha256, rel]) => {
    if (await blobs.head(sha256)) {
      result.present++;
      return;
    }
    const fh = await openForUpload(path.join(root, rel), rel);
    try {
      const info = await blobs.put(fh.createReadStream({ autoClose: false }), { expectedSha256: sha256 });
      result.uploaded++;
      result.bytes += info.size;
    } catch (e) {
      if (isKeelError(e) && e.code === 'INVALID_PARAMETER_VALUE')
        throw invalidParam(`'${rel}' changed after it was hashed: hash the workspace again`, 'manifest');
      throw e;
    } finally {
      await fh.close();
    }
  });
  return result;
}

/**
 * Writes a manifest's files into `dir` (a step's work dir) from the blob store, creating folders
 * as needed and replacing files already there. A blob the store lacks fails naming its path.
 */
export async function materialise(
  blobs: BlobStore,
  manifest: Manifest,
  dir: string,
): Promise<{ files: number; bytes: number }> {
  const entries = Object.entries(manifest).map(([p, e]) => [safeRel(p), e] as const);
  const made = new Set<string>();
  for (const [p] of entries) {
    const parent = path.dirname(path.join(dir, p));
    if (!made.has(parent)) {
      await fs.mkdir(parent, { recursive: true });
      made.add(parent);
    }
  }
  let bytes = 0;
  await forEachLimit(entries, async ([p, e]) => {
    let src: Awaited<ReturnType<BlobStore['get']>>;
    try {
      src = await blobs.get(e.sha256);
    } catch (err) {
      if (isKeelError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST')
        throw notFound(`'${p}': blob ${e.sha256} is not in the store`, 'manifest');
      throw err;
    }
    await pipeline(src, createWriteStream(path.join(dir, p)));
    bytes += e.size;
  });
  return { files: entries.length, bytes };
}

/**
 * Stores the declared outs found in `dir` (files, or directories with every file inside) and
 * returns their manifest. Every declared out must exist: the error names all that do not, and then
 * nothing is stored.
 */
export async function collectOutputs(
  blobs: BlobStore,
  dir: string,
  outs: readonly string[],
): Promise<Manifest> {
  const found: { rel: string; abs: string }[] = [];
  const missing: string[] = [];
  for (const out of outs) {
    const n = normaliseWorkspacePath(out);
    if ('error' in n) throw invalidParam(`out '${out}' ${n.error}`, 'outs');
    const abs = path.join(dir, stripSlash(n.path));
    const st = await fs.stat(abs).catch(() => null);
    if (!st) missing.push(n.path);
    else if (st.isDirectory())
      for (const f of await walkFiles(abs, stripSlash(n.path), () => false)) found.push(f);
    else if (n.path.endsWith('/'))
      throw invalidParam(`out '${n.path}' is declared as a directory but the step wrote a file`, 'outs');
    else if (st.isFile()) found.push({ rel: n.path, abs });
    else throw invalidParam(`out '${n.path}' is not a regular file or directory`, 'outs');
  }
  if (missing.length > 0)
    throw invalidParam(
      `the step did not produce its declared out${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`,
      'outs',
    );
  const manifest: Manifest = {};
  await forEachLimit(found, async (f) => {
    const fh = await openForUpload(f.abs, f.rel);
    try {
      manifest[f.rel] = await blobs.put(fh.createReadStream({ autoClose: false }));
    } finally {
      await fh.close();
    }
  });
  return sortManifest(manifest);
}
