/**
 * Hashing a workspace's deps with the state cache: each file is stat'ed, and only files whose
 * (size, mtime ns, inode) differ from what the state remembers are read and hashed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { invalidParam, notFound } from '../../core/errors.js';
import { hashFiles } from '../../data/hashing/index.js';
import { dirKey, isWithin, normaliseWorkspacePath, stripSlash } from '../spec/paths.js';
import { byCodeUnit, type DirDigest, digestSorted, type Manifest, type ManifestEntry } from './manifest.js';
import { type FileState, StateDb } from './state.js';
import { type FoundFile, walkFiles } from './walk.js';

export interface HashWorkspaceOptions {
  /** The state cache file (e.g. `<workspace>/.keel/state.db`); created when absent. */
  statePath: string;
  /** Paths that may be absent (deps a step produces part of): skipped when missing. */
  allowMissing?: readonly string[];
  /** Paths left out wherever they appear (step outs lying inside a dep). */
  exclude?: readonly string[];
  /** Worker threads for hashing (default one per core; 0 = this thread). */
  workers?: number;
}

export interface WorkspaceHash {
  /** Every file under the given paths. */
  manifest: Manifest;
  /** A digest per directory among the given paths, keyed `dir/`. */
  dirs: Record<string, DirDigest>;
  /** Files read and hashed this time, and files answered by the state cache. */
  hashed: number;
  cached: number;
}

/**
 * A file modified again within the same timestamp tick as the write we hashed would keep its
 * stamp; so files this young are hashed but not remembered (git's "racily clean" entries). Two
 * seconds covers the coarsest common filesystem clock (FAT).
 */
const RACY_NS = 2_000_000_000n;

/** A state row (`[path, size, mtime ns, inode, sha256]`) that still describes the file. */
type Known = readonly [string, number, string, string, string];
const sameStamp = (k: Known | undefined, f: FoundFile): boolean =>
  k !== undefined && k[1] === f.size && k[2] === String(f.mtimeNs) && k[3] === String(f.inode);

/**
 * Hashes workspace paths (files or directories, relative to `root`) into a manifest of their files
 * plus a digest per directory. A missing path is an error naming it (unless allowed missing).
 */
export async function hashWorkspace(
  root: string,
  paths: readonly string[],
  opts: HashWorkspaceOptions,
): Promise<WorkspaceHash> {
  const base = path.resolve(root);
  const started = BigInt(Date.now()) * 1_000_000n;
  const excluded = (opts.exclude ?? []).map(stripSlash);
  const skip = (rel: string): boolean => excluded.some((x) => isWithin(rel, x));
  const files = new Map<string, FoundFile>();
  const dirs: string[] = [];
  const singles: FoundFile[] = [];
  for (const raw of paths) {
    const norm = normaliseWorkspacePath(raw);
    if ('error' in norm) throw invalidParam(`workspace path '${raw}' ${norm.error}`, 'paths');
    const p = norm.path;
    if (skip(p)) continue;
    const abs = path.join(base, stripSlash(p));
    const st = fs.statSync(abs, { bigint: true, throwIfNoEntry: false });
    if (!st) {
      if (opts.allowMissing?.includes(p)) continue;
      throw notFound(`'${p}' does not exist in the workspace (${base})`, 'paths');
    }
    if (st.isDirectory()) {
      dirs.push(dirKey(p));
      for (const f of await walkFiles(abs, stripSlash(p), skip)) files.set(f.rel, f);
    } else if (p.endsWith('/'))
      throw invalidParam(`'${p}' is declared as a directory but is a file`, 'paths');
    else if (st.isFile()) {
      const f = { rel: p, abs, size: Number(st.size), mtimeNs: st.mtimeNs, inode: st.ino };
      files.set(p, f);
      singles.push(f);
    } else throw invalidParam(`'${p}' is not a regular file or directory`, 'paths');
  }

  const state = StateDb.open(opts.statePath);
  try {
    // One range scan per directory, one lookup per single file.
    let known = new Map<string, Known>();
    for (const d of dirs) {
      const m = state.within(path.join(base, stripSlash(d)));
      if (known.size === 0) known = m;
      else for (const [k, v] of m) known.set(k, v);
    }
    const inDirs = [...known.keys()];
    for (const f of singles) {
      const s = state.get(f.abs);
      if (s) known.set(f.abs, [f.abs, ...s]);
    }
    const found = [...files.values()].sort((a, b) => byCodeUnit(a.rel, b.rel));
    const sums: (ManifestEntry | undefined)[] = found.map((f) => {
      const k = known.get(f.abs);
      return sameStamp(k, f) ? { sha256: k![4], size: f.size } : undefined;
    });
    const pending = found.filter((_, i) => sums[i] === undefined);
    const remember: [string, FileState][] = [];
    if (pending.length > 0) {
      const hashes = await hashFiles(
        pending.map((f) => f.abs),
        opts.workers === undefined ? {} : { workers: opts.workers },
      );
      for (const f of pending) {
        const h = hashes.get(f.abs)!;
        // A file that changed size while read, or is too young to trust its stamp, is not remembered.
        if (h.size === f.size && f.mtimeNs < started - RACY_NS)
          remember.push([f.abs, [f.size, String(f.mtimeNs), String(f.inode), h.sha256]]);
      }
      found.forEach((f, i) => {
        sums[i] ??= hashes.get(f.abs)!;
      });
    }
    const seen = new Set(found.map((f) => f.abs));
    const gone = inDirs.filter((p) => !seen.has(p));
    if (remember.length > 0 || gone.length > 0) state.save(remember, gone);
    const manifest: Manifest = {};
    found.forEach((f, i) => {
      manifest[f.rel] = sums[i]!;
    });
    const digests: Record<string, DirDigest> = {};
    // `found` is sorted, so each directory's files are already in digest order.
    for (const d of dirs.sort(byCodeUnit)) {
      const rows: [string, ManifestEntry][] = [];
      found.forEach((f, i) => {
        if (f.rel.startsWith(d)) rows.push([f.rel.slice(d.length), sums[i]!]);
      });
      digests[d] = digestSorted(rows);
    }
    return { manifest, dirs: digests, hashed: pending.length, cached: found.length - pending.length };
  } finally {
    state.close();
  }
}
