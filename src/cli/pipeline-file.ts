import fs from 'node:fs';
import path from 'node:path';
import { invalidParam } from '../core/errors.js';
import { hashWorkspace, type Manifest } from '../pipelines/cache/index.js';
import { parsePipelineFile, workspaceDeps } from '../pipelines/spec/index.js';
import { BUILTINS } from '../pipelines/steps/registry.js';
import type { Keel } from '../sdk/index.js';

/**
 * Applies a pipeline file from the client's side: its workspace deps are hashed (with the state
 * cache in `.keel/state.db` next to the file, so unchanged files are not re-read), uploaded once as
 * content-addressed blobs (only those the server lacks), and the file applied. Returns the names
 * of the pipelines it defines.
 */
export async function applyPipelineFile(keel: Keel, file: string): Promise<string[]> {
  const abs = path.resolve(file);
  let source: string;
  try {
    source = fs.readFileSync(abs, 'utf8');
  } catch {
    throw invalidParam(`pipeline file ${file} cannot be read`, '--file');
  }
  const root = path.dirname(abs);
  const specs = parsePipelineFile(source, { file: path.basename(abs), builtins: BUILTINS });
  const manifest: Manifest = {};
  for (const spec of specs) {
    const deps = workspaceDeps(spec);
    const h = await hashWorkspace(root, deps.paths, {
      statePath: path.join(root, '.keel', 'state.db'),
      allowMissing: deps.allowMissing,
      exclude: deps.exclude,
    });
    Object.assign(manifest, h.manifest);
  }
  const bySha = new Map<string, string>();
  for (const [p, e] of Object.entries(manifest)) bySha.set(e.sha256, p);
  for (const [sha, p] of bySha)
    if (!(await keel.datasets.hasBlob(sha)))
      await keel.datasets.uploadBlob(sha, fs.createReadStream(path.join(root, p)));
  const applied = await keel.pipelines.apply({ source, file: path.basename(abs), workspace: manifest });
  return applied.map((p) => p.name);
}
