import { execFileSync } from 'node:child_process';

/** The commit checked out in `dir`'s git work tree (the code version a run records), or null. */
export function gitCommit(dir: string): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    const sha = out.toString().trim();
    return /^[0-9a-f]{40}$/.test(sha) ? sha : null;
  } catch {
    // Not a git work tree, or git is not installed: the run simply records no code version.
    return null;
  }
}
