import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from '../../src/core/config.js';

interface S3rverOptions {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
// s3rver ships no type definitions; this is the slice of its README's API the tests use.
const S3rver = createRequire(import.meta.url)('s3rver') as new (opts: S3rverOptions) => S3rverInstance;

export const BUCKET = 'keel-test';

/** A throwaway folder under the OS temp dir. */
export const tempDir = (label: string): Promise<string> => mkdtemp(path.join(os.tmpdir(), `keel-${label}-`));

/** A real s3rver on a free 127.0.0.1 port, backed by a temp folder. */
export async function startS3rver(): Promise<{
  location(prefix: string): S3Location;
  rawKeys(prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}> {
  const directory = await tempDir('s3rver');
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  const location = (prefix: string): S3Location => ({
    bucket: BUCKET,
    prefix,
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  const { accessKeyId = '', secretAccessKey = '', ...rest } = location('');
  const raw = new S3Client({ ...rest, credentials: { accessKeyId, secretAccessKey } });
  return {
    location,
    async rawKeys(prefix = '') {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client: raw }, { Bucket: BUCKET, Prefix: prefix })) {
        for (const obj of page.Contents ?? []) if (obj.Key) keys.push(obj.Key);
      }
      return keys.sort();
    },
    async stop() {
      raw.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * `size` pseudo-random bytes made 1 MiB at a time as they are read, never held whole; `sha256()`
 * is the digest of what was emitted, valid once the stream has ended.
 */
export function generatedStream(
  size: number,
  opts: { failAfter?: number } = {},
): { stream: Readable; sha256(): string } {
  const hash = createHash('sha256');
  let sent = 0;
  let digest = '';
  const stream = new Readable({
    read() {
      if (opts.failAfter !== undefined && sent >= opts.failAfter) {
        this.destroy(new Error('source broke midway'));
        return;
      }
      if (sent >= size) {
        digest = hash.digest('hex');
        this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(1024 * 1024, size - sent));
      hash.update(chunk);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, sha256: () => digest };
}

/** sha256 and length of a stream, read incrementally. */
export async function digestStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

export const sha256Of = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');
