import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore, S3BlobStore } from '../../src/artifacts/index.js';
import type { BlobStore } from '../../src/artifacts/store.js';
import { generatedStream, startS3rver, tempDir } from './helpers.js';

/**
 * Backs the claim that uploads stream in constant memory: a blob several times larger than the
 * allowed RSS growth must go through put() without the process growing by more than that.
 */
const MiB = 1024 * 1024;
const MAX_GROWTH = 150 * MiB;

/** Runs `work`, sampling RSS meanwhile; returns its result and the peak growth over the starting RSS. */
async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await work();
    sample();
    return { result, growth: peak - baseline };
  } finally {
    clearInterval(timer);
  }
}

async function expectConstantMemory(store: BlobStore, size: number): Promise<void> {
  // Warm-up: loads code paths and sockets so the baseline is not measured cold.
  await store.put('warm-up');
  const gen = generatedStream(size);
  const { result, growth } = await peakRssGrowth(() => store.put(gen.stream));
  expect(result).toEqual({ sha256: gen.sha256(), size });
  expect(growth, `RSS grew by ${(growth / MiB).toFixed(0)} MiB`).toBeLessThan(MAX_GROWTH);
  await store.delete(result.sha256);
}

describe('put() streams in constant memory', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let root: string;
  beforeAll(async () => {
    [s3, root] = await Promise.all([startS3rver(), tempDir('stream')]);
  });
  afterAll(async () => {
    await s3?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('fs: 512 MiB', async () => {
    const store = new FsBlobStore(root);
    await expectConstantMemory(store, 512 * MiB);
    await store.close();
  }, 120_000);

  it('s3: 512 MiB through s3rver', async () => {
    const store = new S3BlobStore(s3.location('stream'));
    await expectConstantMemory(store, 512 * MiB);
    await store.close();
  }, 120_000);
});
