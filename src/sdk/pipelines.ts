import type { Readable } from 'node:stream';
import type { Manifest } from '../pipelines/cache/index.js';
import type { ParamValue } from '../pipelines/steps/types.js';
import type { Pipeline, PipelineRun, RunStatus } from '../pipelines/types.js';
import type { Api } from './api.js';
import { seg } from './codec.js';

export type { Pipeline, PipelineRun, RunStatus as PipelineRunStatus, StepRun } from '../pipelines/types.js';

export interface ApplyPipelines {
  /** The pipeline file's text. */
  source: string;
  file?: string;
  /** The workspace files its steps depend on (upload them first with `keel.datasets.uploadBlob`). */
  workspace: Manifest;
}

export interface RunQuery {
  pipeline?: string;
  status?: RunStatus;
  before?: number;
  limit?: number;
}

/** Pipelines: definitions, runs, steps and their logs. */
export class Pipelines {
  constructor(private readonly api: Api) {}

  async apply(input: ApplyPipelines): Promise<Pipeline[]> {
    const r = await this.api.json<{ pipelines: Pipeline[] }>({
      method: 'PUT',
      path: '/api/v1/pipelines',
      json: { source: input.source, file: input.file ?? 'keel.yaml', workspace: input.workspace },
    });
    return r.pipelines;
  }

  async list(): Promise<Pipeline[]> {
    return (await this.api.json<{ pipelines: Pipeline[] }>({ method: 'GET', path: '/api/v1/pipelines' }))
      .pipelines;
  }

  get(name: string): Promise<Pipeline> {
    return this.api.json({ method: 'GET', path: `/api/v1/pipelines/${seg(name)}` });
  }

  async delete(name: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `/api/v1/pipelines/${seg(name)}` });
  }

  /** Starts a run; `params` as `k=v` strings or typed values, each declared by the pipeline. */
  run(
    name: string,
    opts: { params?: string[] | Record<string, ParamValue>; force?: boolean } = {},
  ): Promise<PipelineRun> {
    return this.api.json({ method: 'POST', path: `/api/v1/pipelines/${seg(name)}/runs`, json: opts });
  }

  async runs(q: RunQuery = {}): Promise<PipelineRun[]> {
    return (
      await this.api.json<{ runs: PipelineRun[] }>({
        method: 'GET',
        path: '/api/v1/pipeline-runs',
        query: { ...q },
      })
    ).runs;
  }

  getRun(id: number): Promise<PipelineRun> {
    return this.api.json({ method: 'GET', path: `/api/v1/pipeline-runs/${id}` });
  }

  cancel(id: number): Promise<PipelineRun> {
    return this.api.json({ method: 'POST', path: `/api/v1/pipeline-runs/${id}/cancel` });
  }

  /** A step's log (its latest attempt). */
  log(id: number, step: string): Promise<Readable> {
    return this.api.stream({ method: 'GET', path: `/api/v1/pipeline-runs/${id}/steps/${seg(step)}/log` });
  }

  /** Polls a run until it ends (succeeded, failed or cancelled), calling `onChange` as steps move. */
  async wait(
    id: number,
    opts: { intervalMs?: number; timeoutMs?: number; onChange?: (run: PipelineRun) => void } = {},
  ): Promise<PipelineRun> {
    const deadline = Date.now() + (opts.timeoutMs ?? Number.POSITIVE_INFINITY);
    let last = '';
    for (;;) {
      const run = await this.getRun(id);
      const sig = JSON.stringify([run.status, run.steps.map((s) => [s.status, s.attempts])]);
      if (sig !== last) {
        last = sig;
        opts.onChange?.(run);
      }
      if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') return run;
      if (Date.now() > deadline) return run;
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
    }
  }
}
