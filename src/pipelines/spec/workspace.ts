/** Which deps come from the workspace (rather than from an upstream step), and whether they exist. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidParam } from '../../core/errors.js';
import { producedPaths } from './dag.js';
import { isWithin, stripSlash } from './paths.js';
import type { PipelineSpec } from './types.js';

/** What to hash from the workspace for a pipeline's deps (the arguments of `hashWorkspace`). */
export interface WorkspaceDeps {
  /** Every dep path not entirely produced by a step. */
  paths: string[];
  /** Deps that contain a step's outs: the workspace may lack them (the step makes them). */
  allowMissing: string[];
  /** Step outs inside those deps: what is on disk there is stale, the upstream step's copy counts. */
  exclude: string[];
}

/** The deps a pipeline reads from the workspace, with what may be missing or must be skipped. */
export function workspaceDeps(spec: PipelineSpec): WorkspaceDeps {
  const steps = Object.values(spec.steps);
  const produced = steps.flatMap(producedPaths);
  const paths = new Set<string>();
  const allowMissing = new Set<string>();
  const exclude = new Set<string>();
  for (const d of steps.flatMap((s) => s.deps)) {
    if (produced.some((o) => isWithin(d, o))) continue;
    paths.add(d);
    const inside = produced.filter((o) => isWithin(o, d));
    if (inside.length === 0) continue;
    allowMissing.add(d);
    for (const o of inside) exclude.add(o);
  }
  return { paths: [...paths], allowMissing: [...allowMissing], exclude: [...exclude] };
}

/**
 * Refuses a pipeline whose deps are neither produced by a step nor present under `root` (the
 * pipeline file's folder), or whose `dir/` dep is a file. Every problem is named at once.
 */
export async function checkWorkspace(spec: PipelineSpec, root: string): Promise<void> {
  const { paths, allowMissing } = workspaceDeps(spec);
  const problems: string[] = [];
  for (const p of paths) {
    const st = await fs.stat(path.join(root, stripSlash(p))).catch(() => null);
    const users = Object.values(spec.steps).filter((s) => s.deps.includes(p));
    const who = users.map((s) => `step '${s.name}' (${spec.file}:${s.line})`).join(', ');
    if (!st) {
      if (!allowMissing.includes(p))
        problems.push(`dep '${p}' of ${who} is neither produced by a step nor present in the workspace`);
    } else if (p.endsWith('/') && !st.isDirectory()) problems.push(`dep '${p}' of ${who} is not a directory`);
    else if (!st.isDirectory() && !st.isFile())
      problems.push(`dep '${p}' of ${who} is not a file or directory`);
  }
  if (problems.length)
    throw invalidParam(`pipeline '${spec.name}' (workspace ${root}): ${problems.join('; ')}`, 'deps');
}
