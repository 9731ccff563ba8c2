import type { Readable } from 'node:stream';
import type { DataDiff } from '../data/diff.js';
import type { DatasetFile, DatasetVersion, NewVersion } from '../data/versions.js';
import type { Api } from './api.js';
import { seg } from './codec.js';
import { KeelApiError } from './errors.js';

export type DatasetVersionDetail = DatasetVersion & {
  files: DatasetFile[];
  runs: { runId: string; runName: string; context: string | null }[];
};

/** Dataset versions and their content-addressed blobs. */
export class Datasets {
  constructor(private readonly api: Api) {}

  /** Versions, newest first (optionally of one dataset). */
  async list(name?: string): Promise<DatasetVersion[]> {
    const r = await this.api.json<{ versions: DatasetVersion[] }>({
      method: 'GET',
      path: '/api/v1/datasets',
      query: { name },
    });
    return r.versions;
  }

  /** A version by `name`, `name@N` or `name@<hash prefix>`, with files, profile and lineage. */
  get(ref: string): Promise<DatasetVersionDetail> {
    return this.api.json({ method: 'GET', path: `/api/v1/datasets/${seg(ref)}` });
  }

  /** Records a version from uploaded blobs; identical content returns the existing version. */
  createVersion(version: NewVersion): Promise<{ version: DatasetVersion; created: boolean }> {
    const { name, ...body } = version;
    return this.api.json({ method: 'POST', path: `/api/v1/datasets/${seg(name)}/versions`, json: body });
  }

  /** Schema changes and per-column drift between two versions. */
  diff(from: string, to: string): Promise<DataDiff> {
    return this.api.json({ method: 'GET', path: '/api/v1/datasets/diff', query: { from, to } });
  }

  /**
   * Declares a dataset version as an input of a run (lineage: version → run), the way MLflow's
   * log-inputs records datasets: name, content hash as digest, `keel://name@N` as source.
   */
  async logInput(runId: string, ref: string, context = 'training'): Promise<DatasetVersion> {
    const v = await this.get(ref);
    await this.api.json({
      method: 'POST',
      path: `/api/v1/runs/${seg(runId)}/inputs`,
      json: {
        datasets: [
          {
            tags: [{ key: 'mlflow.data.context', value: context }],
            dataset: { name: v.name, digest: v.contentHash, sourceType: 'keel', source: `keel://${v.ref}` },
          },
        ],
      },
    });
    return v;
  }

  /** Whether the store already holds a blob (HEAD: nothing is downloaded). */
  async hasBlob(sha256: string): Promise<boolean> {
    try {
      await this.api.json({ method: 'HEAD', path: `/api/v1/blobs/${sha256}` });
      return true;
    } catch (e) {
      // A HEAD answer has no body, so a 404 carries no error code: the status says it all.
      if (e instanceof KeelApiError && e.status === 404) return false;
      throw e;
    }
  }

  /** Uploads a blob under its sha256; the server verifies the hash before keeping it. */
  uploadBlob(sha256: string, body: Readable | Uint8Array): Promise<{ sha256: string; size: number }> {
    return this.api.json({ method: 'PUT', path: `/api/v1/blobs/${sha256}`, body });
  }

  /** Streams a blob's bytes. */
  downloadBlob(sha256: string): Promise<Readable> {
    return this.api.stream({ method: 'GET', path: `/api/v1/blobs/${sha256}` });
  }

  /** Deletes a blob nothing refers to. */
  async deleteBlob(sha256: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `/api/v1/blobs/${sha256}` });
  }
}
