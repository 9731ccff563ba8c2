/** The validation gate: a declarative policy a candidate version must pass before it is approved. */
export { type Champion, type ModelEval, modelChecks } from './checks.js';
export { formatGate } from './format.js';
export {
  diskIncludes,
  expectationsFileOf,
  FAIRNESS_METRICS,
  type FairnessMetric,
  type FairnessRule,
  type GatePolicy,
  type GatePolicyInput,
  GatePolicySchema,
  type IncludeReader,
  type MetricRule,
  parseGatePolicy,
  parseGatePolicyText,
  readGatePolicyFile,
  regressionBound,
} from './policy.js';
export { type CheckedData, qualityChecks } from './quality.js';
export { findGateResult, type GateRecord, gateResultOf, isGateRecord, listGateResults } from './records.js';
export { type RunGateInput, runGate } from './run.js';
export type * from './types.js';
