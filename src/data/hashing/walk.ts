import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Regular files under `dir`, recursively, as sorted relative paths with '/' separators. Symlinks
 * and special files are left out: a dataset is the bytes stored in it, not what links point at.
 */
export async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) pending.push(child);
      else if (e.isFile()) out.push(child);
    }
  }
  return out.sort();
}
