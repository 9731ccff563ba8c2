import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The compiled modules (built by `npm test`'s pretest): only there do real worker threads run.
import * as distHashing from '../../dist/data/hashing/index.js';
import { workerUrl as distWorkerUrl, hashInWorkers, PoolFileError } from '../../dist/data/hashing/pool.js';
import { progressBar } from '../../src/cli/progress.js';
import { isKeelError } from '../../src/core/errors.js';
import { HashCache, hashCachePath, hashFiles, walkFiles } from '../../src/data/hashing/index.js';
import { workerUrl } from '../../src/data/hashing/pool.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-hashing-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
/** Deterministic pseudo-random bytes (xorshift32): a file's content depends on its seed and size only. */
const content = (seed: number, size: number): Buffer => {
  const b = Buffer.alloc(size);
  let x = (Math.imul(seed + 1, 2654435761) >>> 0) | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 255;
  }
  return b;
};
/** Writes `n` files of `size(i)` bytes under `root` (in subfolders of 100) and returns their paths. */
const makeTree = (root: string, n: number, size: (i: number) => number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const sub = path.join(root, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) fs.mkdirSync(sub, { recursive: true });
    const f = path.join(sub, `f${i}.bin`);
    fs.writeFileSync(f, content(i, size(i)));
    out.push(f);
  }
  return out;
};

describe('hashFiles (source, main thread)', () => {
  it('equals node crypto over the content: empty, small, and multi-chunk files', async () => {
    const files = {
      empty: Buffer.alloc(0),
      small: Buffer.from('hello\n'),
      big: content(7, 9 * 2 ** 20 + 123),
    };
    const paths = Object.entries(files).map(([name, b]) => {
      const f = path.join(dir, `${name}.bin`);
      fs.writeFileSync(f, b);
      return f;
    });
    const r = await hashFiles(paths);
    expect(r.threads).toBe(0);
    expect(r.hashed).toBe(3);
    for (const [i, b] of Object.values(files).entries())
      expect(r.get(paths[i]!)).toEqual({ sha256: sha(b), size: b.length });
    expect(r.get(paths[0]!)!.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('runs on the main thread from src/: there is no compiled worker next to the .ts module', () => {
    expect(workerUrl()).toBeNull();
    expect(distWorkerUrl()?.href).toMatch(/\/dist\/data\/hashing\/worker\.js$/);
  });

  it('reports progress up to the total', async () => {
    const paths = makeTree(path.join(dir, 'progress'), 5, (i) => (i + 1) * 3 * 2 ** 20);
    const total = paths.reduce((s, p) => s + fs.statSync(p).size, 0);
    const calls: [number, number][] = [];
    await hashFiles(paths, { onProgress: (d, t) => calls.push([d, t]) });
    expect(calls.length).toBeGreaterThan(5);
    expect(calls.at(-1)).toEqual([total, total]);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0]);
  });

  it('names a missing file (404) and refuses a directory (400)', async () => {
    const missing = path.join(dir, 'missing.bin');
    const e = await hashFiles([missing]).catch((err: unknown) => err);
    expect(isKeelError(e) && e.status === 404 && e.message === `${missing}: no such file`).toBe(true);
    const d = await hashFiles([dir]).catch((err: unknown) => err);
    expect(isKeelError(d) && d.status === 400 && d.message === `${dir}: not a regular file`).toBe(true);
  });
});

describe('hashFiles (dist, worker threads)', () => {
  it('hashes a directory of 300 small files on real workers', async () => {
    const root = path.join(dir, 'three-hundred');
    const paths = makeTree(root, 300, (i) => 1 + ((i * 7919) % 20_000));
    let last: [number, number] = [0, 0];
    const r = await distHashing.hashFiles(paths, { workers: 2, onProgress: (d, t) => (last = [d, t]) });
    expect(r.threads).toBe(2);
    expect(r.hashed).toBe(300);
    for (const p of paths) expect(r.get(p)!.sha256).toBe(sha(fs.readFileSync(p)));
    expect(last[0]).toBe(last[1]);
    expect(last[1]).toBe(paths.reduce((s, p) => s + fs.statSync(p).size, 0));
  });

  it('a worker failing on one file rejects with that file, and the pool stops', async () => {
    const url = distWorkerUrl()!;
    const ok = path.join(dir, 'small.bin');
    const paths = [ok, path.join(dir, 'gone.bin'), ok];
    const e = await hashInWorkers(url, paths, [0, 1, 2], 2, () => {}).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(PoolFileError);
    expect((e as PoolFileError).index).toBe(1);
    expect((e as PoolFileError).code).toBe('ENOENT');
  });

  it('the cache skips an unchanged directory of 10,000 files and re-hashes modified ones', async () => {
    const root = path.join(dir, 'ten-thousand');
    const dataDir = path.join(dir, 'data-dir');
    makeTree(root, 10_000, (i) => 16 + (i % 64));
    const rel = await walkFiles(root);
    expect(rel.length).toBe(10_000);
    const paths = rel.map((p) => path.join(root, p));

    const first = await distHashing.hashFiles(paths, {
      cache: await distHashing.HashCache.forDataDir(dataDir),
    });
    expect([first.hashed, first.cached]).toEqual([10_000, 0]);
    expect(fs.existsSync(hashCachePath(dataDir))).toBe(true);

    // A fresh process would load the cache from disk: so does this run. No file read, no worker started.
    const second = await distHashing.hashFiles(paths, {
      cache: await distHashing.HashCache.forDataDir(dataDir),
    });
    expect([second.hashed, second.cached, second.threads]).toEqual([0, 10_000, 0]);
    expect([...second.entries()]).toEqual([...first.entries()]);

    // One file grows; another keeps its size but gets new content and a new mtime.
    const grown = paths[10]!;
    const touched = paths[20]!;
    fs.appendFileSync(grown, 'more');
    const same = fs.readFileSync(touched);
    same[0] = (same[0]! + 1) % 256;
    fs.writeFileSync(touched, same);
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(touched, t, t);
    const third = await hashFiles(paths, { cache: await HashCache.forDataDir(dataDir) });
    expect([third.hashed, third.cached]).toEqual([2, 9_998]);
    expect(third.get(grown)!.sha256).toBe(sha(fs.readFileSync(grown)));
    expect(third.get(touched)!.sha256).toBe(sha(same));
    expect(third.get(touched)!.sha256).not.toBe(first.get(touched)!.sha256);
  }, 60_000);

  it('a damaged cache file is treated as empty', async () => {
    const f = path.join(dir, 'damaged', 'hashes.json');
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, '{"version":1,"entries":');
    expect((await HashCache.load(f)).size).toBe(0);
  });
});

