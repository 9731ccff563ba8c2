import type { Generated } from 'kysely';

/** Pipelines, their runs, steps and the step cache (src/pipelines/). Created by migration 009_pipelines. */
export interface PipelinesTable {
  name: string;
  description: string;
  /** JSON PipelineSpec. */
  spec: string;
  source: string;
  source_file: string;
  /** JSON Manifest. */
  workspace: string;
  revision: number;
  enabled: number;
  created_at: number;
  updated_at: number;
  created_by: string;
}

export interface PipelineRunsTable {
  id: Generated<number>;
  pipeline: string;
  revision: number;
  spec: string;
  workspace: string;
  params: string;
  status: string;
  trigger: string;
  trigger_key: string | null;
  trigger_context: string;
  force: number;
  tracked_run_id: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  requested_by: string;
}

export interface PipelineStepsTable {
  run_id: number;
  step: string;
  status: string;
  job_id: number | null;
  cache_key: string | null;
  cached: number;
  outputs: string;
  files: string;
  metrics: string;
  log_sha256: string | null;
  tracked_run_id: string | null;
  attempts: number;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
}

export interface PipelineStepCacheTable {
  key: string;
  pipeline: string;
  step: string;
  outputs: string;
  files: string;
  metrics: string;
  run_id: number;
  created_at: number;
}

export interface PipelineTriggerStateTable {
  pipeline: string;
  trigger: string;
  cursor: number;
  updated_at: number;
}

export interface PipelineTables {
  pipelines: PipelinesTable;
  pipeline_runs: PipelineRunsTable;
  pipeline_steps: PipelineStepsTable;
  pipeline_step_cache: PipelineStepCacheTable;
  pipeline_trigger_state: PipelineTriggerStateTable;
}
