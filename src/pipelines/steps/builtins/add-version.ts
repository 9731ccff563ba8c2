/**
 * Versioning local files as a dataset version through the API: profile and hash them where they
 * are, upload only the blobs the store lacks, then record the version (identical content returns
 * the existing version). `keel data add` and the `data.snapshot` step both run exactly this.
 */
import fs from 'node:fs';
import type { HashCache } from '../../../data/hashing/index.js';
import { edgesOf, type PreparedVersion, prepareVersion } from '../../../data/ingest.js';
import { type DatasetVersion, type Keel, KeelApiError } from '../../../sdk/index.js';
import { noProgress, type ProgressFactory } from './progress.js';

export interface PrepareDatasetOptions {
  /** The dataset: its latest version's histogram edges are reused, so versions compare bin for bin. */
  name: string;
  cache?: HashCache | undefined;
  schemaFile?: string | undefined;
  delimiter?: string | undefined;
  strict?: boolean | undefined;
  onHashProgress?: (done: number, total: number) => void;
  onRows?: (rows: number) => void;
}

/** Everything that can fail on bad input, before the first upload: schema, profile, hashes. */
export async function prepareDatasetVersion(
  keel: Keel,
  paths: string[],
  opts: PrepareDatasetOptions,
): Promise<PreparedVersion> {
  const previous = await keel.datasets.get(opts.name).catch((e: unknown) => {
    if (e instanceof KeelApiError && e.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
    throw e;
  });
  const edges = edgesOf(previous?.profile ?? null);
  return prepareVersion(paths, {
    ...(opts.cache ? { cache: opts.cache } : {}),
    schemaFile: opts.schemaFile,
    delimiter: opts.delimiter,
    strict: opts.strict ?? false,
    ...(edges ? { edges } : {}),
    ...(opts.onHashProgress ? { onHashProgress: opts.onHashProgress } : {}),
    ...(opts.onRows ? { onRows: opts.onRows } : {}),
  });
}

export interface StoredVersion {
  version: DatasetVersion;
  /** False when identical content was already a version of this dataset. */
  created: boolean;
  /** Blobs uploaded (the others were already stored). */
  uploaded: number;
}

/**
 * Uploads the blobs the store lacks and records the version. If recording fails, the blobs this
 * call uploaded are deleted again, so no blob is left referenced by nothing.
 */
export async function storeDatasetVersion(
  keel: Keel,
  name: string,
  prepared: PreparedVersion,
  opts: { message?: string | undefined; progress?: ProgressFactory } = {},
): Promise<StoredVersion> {
  const missing = [];
  for (const f of prepared.files) if (!(await keel.datasets.hasBlob(f.sha256))) missing.push(f);
  const uploaded: string[] = [];
  const bar = (opts.progress ?? noProgress)(
    'uploading',
    missing.reduce((s, f) => s + f.size, 0),
    'bytes',
  );
  try {
    let done = 0;
    for (const f of missing) {
      await keel.datasets.uploadBlob(f.sha256, fs.createReadStream(f.absPath));
      uploaded.push(f.sha256);
      done += f.size;
      bar.update(done);
    }
    bar.stop();
    const result = await keel.datasets.createVersion({
      name,
      files: prepared.files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
      rows: prepared.rows,
      badRows: prepared.badRows,
      schema: prepared.schema,
      profile: prepared.profile,
      message: opts.message,
    });
    return { ...result, uploaded: missing.length };
  } catch (e) {
    bar.stop();
    for (const sha of uploaded) await keel.datasets.deleteBlob(sha).catch(() => undefined);
    throw e;
  }
}
