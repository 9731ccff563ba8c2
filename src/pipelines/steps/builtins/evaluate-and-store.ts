/**
 * Evaluating registered versions on a dataset version and storing each evaluation with its
 * version: `keel eval` and the `evaluate` step run exactly this.
 */
import type { EvalResult } from '../../../models/eval/index.js';
import type { DatasetVersion, Evaluation, Keel } from '../../../sdk/index.js';
import { loadDataset } from './dataset-io.js';
import type { ProgressFactory } from './progress.js';
import {
  evaluateScored,
  type OptionNames,
  type ReadModelOptions,
  type ScoredVersion,
  scoreVersion,
} from './scoring.js';

export interface EvaluateOptions {
  /** How to read models the registry cannot fully describe. */
  read?: ReadModelOptions;
  sliceBy?: string | undefined;
  sensitive?: string | undefined;
  positive?: string | undefined;
  /**
   * Store each evaluation with its version; `tags` are kept in the stored result (a pipeline's
   * run and step, so a retried step finds what it stored).
   */
  store: false | { tags?: Record<string, string> };
  names?: OptionNames;
  progress?: ProgressFactory;
}

export interface VersionEvaluation {
  scored: ScoredVersion;
  result: EvalResult;
  /** The stored record, when stored. */
  stored: Evaluation | null;
}

/** The stored shape: the result plus the tags it was stored with. */
export type StoredResult = EvalResult & { tags?: Record<string, string> };

/** Scores and evaluates every ref before storing anything: a failure leaves no partial record. */
export async function evaluateAndStore(
  keel: Keel,
  refs: string[],
  dataRef: string,
  opts: EvaluateOptions,
): Promise<{ data: DatasetVersion; evaluations: VersionEvaluation[] }> {
  const { version: data, table } = await loadDataset(keel, dataRef, opts.progress);
  const read = { ...opts.read, ...(opts.names ? { names: opts.names } : {}) };
  const how = {
    ...(opts.sliceBy ? { sliceBy: opts.sliceBy } : {}),
    ...(opts.sensitive ? { sensitive: opts.sensitive } : {}),
    ...(opts.positive ? { positive: opts.positive } : {}),
    ...(opts.names ? { names: opts.names } : {}),
  };
  const evaluations: VersionEvaluation[] = [];
  for (const r of refs) {
    const scored = await scoreVersion(keel, r, table, read);
    evaluations.push({ scored, result: evaluateScored(scored, table, how), stored: null });
  }
  if (opts.store) {
    const tags = opts.store.tags;
    for (const e of evaluations) {
      const result: StoredResult = tags ? { ...e.result, tags } : e.result;
      e.stored = await keel.models.addEvaluation(e.scored.version.name, e.scored.version.version, {
        datasetRef: data.ref,
        result,
      });
    }
  }
  return { data, evaluations };
}
