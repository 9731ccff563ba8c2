import { materialize as write } from '../pipelines/steps/builtins/dataset-io.js';
import type { DatasetFile, Keel } from '../sdk/index.js';
import { progressBar } from './progress.js';

/** Writes a version's files under `dir`, each verified against its sha256, with a progress bar. */
export function materialize(keel: Keel, label: string, files: DatasetFile[], dir: string): Promise<void> {
  return write(keel, label, files, dir, (l, total, unit) => progressBar(l, total, { unit }));
}
