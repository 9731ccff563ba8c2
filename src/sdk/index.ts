/**
 * The Keel TypeScript SDK. It imports no server code (types only), so it stays light: it talks
 * to a Keel server through a Transport, over HTTP by default.
 */
export type { AuditRecord } from '../audit/query.js';
export type { VerifyResult } from '../audit/verify.js';
export type { Role } from '../auth/roles.js';
export type { TokenInfo } from '../auth/tokens.js';
export type { DataDiff } from '../data/diff.js';
export type { DatasetFile, DatasetVersion, NewVersion } from '../data/versions.js';
// Webhook receivers verify X-Keel-Signature with these (node:crypto only, no server code).
export { signature, verifySignature } from '../monitoring/alerts/sign.js';
export type { GatePolicyInput } from '../pipelines/gate/policy.js';
export type { GateCheck, GateDecision, GateResult } from '../pipelines/gate/types.js';
export type {
  Approval,
  ApprovalRecord,
  ApprovalStatus,
  Evaluation,
  FeatureSchemaEntry,
  ModelDataset,
  ModelLineage,
  ModelSignature,
  ModelVersion,
  OnnxValue,
  RegisteredModel,
} from '../registry/types.js';
export type { ColumnProfile, DatasetProfile } from '../stats/types.js';
export type { FileInfo } from '../tracking/artifacts.js';
export type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  Metric,
  Param,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from '../tracking/types.js';
export type { AuditPage } from './admin.js';
export { Audit, Tokens } from './admin.js';
export {
  type AlertChannel,
  AlertChannels,
  AlertDeliveries,
  type AlertDelivery,
  type AlertEvent,
  type AlertEventKind,
  type AlertEventPayload,
  Alerts,
  type ChannelKind,
  type DeliveryAttempt,
  type DeliveryStatus,
  type NewChannel,
} from './alerts.js';
export { Keel, type KeelOptions, type StartRunOptions } from './client.js';
export { Datasets, type DatasetVersionDetail } from './datasets.js';
export {
  type CreateDeploymentOptions,
  type Deployment,
  type DeploymentDetail,
  type DeploymentSpec,
  type DeploymentStatus,
  Deployments,
  type TrafficChange,
  type VersionRef,
} from './deployments.js';
export { apiErrorFrom, KeelApiError } from './errors.js';
export type { ExperimentList, ListExperimentsOptions } from './experiments.js';
export { Experiments } from './experiments.js';
export { Gates } from './gates.js';
export { Models, type RegisterVersionOptions } from './models.js';
export {
  type Alert,
  type AlertRule,
  type AlertStatus,
  type ColumnDrift,
  type ColumnQuality,
  type EventTime,
  type MetricMap,
  type Monitor,
  type MonitorInput,
  type MonitorReport,
  type MonitorRun,
  type MonitorRunResult,
  type MonitorSpec,
  Monitors,
  type NewMonitor,
  type NewRule,
  type ReferenceSpec,
  type Severity,
  type TimeRange,
  type WindowResult,
  type WindowSpec,
} from './monitors.js';
export {
  type ApplyPipelines,
  type Pipeline,
  type PipelineRun,
  type PipelineRunStatus,
  Pipelines,
  type RunQuery as PipelineRunQuery,
  type StepRun,
} from './pipelines.js';
export {
  type FeedbackInput,
  type FeedbackResult,
  type PredictionPage,
  type PredictionSegment,
  Predictions,
  type PredictionWindow,
  type SampleRow,
} from './predictions.js';
export * from './rollouts.js';
export { ActiveRun, type RunLoggerOptions } from './run-logger.js';
export type {
  CreateRunOptions,
  LogBatch,
  MetricHistory,
  MetricInput,
  RunList,
  SearchRunsOptions,
} from './runs.js';
export { Runs } from './runs.js';
export {
  ensureOk,
  HttpTransport,
  queryString,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './transport.js';
