import { createHash } from 'node:crypto';
import type {
  ApprovalRecord,
  Evaluation,
  FeatureSchemaEntry,
  ModelLineage,
  ModelVersion,
  RegisteredModel,
} from '../registry/types.js';
import type { Api } from './api.js';
import { decodeDouble, seg } from './codec.js';
import type { Datasets } from './datasets.js';

/** What `registerVersion` takes: an ONNX file (bytes or an uploaded blob) or a run's logged model. */
export interface RegisterVersionOptions {
  name: string;
  /** The ONNX file's bytes: uploaded as a blob first. */
  onnx?: Uint8Array;
  /** An ONNX blob already uploaded. */
  onnxSha256?: string;
  /** The run that produced the model: its metrics, params and dataset inputs are copied. */
  runId?: string;
  /** With runId: where the run logged the model (`<path>/model.onnx` or a `.onnx` file; default `model`). */
  artifactPath?: string;
  /** A runs:/ or mlflow-artifacts:/ URI instead of runId + artifactPath. */
  source?: string;
  /** Create the registered model if it does not exist yet. */
  createModel?: boolean;
  featureSchema?: FeatureSchemaEntry[];
  /** Dataset version refs (`name@N`) besides the run's inputs. */
  datasets?: string[];
  description?: string;
  tags?: Record<string, string>;
}

/** A version as received, with its metric values decoded ("NaN" → NaN). */
const decodeVersion = (v: ModelVersion): ModelVersion => ({
  ...v,
  metrics: Object.fromEntries(Object.entries(v.metrics).map(([k, x]) => [k, decodeDouble(x)])),
});

/** The model registry: models, versions, aliases, reviews, evaluations and lineage. */
export class Models {
  constructor(
    private readonly api: Api,
    private readonly datasets: Datasets,
  ) {}

  private base(name: string): string {
    return `/api/v1/models/${seg(name)}`;
  }

  private versionPath(name: string, version: number): string {
    return `${this.base(name)}/versions/${version}`;
  }

  /** Registers a model name. */
  create(model: {
    name: string;
    description?: string;
    tags?: Record<string, string>;
  }): Promise<RegisteredModel> {
    return this.api.json({ method: 'POST', path: '/api/v1/models', json: model });
  }

  /** A model with its tags, aliases and latest version number. */
  get(name: string): Promise<RegisteredModel> {
    return this.api.json({ method: 'GET', path: this.base(name) });
  }

  /** Every registered model, by name. */
  async list(): Promise<RegisteredModel[]> {
    return (await this.api.json<{ models: RegisteredModel[] }>({ method: 'GET', path: '/api/v1/models' }))
      .models;
  }

  /** Renames a model; its versions, tags and aliases follow. */
  rename(name: string, newName: string): Promise<RegisteredModel> {
    return this.api.json({ method: 'POST', path: `${this.base(name)}/rename`, json: { newName } });
  }

  /** Changes a model's description. */
  update(name: string, patch: { description?: string }): Promise<RegisteredModel> {
    return this.api.json({ method: 'PATCH', path: this.base(name), json: patch });
  }

