import { randomUUID } from 'node:crypto';
import { createWriteStream, type Stats, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParam, notFound } from '../core/errors.js';
import {
  blobSegments,
  checkSha256,
  isSha256,
  putError,
  Sha256Meter,
  SourceWatch,
  storageError,
  toReadable,
} from './source.js';
import type { BlobInfo, BlobSource, BlobStore } from './store.js';

const isCode = (e: unknown, code: string): boolean => (e as { code?: unknown } | null)?.code === code;

/** Content-addressed blobs in a local folder: <root>/sha256/ab/cd/<hash>, staged in <root>/tmp/. */
export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;
  readonly location: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.location = path.resolve(root);
    this.tmpDir = path.join(this.location, 'tmp');
  }

  /** Streams into a temp file while hashing, then renames it under its hash. */
  async put(source: BlobSource, opts: { expectedSha256?: string } = {}): Promise<BlobInfo> {
    const expected =
      opts.expectedSha256 === undefined ? undefined : checkSha256(opts.expectedSha256, 'expectedSha256');
    const src = toReadable(source);
    const watch = new SourceWatch(src);
    const tmp = path.join(this.tmpDir, randomUUID());
    let out: WriteStream | undefined;
    try {
      await mkdir(this.tmpDir, { recursive: true });
      const meter = new Sha256Meter();
      // flush: fsync before close, so a crash after the rename cannot leave a blob whose bytes do
      // not match its name. (FileHandle.sync() would need autoClose off, and then close() hangs.)
      out = createWriteStream(tmp, { flags: 'wx', flush: true });
      out.once('error', () => watch.storageFailed());
      await pipeline(src, meter, out);
      const info = meter.info();
      if (expected !== undefined && info.sha256 !== expected) {
        throw invalidParam(`content sha256 is ${info.sha256}, expected ${expected}`, 'expectedSha256');
      }
      const target = this.blobPath(info.sha256);
      if (!(await statOrNull(target))) {
        await mkdir(path.dirname(target), { recursive: true });
        await rename(tmp, target);
        await syncDir(path.dirname(target));
      }
      return info;
    } catch (e) {
      src.destroy();
      throw putError(e, watch);
    } finally {
      // pipeline() can reject while the file is still being opened; removing it before then would
      // let the open recreate it afterwards and leak it.
      if (out) await closed(out);
      // After a successful rename there is nothing left to remove; force ignores that.
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  /** Opens the blob for reading; rejects with RESOURCE_DOES_NOT_EXIST if absent. */
  async get(sha256: string): Promise<Readable> {
    const file = this.blobPath(checkSha256(sha256));
    try {
      // Opening eagerly turns a missing blob into a rejection here, not a stream error later.
      const handle = await open(file, 'r');
      return handle.createReadStream();
    } catch (e) {
      if (isCode(e, 'ENOENT')) throw notFound(`blob ${sha256} does not exist`);
      throw storageError('read blob', e);
    }
  }

  /** Size of the blob, or null if absent. */
  async head(sha256: string): Promise<BlobInfo | null> {
    const st = await statOrNull(this.blobPath(checkSha256(sha256)));
    return st?.isFile() ? { sha256, size: st.size } : null;
  }

  /** Walks sha256/ab/cd/, skipping anything that is not a well-placed blob. */
  async *list(): AsyncIterable<BlobInfo> {
    const base = path.join(this.location, 'sha256');
    for (const a of await listDir(base)) {
      for (const b of await listDir(path.join(base, a))) {
        for (const name of await listDir(path.join(base, a, b))) {
          if (!isSha256(name) || name.slice(0, 2) !== a || name.slice(2, 4) !== b) continue;
          const st = await statOrNull(path.join(base, a, b, name));
          if (st?.isFile()) yield { sha256: name, size: st.size };
        }
      }
    }
  }

  /** Removes the blob; false if it was not there. Empty fan-out folders are kept: removing them would race concurrent puts. */
  async delete(sha256: string): Promise<boolean> {
    try {
      await unlink(this.blobPath(checkSha256(sha256)));
      return true;
    } catch (e) {
      if (isCode(e, 'ENOENT')) return false;
      throw storageError('delete blob', e);
    }
  }

  /** Nothing to release: every handle is scoped to a call. */
  async close(): Promise<void> {}

  private blobPath(sha256: string): string {
    return path.join(this.location, ...blobSegments(sha256));
  }
}

async function statOrNull(file: string): Promise<Stats | null> {
  try {
    return await stat(file);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return null;
    throw storageError('stat blob', e);
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) return [];
    throw storageError('list blobs', e);
  }
}

const closed = (stream: WriteStream): Promise<void> =>
  new Promise((resolve) => (stream.closed ? resolve() : stream.once('close', () => resolve())));

/** Makes the rename durable. Skipped on Windows, where a directory cannot be opened for fsync. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
