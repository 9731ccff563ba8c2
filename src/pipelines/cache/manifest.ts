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
  const paths: string[] = [];
  for (const p in manifest) if (p.startsWith(prefix)) paths.push(p);
  paths.sort(byCodeUnit);
  return digestSorted(paths.map((p) => [p.slice(prefix.length), manifest[p]!] as const));
}

/** The digest of a directory's files given as [relative path, entry], already sorted by path. */
export function digestSorted(files: readonly (readonly [string, ManifestEntry])[]): DirDigest {
  let size = 0;
  const lines = files.map(([rel, e]) => {
    size += e.size;
    return `${e.sha256}  ${rel}\n`;
  });
  // One update over the joined text: thousands of small updates cost more than the hashing.
  return { sha256: createHash('sha256').update(lines.join('')).digest('hex'), size, files: files.length };
}

/** Plain string order (by UTF-16 code unit), the order of every sorted list here. */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The same entries with keys in sorted order (stable JSON for storage and comparison). */
export function sortManifest(manifest: Manifest): Manifest {
  const out: Manifest = {};
  for (const k of Object.keys(manifest).sort(byCodeUnit)) out[k] = manifest[k]!;
  return out;
}
