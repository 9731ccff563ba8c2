import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBlobStore, FsBlobStore, S3BlobStore } from '../../src/artifacts/index.js';
import { copyPartRanges } from '../../src/artifacts/s3.js';
import type { BlobInfo, BlobStore } from '../../src/artifacts/store.js';
import { digestStream, generatedStream, sha256Of, startS3rver, tempDir } from './helpers.js';

const MiB = 1024 * 1024;

interface Harness {
  store: BlobStore;
  /** Anything the backend stored outside sha256/: staging files, temp objects, stray keys. */
  leftovers(): Promise<string[]>;
  dispose(): Promise<void>;
}

let s3: Awaited<ReturnType<typeof startS3rver>>;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

const backends: { name: 'fs' | 's3'; open(): Promise<Harness> }[] = [
  {
    name: 'fs',
    async open() {
      const root = await tempDir('blobs');
      return {
        store: new FsBlobStore(root),
        leftovers: async () => (await readdir(path.join(root, 'tmp')).catch(() => [])).map((f) => `tmp/${f}`),
        dispose: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    async open() {
      // A fresh prefix per test isolates tests sharing one server.
      const prefix = `t-${randomUUID()}`;
      return {
        store: new S3BlobStore(s3.location(prefix)),
        leftovers: async () =>
          (await s3.rawKeys(`${prefix}/`)).filter((k) => !k.startsWith(`${prefix}/sha256/`)),
        dispose: async () => {},
      };
    },
  },
];

const all = async (store: BlobStore): Promise<BlobInfo[]> => {
  const out: BlobInfo[] = [];
  for await (const info of store.list()) out.push(info);
  return out.sort((a, b) => a.sha256.localeCompare(b.sha256));
};

const bytesOf = async (store: BlobStore, sha256: string): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(sha256)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

describe.each(backends.map((b) => [b.name, b] as const))('%s blob store', (_name, backend) => {
  let h: Harness;
  beforeEach(async () => {
    h = await backend.open();
  });
  afterEach(async () => {
    await h.store.close();
    await h.dispose();
  });

  it('names a blob by its sha256 and round-trips its bytes, whatever the source type', async () => {
    const data = randomBytes(100_000);
    async function* chunks(): AsyncIterable<Uint8Array> {
      yield data.subarray(0, 1000);
      yield data.subarray(1000);
    }
    const sources = [data, Readable.from([data.subarray(0, 7), data.subarray(7)]), chunks()];
    for (const source of sources) {
      expect(await h.store.put(source)).toEqual({ sha256: sha256Of(data), size: data.length });
    }
    expect(await bytesOf(h.store, sha256Of(data))).toEqual(data);

    const text = 'héllo, keel';
    const info = await h.store.put(text);
    expect(info).toEqual({ sha256: sha256Of(text), size: Buffer.byteLength(text) });
    expect((await bytesOf(h.store, info.sha256)).toString('utf8')).toBe(text);
    expect(await h.store.head(info.sha256)).toEqual(info);
  });

  it('stores an empty blob', async () => {
    const info = await h.store.put(new Uint8Array(0));
    expect(info).toEqual({ sha256: sha256Of(''), size: 0 });
    expect((await bytesOf(h.store, info.sha256)).length).toBe(0);
  });

  it('dedupes: the same content stored twice (or concurrently) is one blob', async () => {
    const data = randomBytes(4096);
    await h.store.put(data);
    await Promise.all([h.store.put(data), h.store.put(Buffer.from(data)), h.store.put(data)]);
    expect(await all(h.store)).toEqual([{ sha256: sha256Of(data), size: 4096 }]);
    expect(await h.leftovers()).toEqual([]);
  });

  it('accepts a matching expectedSha256', async () => {
    const info = await h.store.put('abc', { expectedSha256: sha256Of('abc') });
    expect(info.sha256).toBe(sha256Of('abc'));
  });

  it('rejects an expectedSha256 mismatch and stores nothing', async () => {
    await h.store.put('kept');
    const before = await all(h.store);
    await expect(h.store.put('other bytes', { expectedSha256: sha256Of('not these') })).rejects.toMatchObject(
      {
        code: 'INVALID_PARAMETER_VALUE',
      },
    );
    expect(await all(h.store)).toEqual(before);
    expect(await h.leftovers()).toEqual([]);
  });

  it.each([
    ['early', 0, 10 * 1024],
    ['after several parts', 17 * MiB, 40 * MiB],
  ])('leaves nothing behind when the source stream fails %s', async (_label, failAfter, size) => {
    const { stream } = generatedStream(size, { failAfter });
    await expect(h.store.put(stream)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await all(h.store)).toEqual([]);
    expect(await h.leftovers()).toEqual([]);
  });

  it('reports a missing blob', async () => {
    const missing = sha256Of('never stored');
    await expect(h.store.get(missing)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await h.store.head(missing)).toBeNull();
  });

  it('rejects hashes that are not 64 lowercase hex characters', async () => {
    for (const bad of ['../../etc/passwd', sha256Of('x').toUpperCase(), 'abc', `${sha256Of('x')}/`]) {
      await expect(h.store.get(bad)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(h.store.head(bad)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(h.store.delete(bad)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(h.store.put('x', { expectedSha256: bad })).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
      });
    }
  });

  it('deletes: true when present, then false', async () => {
    const { sha256 } = await h.store.put('to delete');
    expect(await h.store.delete(sha256)).toBe(true);
    expect(await h.store.delete(sha256)).toBe(false);
    await expect(h.store.get(sha256)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await all(h.store)).toEqual([]);
  });

  it('lists every blob with its size', async () => {
    const blobs = ['a', 'bb', 'ccc'].map((s) => ({ sha256: sha256Of(s), size: s.length }));
    for (const s of ['a', 'bb', 'ccc']) await h.store.put(s);
    expect(await all(h.store)).toEqual(blobs.sort((a, b) => a.sha256.localeCompare(b.sha256)));
  });

  it('round-trips a 20 MiB stream (multipart on S3: 8 MiB parts)', async () => {
    const gen = generatedStream(20 * MiB);
    const info = await h.store.put(gen.stream);
    expect(info).toEqual({ sha256: gen.sha256(), size: 20 * MiB });
    expect(await digestStream(await h.store.get(info.sha256))).toEqual(info);
    expect(await h.leftovers()).toEqual([]);
  });
});

describe('fs blob store layout', () => {
  it('stores blobs at <root>/sha256/ab/cd/<hash> and ignores stray files when listing', async () => {
    const root = await tempDir('layout');
    const store = new FsBlobStore(root);
    try {
      const { sha256 } = await store.put('layout');
      const dir = path.join(root, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4));
      expect(await readdir(dir)).toEqual([sha256]);
      await writeFile(path.join(dir, 'stray.txt'), 'x');
      await writeFile(path.join(root, 'sha256', 'README'), 'x');
      expect((await all(store)).map((b) => b.sha256)).toEqual([sha256]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('s3 blob store layout', () => {
  it('keys blobs <prefix>/sha256/ab/cd/<hash>, with no leading slash when the prefix is empty', async () => {
    for (const prefix of ['', 'nested/prefix']) {
      const store = new S3BlobStore(s3.location(prefix));
      const content = `layout ${prefix}`;
      const { sha256 } = await store.put(content);
      const key = ['sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256].join('/');
      expect(await s3.rawKeys(prefix ? `${prefix}/sha256/` : 'sha256/')).toEqual([
        prefix ? `${prefix}/${key}` : key,
      ]);
      expect(await store.delete(sha256)).toBe(true);
      await store.close();
    }
  });

  it('splits a multipart copy into inclusive ranges within the 10,000-part limit', () => {
    expect(copyPartRanges(10, 4)).toEqual([
      { partNumber: 1, start: 0, end: 3 },
      { partNumber: 2, start: 4, end: 7 },
      { partNumber: 3, start: 8, end: 9 },
    ]);
    const fiveTiB = 5 * 1024 ** 4;
    const ranges = copyPartRanges(fiveTiB);
    expect(ranges.length).toBeLessThanOrEqual(10_000);
    expect(ranges.at(-1)?.end).toBe(fiveTiB - 1);
  });
});

describe('storage failures', () => {
  it('fs: reports INTERNAL_ERROR, not the caller, when the root cannot be written', async () => {
    const dir = await tempDir('broken');
    const root = path.join(dir, 'file');
    await writeFile(root, 'not a folder');
    const store = new FsBlobStore(root);
    try {
      await expect(store.put('x')).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
      await expect(store.get(sha256Of('x'))).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('s3: a missing bucket is INTERNAL_ERROR, not a missing blob', async () => {
    const store = new S3BlobStore({ ...s3.location(''), bucket: 'no-such-bucket' });
    await expect(store.put('x')).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await expect(store.get(sha256Of('x'))).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await store.close();
  });
});

describe('createBlobStore', () => {
  it('builds the backend the config names', async () => {
    const fs = createBlobStore({ kind: 'fs', root: '/tmp/keel-factory' });
    expect([fs.kind, fs.location]).toEqual(['fs', '/tmp/keel-factory']);
    const s3store = createBlobStore({ kind: 's3', ...s3.location('p') });
    expect([s3store.kind, s3store.location]).toEqual(['s3', 's3://keel-test/p']);
    await Promise.all([fs.close(), s3store.close()]);
  });
});
