import type { ArtifactsConfig } from '../core/config.js';
import { FsBlobStore } from './fs.js';
import { S3BlobStore } from './s3.js';
import type { BlobStore } from './store.js';

export { FsBlobStore } from './fs.js';
export { S3BlobStore } from './s3.js';
export type { BlobInfo, BlobSource, BlobStore } from './store.js';

/** The blob store the artifacts config points at. */
export function createBlobStore(config: ArtifactsConfig): BlobStore {
  if (config.kind === 'fs') return new FsBlobStore(config.root);
  const { kind: _kind, ...location } = config;
  return new S3BlobStore(location);
}
