import path from 'node:path';

/**
 * A workspace-relative path as written in `deps`/`outs`, normalised; or the reason it cannot be
 * one. A trailing `/` (a directory) is kept.
 */
export function normaliseWorkspacePath(raw: string): { path: string } | { error: string } {
  if (raw.trim() === '') return { error: 'is empty' };
  if (raw.includes('${')) return { error: `holds a \${…} reference: paths must be fixed to build the DAG` };
  if (raw.includes('\0')) return { error: 'holds a NUL byte' };
  if (path.posix.isAbsolute(raw) || /^[A-Za-z]:[\\/]/.test(raw))
    return { error: 'is absolute: use a path relative to the pipeline file' };
  const p = path.posix.normalize(raw);
  if (p === '..' || p.startsWith('../')) return { error: 'escapes the workspace (../)' };
  if (p === '.' || p === './') return { error: 'names the whole workspace: name the files or folders' };
  return { path: p };
}

/** The path without its directory marker. */
export const stripSlash = (p: string): string => (p.endsWith('/') ? p.slice(0, -1) : p);

/** The manifest key of a directory: its path with a trailing `/`. */
export const dirKey = (p: string): string => `${stripSlash(p)}/`;

/** True when `inner` is `outer` or lies inside it (paths compared without their `/` markers). */
export function isWithin(inner: string, outer: string): boolean {
  const a = stripSlash(inner);
  const b = stripSlash(outer);
  return a === b || a.startsWith(`${b}/`);
}

/** True when one path equals, contains or lies inside the other. */
export const overlaps = (a: string, b: string): boolean => isWithin(a, b) || isWithin(b, a);
