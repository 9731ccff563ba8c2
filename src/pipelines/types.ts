import type { Manifest } from './cache/index.js';
import type { PipelineSpec } from './spec/index.js';
import type { ParamValue, StepOutputs } from './steps/types.js';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped';
export type TriggerKind = 'manual' | 'schedule' | 'alert' | 'dataset';

export interface Pipeline {
  name: string;
  description: string;
  spec: PipelineSpec;
  source: string;
  sourceFile: string;
  workspace: Manifest;
  revision: number;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
}

export interface Trigger {
  kind: TriggerKind;
  /** Identifies the causing event (cron tick, alert event, dataset version): one run per key. */
  key?: string | undefined;
  /** What caused the run, shown with it and passed to the steps as `trigger_*` params. */
  context?: Record<string, ParamValue>;
}

export interface StepRun {
  step: string;
  status: StepStatus;
  jobId: number | null;
  cacheKey: string | null;
  cached: boolean;
  outputs: StepOutputs;
  files: Manifest;
  metrics: Record<string, number>;
  logSha256: string | null;
  trackedRunId: string | null;
  attempts: number;
  error: string | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface PipelineRun {
  id: number;
  pipeline: string;
  revision: number;
  params: Record<string, ParamValue>;
  status: RunStatus;
  trigger: TriggerKind;
  triggerKey: string | null;
  triggerContext: Record<string, ParamValue>;
  force: boolean;
  trackedRunId: string | null;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  requestedBy: string;
  steps: StepRun[];
}

/** The job payload of one step execution (job kind `pipeline.step`). */
export interface StepJob {
  runId: number;
  step: string;
}

export const STEP_JOB = 'pipeline.step';
