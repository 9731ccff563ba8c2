import type { Readable } from 'node:stream';
import type { FileInfo } from '../tracking/artifacts.js';
import type {
  DatasetInput,
  Metric,
  Param,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from '../tracking/types.js';
import type { Api } from './api.js';
import { decodeMetric, decodeRun, encodeDouble, filePath, seg } from './codec.js';

export interface CreateRunOptions {
  /** Default: the default experiment '0'. */
  experimentId?: string;
  /** Default: a generated name. */
  runName?: string;
  /** Epoch ms; default: now on the server. */
  startTime?: number;
  tags?: Tag[];
}

export interface SearchRunsOptions {
  experimentIds: string[];
  /** MLflow filter syntax, e.g. `metrics.acc > 0.9 AND params.lr = '0.1'`. */
  filter?: string;
  /** e.g. `['metrics.acc DESC']`; default: newest first. */
  orderBy?: string[];
  viewType?: ViewType;
  maxResults?: number;
  pageToken?: string;
}

export interface RunList {
  runs: Run[];
  nextPageToken?: string;
}

/** A metric to log; timestamp defaults to now on the server, step to 0. */
export interface MetricInput {
  key: string;
  value: number;
  timestamp?: number;
  step?: number;
}

export interface LogBatch {
  metrics?: MetricInput[];
  params?: Param[];
  tags?: Tag[];
}

export interface MetricHistory {
  metrics: Metric[];
  nextPageToken?: string;
}

const base = '/api/v1/runs';

/** `keel.runs`: run lifecycle, logging, search, metric history and artifacts. */
export class Runs {
  constructor(private readonly api: Api) {}

  /** Creates a run (status RUNNING). */
  async create(opts: CreateRunOptions = {}): Promise<Run> {
    return decodeRun(await this.api.json<Run>({ method: 'POST', path: base, json: opts }));
  }

  /** A run with its latest metrics, params, tags and dataset inputs. */
  async get(runId: string): Promise<Run> {
    return decodeRun(await this.api.json<Run>({ method: 'GET', path: `${base}/${seg(runId)}` }));
  }

  /** Updates status, end time and/or name; returns the updated info. */
  update(runId: string, patch: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo> {
    return this.api.json({ method: 'PATCH', path: `${base}/${seg(runId)}`, json: patch });
  }

  /** Soft-deletes a run. */
  async delete(runId: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `${base}/${seg(runId)}` });
  }

  /** Restores a soft-deleted run. */
  async restore(runId: string): Promise<void> {
    await this.api.json({ method: 'POST', path: `${base}/${seg(runId)}/restore` });
  }

  /** One page of runs of some experiments. */
  async search(opts: SearchRunsOptions): Promise<RunList> {
    const page = await this.api.json<RunList>({ method: 'POST', path: `${base}/search`, json: opts });
    return { ...page, runs: page.runs.map(decodeRun) };
  }

  /** Logs metrics, params and tags in one atomic request (MLflow's batch limits apply). */
  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const json = { ...batch, metrics: batch.metrics?.map((m) => ({ ...m, value: encodeDouble(m.value) })) };
    await this.api.json({ method: 'POST', path: `${base}/${seg(runId)}/log-batch`, json });
  }

  /** Every logged value of one metric, by step then time (one page when maxResults is set). */
  async history(
    runId: string,
    key: string,
    opts: { maxResults?: number; pageToken?: string } = {},
  ): Promise<MetricHistory> {
    const page = await this.api.json<MetricHistory>({
      method: 'GET',
      path: `${base}/${seg(runId)}/metrics/${seg(key)}/history`,
      query: { ...opts },
    });
    return { ...page, metrics: page.metrics.map(decodeMetric) };
  }

  /** Deletes a run tag (an error if it does not exist). */
  async deleteTag(runId: string, key: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `${base}/${seg(runId)}/tags/${seg(key)}` });
  }

  /** Records the datasets a run used. */
  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    await this.api.json({ method: 'POST', path: `${base}/${seg(runId)}/inputs`, json: { datasets } });
  }

  /** Immediate children of a directory of the run's artifacts ('' = the root). */
  async listArtifacts(runId: string, path = ''): Promise<FileInfo[]> {
    const res = await this.api.json<{ files: FileInfo[] }>({
      method: 'GET',
      path: `${base}/${seg(runId)}/artifacts`,
      query: { path: path || undefined },
    });
    return res.files;
  }

  /** Uploads a file to `path` under the run's artifacts (streamed; replaces an existing file). */
  async uploadArtifact(runId: string, path: string, data: Readable | Uint8Array | string): Promise<void> {
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await this.api.json({ method: 'PUT', path: `${base}/${seg(runId)}/artifacts/${filePath(path)}`, body });
  }

  /** Streams a file of the run's artifacts. */
  downloadArtifact(runId: string, path: string): Promise<Readable> {
    return this.api.stream({ method: 'GET', path: `${base}/${seg(runId)}/artifacts/${filePath(path)}` });
  }

  /** Deletes a file, or everything under a directory, of the run's artifacts. */
  async deleteArtifact(runId: string, path: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `${base}/${seg(runId)}/artifacts/${filePath(path)}` });
  }
}
