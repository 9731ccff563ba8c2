import type { Table } from '../data/table.js';
import { loadDataset as load } from '../pipelines/steps/builtins/dataset-io.js';
import type { DatasetVersionDetail, Keel } from '../sdk/index.js';
import { progressBar } from './progress.js';

/** Fetches a dataset version (verified against its hashes) and reads it into typed columns, with progress bars. */
export function loadDataset(
  keel: Keel,
  ref: string,
): Promise<{ version: DatasetVersionDetail; table: Table }> {
  return load(keel, ref, (label, total, unit) => progressBar(label, total, { unit }));
}
