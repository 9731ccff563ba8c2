import type { Selectable } from 'kysely';
import type { PipelineRunsTable, PipelineStepsTable, PipelinesTable } from '../store/tables/pipelines.js';
import type { Pipeline, PipelineRun, RunStatus, StepRun, StepStatus, TriggerKind } from './types.js';

export const toPipeline = (r: PipelinesTable): Pipeline => ({
  name: r.name,
  description: r.description,
  spec: JSON.parse(r.spec),
  source: r.source,
  sourceFile: r.source_file,
  workspace: JSON.parse(r.workspace),
  revision: Number(r.revision),
  enabled: Boolean(r.enabled),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  createdBy: r.created_by,
});

const num = (v: number | null): number | null => (v === null ? null : Number(v));

export const toStepRun = (r: PipelineStepsTable): StepRun => ({
  step: r.step,
  status: r.status as StepStatus,
  jobId: num(r.job_id),
  cacheKey: r.cache_key,
  cached: Boolean(r.cached),
  outputs: JSON.parse(r.outputs),
  files: JSON.parse(r.files),
  metrics: JSON.parse(r.metrics),
  logSha256: r.log_sha256,
  trackedRunId: r.tracked_run_id,
  attempts: Number(r.attempts),
  error: r.error,
  startedAt: num(r.started_at),
  finishedAt: num(r.finished_at),
});

export const toPipelineRun = (
  r: Selectable<PipelineRunsTable>,
  steps: PipelineStepsTable[],
): PipelineRun => ({
  id: Number(r.id),
  pipeline: r.pipeline,
  revision: Number(r.revision),
  params: JSON.parse(r.params),
  status: r.status as RunStatus,
  trigger: r.trigger as TriggerKind,
  triggerKey: r.trigger_key,
  triggerContext: JSON.parse(r.trigger_context),
  force: Boolean(r.force),
  trackedRunId: r.tracked_run_id,
  error: r.error,
  createdAt: Number(r.created_at),
  startedAt: num(r.started_at),
  finishedAt: num(r.finished_at),
  requestedBy: r.requested_by,
  steps: steps.map(toStepRun),
});
