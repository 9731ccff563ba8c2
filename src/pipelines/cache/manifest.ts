import { createHash } from 'node:crypto';
import { dirKey } from '../spec/paths.js';

/** One file: its content hash (the blob's name) and size. */
export interface ManifestEntry {
  sha256: string;
  size: number;
}

/**
 * Files by workspace-relative path (`/`-separated, normalised). Only files: every sha256 in a
 * manifest names a blob, so a manifest can be uploaded, materialised and garbage-collected as is.
 */
export type Manifest = Record<string, ManifestEntry>;

/** A directory's identity, like DVC's `.dir` objects: its files' relative paths and hashes. */
export interface DirDigest {
  /** sha256 of the lines `<sha256>  <path relative to the dir>\n`, sorted by path (sha256sum's format). */
  sha256: string;
  /** Total bytes of its files. */
  size: number;
  files: number;
}

/**
 * The digest of the files of `manifest` under `dir`. It covers relative paths, so a directory
 * moved or renamed keeps its digest; empty directories are not files and do not count.
 */
export function dirDigest(manifest: Manifest, dir: string): DirDigest {
  const prefix = dirKey(dir);
  const rows: [string, ManifestEntry][] = [];
  for (const [p, e] of Object.entries(manifest))
    if (p.startsWith(prefix)) rows.push([p.slice(prefix.length), e]);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const hash = createHash('sha256');
  let size = 0;
  for (const [rel, e] of rows) {
    hash.update(`${e.sha256}  ${rel}\n`);
    size += e.size;
  }
  return { sha256: hash.digest('hex'), size, files: rows.length };
}

/** Plain string order (by UTF-16 code unit), the order of every sorted list here. */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The same entries with keys in sorted order (stable JSON for storage and comparison). */
export function sortManifest(manifest: Manifest): Manifest {
  const out: Manifest = {};
  for (const k of Object.keys(manifest).sort(byCodeUnit)) out[k] = manifest[k]!;
  return out;
}
