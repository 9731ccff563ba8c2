import type { Generated } from 'kysely';
import type { JobTables } from './tables/jobs.js';
import type { PipelineTables } from './tables/pipelines.js';
import type { RolloutTables } from './tables/rollouts.js';

/** Table types for Kysely. Times are epoch milliseconds; booleans are 0/1 on both dialects. */
export interface ExperimentsTable {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export interface ExperimentTagsTable {
  experiment_id: string;
  key: string;
  value: string;
}

export interface RunsTable {
  run_id: string;
  experiment_id: string;
  run_name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
  deleted_time: number | null;
}

export interface KeyValueTable {
  run_id: string;
  key: string;
  value: string;
}

export interface MetricsTable {
  id: Generated<number>;
  run_id: string;
  key: string;
  /** 0 when is_nan = 1: SQLite turns NaN into NULL, so NaN is a flag, as in MLflow's schema. */
  value: number;
  is_nan: number;
  timestamp: number;
  step: number;
}

export interface LatestMetricsTable {
  run_id: string;
  key: string;
  value: number;
  is_nan: number;
  timestamp: number;
  step: number;
}

export interface DatasetsTable {
  dataset_id: string;
  experiment_id: string;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface RunInputsTable {
  run_id: string;
  dataset_id: string;
  /** JSON array of {key, value}. */
  tags: string;
  context: string | null;
}

export interface ArtifactFilesTable {
  /** Full logical path, e.g. `<experiment_id>/<run_id>/artifacts/model/model.onnx`. */
  path: string;
  sha256: string;
  size: number;
  created_at: number;
}

export interface ApiTokensTable {
  token_id: string;
  name: string;
  role: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface AuditLogTable {
  seq: number;
  time: number;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  before: string | null;
  after: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface DatasetVersionsTable {
  version_id: string;
  name: string;
  version: number;
  content_hash: string;
  rows: number;
  bad_rows: number;
  file_count: number;
  bytes: number;
  /** JSON DataSchema, null when the version has no tabular files. */
  schema: string | null;
  /** JSON DatasetProfile, null when the version has no tabular files. */
  profile: string | null;
  message: string;
  created_by: string;
  created_at: number;
}

export interface DatasetFilesTable {
  version_id: string;
  path: string;
  size: number;
  sha256: string;
}

export interface RegisteredModelsTable {
  name: string;
  description: string;
  created_at: number;
  updated_at: number;
  created_by: string;
  /** Highest version number ever handed out (versions are never reused). */
  last_version: number;
}

export interface RegisteredModelTagsTable {
  name: string;
  key: string;
  value: string;
}

export interface ModelVersionsTable {
  name: string;
  version: number;
  created_at: number;
  updated_at: number;
  created_by: string;
  description: string;
  source: string;
  run_id: string | null;
  run_link: string;
  status: string;
  current_stage: string;
  onnx_sha256: string | null;
  onnx_size: number | null;
  /** JSON ModelSignature. */
  signature: string | null;
  /** JSON FeatureSchemaEntry[]. */
  feature_schema: string | null;
  /** JSON array of {ref, name, version, versionId}. */
  datasets: string;
  /** JSON object key → number ("NaN"/"Infinity" for non-finite values). */
  metrics: string;
  /** JSON object key → string. */
  params: string;
  approval_status: string;
  approval_actor: string | null;
  approval_reason: string | null;
  approval_time: number | null;
}

export interface ModelVersionTagsTable {
  name: string;
  version: number;
  key: string;
  value: string;
}

export interface ModelAliasesTable {
  name: string;
  alias: string;
  version: number;
}

export interface ModelApprovalsTable {
  id: Generated<number>;
  name: string;
  version: number;
  status: string;
  actor: string;
  reason: string;
  time: number;
}

export interface ModelEvaluationsTable {
  eval_id: string;
  name: string;
  version: number;
  dataset_ref: string | null;
  dataset_version_id: string | null;
  created_at: number;
  created_by: string;
  /** JSON. */
  result: string;
}

export interface DeploymentsTable {
  name: string;
  description: string;
  model: string;
  source_ref: string;
  /** JSON DeploymentSpec. */
  spec: string;
  revision: number;
  created_at: number;
  updated_at: number;
  created_by: string;
}

export interface PredictionRecordsTable {
  id: Generated<number>;
  deployment: string;
  request_id: string;
  row: number;
  model: string;
  version: number;
  route: string;
  event_time: number;
  latency_us: number;
  /** JSON {label?, score?, probabilities?, value?}. */
  prediction: string;
}

export interface PredictionFeedbackTable {
  deployment: string;
  request_id: string;
  row: number;
  /** JSON label. */
  label: string;
  event_time: number;
  received_at: number;
  received_by: string;
}

export interface PredictionWindowsTable {
  deployment: string;
  model: string;
  version: number;
  route: string;
  window_start: number;
  window_ms: number;
  rows: number;
  /** JSON DatasetProfile. */
  profile: string;
  updated_at: number;
}

export interface PredictionSegmentsTable {
  deployment: string;
  window_start: number;
  window_ms: number;
  rows: number;
  seen: number;
  sha256: string;
  size: number;
  updated_at: number;
}

export interface MonitorsTable {
  name: string;
  deployment: string;
  /** JSON MonitorSpec. */
  spec: string;
  enabled: number;
  created_at: number;
  updated_at: number;
  created_by: string;
  labels_cursor: number;
  windows_cursor: number;
  lease_owner: string | null;
  lease_until: number;
}

export interface MonitorBaselinesTable {
  monitor: string;
  version: number;
  reference_key: string;
  /** JSON Baseline. */
  baseline: string;
  created_at: number;
}

export interface MonitorResultsTable {
  monitor: string;
  route: string;
  window_start: number;
  window_end: number;
  rows: number;
  labelled: number;
  /** JSON flat metrics. */
  metrics: string;
  /** JSON WindowResult. */
  result: string;
  computed_at: number;
}

export interface MonitorRunsTable {
  id: Generated<number>;
  monitor: string;
  trigger: string;
  range_from: number;
  range_to: number;
  status: string;
  windows: number;
  alert_events: number;
  error: string | null;
  started_at: number;
  finished_at: number | null;
  requested_by: string;
}

export interface AlertChannelsTable {
  name: string;
  kind: string;
  url: string | null;
  secret: string | null;
  /** JSON channel options. */
  options: string;
  created_at: number;
  created_by: string;
}

export interface AlertsTable {
  id: Generated<number>;
  monitor: string;
  deployment: string;
  rule: string;
  route: string;
  severity: string;
  status: string;
  first_window: number;
  opened_window: number;
  last_window: number;
  resolved_window: number | null;
  value: number | null;
  message: string;
  opened_at: number;
  updated_at: number;
  resolved_at: number | null;
}

export interface AlertEventsTable {
  id: Generated<number>;
  alert_id: number;
  monitor: string;
  deployment: string;
  rule: string;
  route: string;
  kind: string;
  window_start: number;
  at: number;
  /** JSON AlertEventPayload. */
  payload: string;
}

export interface AlertDeliveriesTable {
  id: Generated<number>;
  event_id: number;
  channel: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_status_code: number | null;
  last_error: string | null;
  claimed_until: number;
  created_at: number;
  updated_at: number;
}

export interface AlertDeliveryAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  attempt: number;
  at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** Every table. Newer domains keep their table types in `tables/<domain>.ts`. */
export interface Schema extends JobTables, PipelineTables, RolloutTables {
  experiments: ExperimentsTable;
  experiment_tags: ExperimentTagsTable;
  runs: RunsTable;
  params: KeyValueTable;
  run_tags: KeyValueTable;
  metrics: MetricsTable;
  latest_metrics: LatestMetricsTable;
  datasets: DatasetsTable;
  run_inputs: RunInputsTable;
  artifact_files: ArtifactFilesTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  dataset_versions: DatasetVersionsTable;
  dataset_files: DatasetFilesTable;
  registered_models: RegisteredModelsTable;
  registered_model_tags: RegisteredModelTagsTable;
  model_versions: ModelVersionsTable;
  model_version_tags: ModelVersionTagsTable;
  model_aliases: ModelAliasesTable;
  model_approvals: ModelApprovalsTable;
  model_evaluations: ModelEvaluationsTable;
  deployments: DeploymentsTable;
  prediction_records: PredictionRecordsTable;
  prediction_feedback: PredictionFeedbackTable;
  prediction_windows: PredictionWindowsTable;
  prediction_segments: PredictionSegmentsTable;
  monitors: MonitorsTable;
  monitor_baselines: MonitorBaselinesTable;
  monitor_results: MonitorResultsTable;
  monitor_runs: MonitorRunsTable;
  alert_channels: AlertChannelsTable;
  alerts: AlertsTable;
  alert_events: AlertEventsTable;
  alert_deliveries: AlertDeliveriesTable;
  alert_delivery_attempts: AlertDeliveryAttemptsTable;
}