describe('walkFiles', () => {
  it('lists regular files recursively, sorted, with / separators, without symlinks', async () => {
    const root = path.join(dir, 'walk');
    for (const p of ['b.txt', 'a/z.csv', 'a/b/c.parquet', 'A.md', 'a/b/.hidden']) {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      fs.writeFileSync(path.join(root, p), p);
    }
    fs.mkdirSync(path.join(root, 'empty'));
    fs.symlinkSync(path.join(root, 'b.txt'), path.join(root, 'link.txt'));
    expect(await walkFiles(root)).toEqual(['A.md', 'a/b/.hidden', 'a/b/c.parquet', 'a/z.csv', 'b.txt']);
  });
});

describe('progressBar', () => {
  const stream = (tty: boolean) => {
    const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
    s.isTTY = tty;
    s.columns = 100;
    let out = '';
    s.on('data', (c: Buffer) => {
      out += c.toString();
    });
    return { s: s as unknown as NodeJS.WriteStream, out: () => out };
  };

  it('draws nothing when the stream is not a TTY, or when the work ends quickly', () => {
    const pipe = stream(false);
    const a = progressBar('hash', 100, { unit: 'bytes', stream: pipe.s, delayMs: 0 });
    a.update(50);
    a.stop();
    expect(pipe.out()).toBe('');
    const tty = stream(true);
    const b = progressBar('hash', 100, { unit: 'files', stream: tty.s });
    b.update(100);
    b.stop();
    expect(tty.out()).toBe('');
  });

  it('draws on a TTY once the work lasts, with bytes in binary units', async () => {
    const tty = stream(true);
    const bar = progressBar('hash', 8 * 2 ** 20, { unit: 'bytes', stream: tty.s, delayMs: 0 });
    bar.update(2 ** 20);
    bar.update(8 * 2 ** 20);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(tty.out()).toContain('8.0 MiB/8.0 MiB');
    expect(tty.out()).toContain('hash');
  });
});
