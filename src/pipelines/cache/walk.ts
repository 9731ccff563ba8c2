import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A regular file found under a directory, with the stamp the state cache compares. */
export interface FoundFile {
  /** Relative to the walk's base, `/`-separated. */
  rel: string;
  abs: string;
  size: number;
  mtimeNs: bigint;
  inode: bigint;
}

// Synchronous calls are several times cheaper than promise-based ones for tiny operations (a
// stat); yielding every couple of thousand keeps the event loop responsive on a huge tree.
const YIELD_EVERY = 2000;

/**
 * Regular files under `absDir` (recursively, in no particular order), `rel` = `relDir/<path>`.
 * Symbolic links are followed (a linked file is read like any other), links that loop or dangle
 * are skipped, and so is everything inside a path for which `skip(rel)` is true.
 */
export async function walkFiles(
  absDir: string,
  relDir: string,
  skip: (rel: string) => boolean,
): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  const seenDirs = new Set<string>();
  const pending: [string, string][] = [[absDir, relDir]];
  let ops = 0;
  while (pending.length > 0) {
    const [abs, rel] = pending.pop()!;
    const dst = fs.statSync(abs, { bigint: true });
    const id = `${dst.dev}:${dst.ino}`;
    if (seenDirs.has(id)) continue;
    seenDirs.add(id);
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      if (++ops % YIELD_EVERY === 0) await nextTurn();
      const childAbs = `${abs}${path.sep}${e.name}`;
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (skip(childRel)) continue;
      if (e.isDirectory()) {
        pending.push([childAbs, childRel]);
        continue;
      }
      if (!e.isFile() && !e.isSymbolicLink()) continue;
      const st = fs.statSync(childAbs, { bigint: true, throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) pending.push([childAbs, childRel]);
      else if (st.isFile())
        out.push({ rel: childRel, abs: childAbs, size: Number(st.size), mtimeNs: st.mtimeNs, inode: st.ino });
    }
  }
  return out;
}
