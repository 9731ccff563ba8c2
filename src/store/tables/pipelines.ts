/** Pipelines, their runs, steps and the step cache (src/pipelines/). Owned by migration 009_pipelines. */
// biome-ignore lint/complexity/noBannedTypes: filled by migration 009_pipelines
export type PipelineTables = {};
