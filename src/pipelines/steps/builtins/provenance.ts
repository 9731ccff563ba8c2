/**
 * What every run, version or record a built-in creates carries: the pipeline, its run and the
 * step. A retried step (a worker killed mid-step) finds what its first attempt created by these,
 * and reuses it instead of creating a second one.
 */
import { PIPELINE_RUN_TAG, PIPELINE_STEP_TAG, PIPELINE_TAG } from '../../tracked.js';
import type { BuiltinContext } from '../types.js';

type Where = Pick<BuiltinContext, 'pipeline' | 'runId' | 'step'>;

/** The three provenance tags. */
export const provenanceTags = (b: Where): Record<string, string> => ({
  [PIPELINE_TAG]: b.pipeline,
  [PIPELINE_RUN_TAG]: String(b.runId),
  [PIPELINE_STEP_TAG]: b.step,
});

/** Whether `tags` carry exactly this step's provenance. */
export const madeBy = (tags: Record<string, string> | undefined, b: Where): boolean =>
  tags?.[PIPELINE_TAG] === b.pipeline &&
  tags[PIPELINE_RUN_TAG] === String(b.runId) &&
  tags[PIPELINE_STEP_TAG] === b.step;

/** Provenance as text, for objects that carry a message rather than tags (dataset versions). */
export const provenanceNote = (b: Where): string =>
  `[${PIPELINE_TAG}=${b.pipeline} ${PIPELINE_RUN_TAG}=${b.runId} ${PIPELINE_STEP_TAG}=${b.step}]`;
