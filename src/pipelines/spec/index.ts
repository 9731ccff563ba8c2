/** The pipeline definition layer: parse a pipeline file, walk its DAG, type params, resolve references. */
export {
  downstreamOf,
  type Edge,
  edges,
  findCycle,
  formatCycle,
  producedPaths,
  readySteps,
  topologicalOrder,
  upstreamMap,
  upstreamOf,
} from './dag.js';
export { coerceParam, parseParamArgs, resolveParams } from './params.js';
export { type ParseOptions, PIPELINE_NAME, parsePipelineFile } from './parse.js';
export { dirKey, isWithin, normaliseWorkspacePath, overlaps, stripSlash } from './paths.js';
export {
  type Ref,
  type SubstituteOptions,
  type SubstitutionContext,
  scanRefs,
  shellQuote,
  substitute,
  substituteCommand,
} from './refs.js';
export { checkCron, checkTimezone, nextScheduleTime } from './schedule.js';
export type * from './types.js';
export { checkWorkspace, type WorkspaceDeps, workspaceDeps } from './workspace.js';
