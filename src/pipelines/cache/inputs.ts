/** Which files a step reads: its deps, from upstream steps' outputs where a step makes them, else from the workspace. */
import { invalidParam, KeelError } from '../../core/errors.js';
import { producedPaths } from '../spec/dag.js';
import { isWithin, overlaps } from '../spec/paths.js';
import type { PipelineSpec } from '../spec/types.js';
import { workspaceDeps } from '../spec/workspace.js';
import { type Manifest, sortManifest } from './manifest.js';

const under = (m: Manifest, p: string): boolean => Object.keys(m).some((k) => isWithin(k, p));

/**
 * Workspace deps of the pipeline that `workspace` (a manifest of its files) lacks: deps neither
 * produced by a step nor present. Empty when the manifest covers the pipeline.
 */
export function manifestCovers(spec: PipelineSpec, workspace: Manifest): string[] {
  const { paths, allowMissing } = workspaceDeps(spec);
  return paths.filter((p) => !allowMissing.includes(p) && !under(workspace, p));
}

/**
 * The input manifest of `step`: for each dep, the files upstream steps produced under it (from
 * `outputs`, by step) plus the workspace's files under it that no step produces (a stale copy of
 * a step's out in the workspace never counts). Exactly what the step's work dir gets, and what its
 * cache key covers.
 */
export function stepInputs(
  spec: PipelineSpec,
  step: string,
  workspace: Manifest,
  outputs: Readonly<Record<string, Manifest>>,
): Manifest {
  const s = spec.steps[step];
  if (!s) throw new KeelError('RESOURCE_DOES_NOT_EXIST', `pipeline '${spec.name}' has no step '${step}'`);
  const produced = Object.values(spec.steps).flatMap((o) =>
    producedPaths(o).map((p) => [o.name, p] as const),
  );
  const out: Manifest = {};
  for (const d of s.deps) {
    const makers = [...new Set(produced.filter(([, p]) => overlaps(p, d)).map(([n]) => n))];
    let found = false;
    for (const m of makers) {
      const files = outputs[m];
      if (!files)
        throw new KeelError(
          'INVALID_STATE',
          `step '${step}' needs step '${m}''s outputs (dep '${d}'), which are not there`,
        );
      for (const [p, e] of Object.entries(files))
        if (isWithin(p, d)) {
          out[p] = e;
          found = true;
        }
    }
    for (const [p, e] of Object.entries(workspace))
      if (isWithin(p, d) && !produced.some(([, o]) => isWithin(p, o))) {
        out[p] = e;
        found = true;
      }
    if (!found && makers.length === 0)
      throw invalidParam(
        `step '${step}': dep '${d}' is neither produced by a step nor in the workspace manifest`,
        'deps',
      );
  }
  return sortManifest(out);
}