  /** Deletes a model with all its versions. */
  async delete(name: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: this.base(name) });
  }

  async setTag(name: string, key: string, value: string): Promise<void> {
    await this.api.json({ method: 'PUT', path: `${this.base(name)}/tags/${seg(key)}`, json: { value } });
  }

  async deleteTag(name: string, key: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `${this.base(name)}/tags/${seg(key)}` });
  }

  /**
   * Registers a new version. With `onnx` bytes, the file is uploaded as a blob first; the server
   * then checks it decodes and loads in onnxruntime before numbering the version.
   */
  async registerVersion(opts: RegisterVersionOptions): Promise<ModelVersion> {
    const { name, onnx, ...rest } = opts;
    let onnxSha256 = rest.onnxSha256;
    if (onnx) {
      onnxSha256 = createHash('sha256').update(onnx).digest('hex');
      await this.datasets.uploadBlob(onnxSha256, onnx);
    }
    const body = { ...rest, ...(onnxSha256 ? { onnxSha256 } : {}) };
    return decodeVersion(
      await this.api.json({ method: 'POST', path: `${this.base(name)}/versions`, json: body }),
    );
  }

  async getVersion(name: string, version: number): Promise<ModelVersion> {
    return decodeVersion(await this.api.json({ method: 'GET', path: this.versionPath(name, version) }));
  }

  /** A model's versions, newest first. */
  async listVersions(name: string): Promise<ModelVersion[]> {
    const r = await this.api.json<{ versions: ModelVersion[] }>({
      method: 'GET',
      path: `${this.base(name)}/versions`,
    });
    return r.versions.map(decodeVersion);
  }

  async updateVersion(name: string, version: number, patch: { description?: string }): Promise<ModelVersion> {
    return decodeVersion(
      await this.api.json({ method: 'PATCH', path: this.versionPath(name, version), json: patch }),
    );
  }

  /** Deletes a version (and its aliases); its number is never handed out again. */
  async deleteVersion(name: string, version: number): Promise<void> {
    await this.api.json({ method: 'DELETE', path: this.versionPath(name, version) });
  }

  async setVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    await this.api.json({
      method: 'PUT',
      path: `${this.versionPath(name, version)}/tags/${seg(key)}`,
      json: { value },
    });
  }

  async deleteVersionTag(name: string, version: number, key: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `${this.versionPath(name, version)}/tags/${seg(key)}` });
  }

  /** The version `name@N`, `name@alias` or `name` (its latest approved version) names. */
  async resolve(ref: string): Promise<ModelVersion> {
    return decodeVersion(await this.api.json({ method: 'GET', path: `/api/v1/model-refs/${seg(ref)}` }));
  }

  /** Points an alias at a version, moving it if it pointed elsewhere. */
  setAlias(name: string, alias: string, version: number): Promise<RegisteredModel> {
    return this.api.json({
      method: 'PUT',
      path: `${this.base(name)}/aliases/${seg(alias)}`,
      json: { version },
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `${this.base(name)}/aliases/${seg(alias)}` });
  }

  /** Approves or rejects the version a ref names (admin tokens only). */
  async review(ref: string, status: 'approved' | 'rejected', reason = ''): Promise<ModelVersion> {
    const { name, version } = await this.locate(ref);
    return decodeVersion(
      await this.api.json({
        method: 'POST',
        path: `${this.versionPath(name, version)}/review`,
        json: { status, reason },
      }),
    );
  }

  /** The review history of the version a ref names, oldest first. */
  async approvals(ref: string): Promise<ApprovalRecord[]> {
    const { name, version } = await this.locate(ref);
    const r = await this.api.json<{ approvals: ApprovalRecord[] }>({
      method: 'GET',
      path: `${this.versionPath(name, version)}/approvals`,
    });
    return r.approvals;
  }

  /** Records an evaluation result (datasetRef: the dataset version it ran on). */
  addEvaluation(
    name: string,
    version: number,
    evaluation: { datasetRef?: string | null; datasetVersionId?: string; result: unknown },
  ): Promise<Evaluation> {
    return this.api.json({
      method: 'POST',
      path: `${this.versionPath(name, version)}/evaluations`,
      json: evaluation,
    });
  }

  async listEvaluations(name: string, version: number): Promise<Evaluation[]> {
    const r = await this.api.json<{ evaluations: Evaluation[] }>({
      method: 'GET',
      path: `${this.versionPath(name, version)}/evaluations`,
    });
    return r.evaluations;
  }

  /** Dataset versions → run → version → aliases and deployments. */
  lineage(name: string, version: number): Promise<ModelLineage> {
    return this.api.json({ method: 'GET', path: `${this.versionPath(name, version)}/lineage` });
  }

  /** The ONNX file of the version a ref names. */
  async downloadOnnx(ref: string): Promise<Uint8Array> {
    const { name, version } = await this.locate(ref);
    const chunks: Buffer[] = [];
    for await (const c of await this.api.stream({
      method: 'GET',
      path: `${this.versionPath(name, version)}/onnx`,
    })) {
      chunks.push(Buffer.from(c as Uint8Array));
    }
    return new Uint8Array(Buffer.concat(chunks));
  }

  /** `name@N` directly; any other ref through the server. */
  private async locate(ref: string): Promise<{ name: string; version: number }> {
    const m = /^([^@/]+)@([1-9]\d*)$/.exec(ref);
    if (m) return { name: m[1]!, version: Number(m[2]) };
    const v = await this.resolve(ref);
    return { name: v.name, version: v.version };
  }
}
