import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A throwaway folder, removed by `cleanup`. */
export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `keel-${label}-`));
}

/** Writes `files` (relative path → content) under `root`. */
export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
}

/**
 * Sets mtimes an hour back: files this old are ones the state cache may remember (younger ones it
 * hashes every time, in case they are rewritten within one timestamp tick).
 */
export function age(root: string, rels: string[], seconds = 3600): void {
  const t = Date.now() / 1000 - seconds;
  for (const rel of rels) fs.utimesSync(path.join(root, rel), t, t);
}
