import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../../src/artifacts/fs.js';
import { isKeelError } from '../../../src/core/errors.js';
import {
  collectOutputs,
  hashWorkspace,
  materialise,
  uploadManifest,
} from '../../../src/pipelines/cache/index.js';
import { age, sha, tempDir, writeTree } from './helpers.js';

let dir: string;
let blobs: FsBlobStore;
beforeEach(() => {
  dir = tempDir('blobs');
  blobs = new FsBlobStore(path.join(dir, 'store'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const countBlobs = async (): Promise<number> => {
  let n = 0;
  for await (const _ of blobs.list()) n++;
  return n;
};
const errorOf = async (p: Promise<unknown>): Promise<[unknown, string]> => {
  try {
    await p;
  } catch (e) {
    return [isKeelError(e) && e.code, (e as Error).message];
  }
  throw new Error('expected an error');
};

describe('uploadManifest', () => {
  it('stores only the blobs the store lacks, identical files once', async () => {
    const ws = path.join(dir, 'ws');
    writeTree(ws, { 'a.csv': 'same\n', 'copy/a.csv': 'same\n', 'b.csv': 'other\n' });
    age(ws, ['a.csv', 'copy/a.csv', 'b.csv']);
    const { manifest } = await hashWorkspace(ws, ['a.csv', 'b.csv', 'copy/'], {
      statePath: path.join(ws, '.keel/state.db'),
      workers: 0,
    });
    expect(await uploadManifest(blobs, ws, manifest)).toEqual({ uploaded: 2, bytes: 11, present: 0 });
    expect(await countBlobs()).toBe(2);
    expect(await uploadManifest(blobs, ws, manifest)).toEqual({ uploaded: 0, bytes: 0, present: 2 });
  });

  it('refuses a file changed since it was hashed, storing nothing for it', async () => {
    const ws = path.join(dir, 'ws');
    writeTree(ws, { 'a.csv': 'before\n' });
    const manifest = { 'a.csv': { sha256: sha('before\n'), size: 7 } };
    fs.writeFileSync(path.join(ws, 'a.csv'), 'after!\n');
    expect(await errorOf(uploadManifest(blobs, ws, manifest))).toEqual([
      'INVALID_PARAMETER_VALUE',
      "'a.csv' changed after it was hashed: hash the workspace again",
    ]);
    expect(await countBlobs()).toBe(0);
    fs.rmSync(path.join(ws, 'a.csv'));
    expect(await errorOf(uploadManifest(blobs, ws, manifest))).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      "'a.csv' no longer exists",
    ]);
  });
});

describe('materialise and collectOutputs', () => {
  it('round-trips a step: inputs into a work dir, outs back into the store, and out again', async () => {
    const a = await blobs.put('a\n');
    const b = await blobs.put('bb\n');
    const inputs = { 'prepare.py': a, 'data/raw/x/b.csv': b };
    const work = path.join(dir, 'work');
    expect(await materialise(blobs, inputs, work)).toEqual({ files: 2, bytes: 5 });
    expect(fs.readFileSync(path.join(work, 'data/raw/x/b.csv'), 'utf8')).toBe('bb\n');

    // The "command": writes a file out and a directory out.
    writeTree(work, {
      'model.bin': Buffer.from([0, 1, 2, 255]),
      'reports/r.html': '<p>ok</p>',
      'reports/img/p.png': 'png',
    });
    const outs = await collectOutputs(blobs, work, ['model.bin', 'reports/']);
    expect(outs).toEqual({
      'model.bin': { sha256: sha(Buffer.from([0, 1, 2, 255])), size: 4 },
      'reports/img/p.png': { sha256: sha('png'), size: 3 },
      'reports/r.html': { sha256: sha('<p>ok</p>'), size: 9 },
    });
    for (const e of Object.values(outs)) expect(await blobs.head(e.sha256)).toEqual(e);

    const next = path.join(dir, 'next');
    await materialise(blobs, outs, next);
    expect(fs.readFileSync(path.join(next, 'model.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(fs.readFileSync(path.join(next, 'reports/img/p.png'), 'utf8')).toBe('png');
  });

  it('names every declared out the command did not produce, and stores nothing', async () => {
    const work = path.join(dir, 'work');
    writeTree(work, { 'model.bin': 'm' });
    expect(await errorOf(collectOutputs(blobs, work, ['model.bin', 'eval.json', 'plots/']))).toEqual([
      'INVALID_PARAMETER_VALUE',
      "the step did not produce its declared outs 'eval.json', 'plots/'",
    ]);
    expect(await countBlobs()).toBe(0);
  });

  it('refuses a directory out that is a file', async () => {
    const work = path.join(dir, 'work');
    writeTree(work, { plots: 'not a dir' });
    expect((await errorOf(collectOutputs(blobs, work, ['plots/'])))[1]).toBe(
      "out 'plots/' is declared as a directory but the step wrote a file",
    );
  });

  it('refuses manifest paths that would leave the work dir, and names a missing blob', async () => {
    const e = await blobs.put('x');
    const work = path.join(dir, 'work');
    expect((await errorOf(materialise(blobs, { '../evil': e }, work)))[1]).toMatch(
      /manifest path '\.\.\/evil'/,
    );
    expect((await errorOf(materialise(blobs, { '/etc/x': e }, work)))[1]).toMatch(/manifest path '\/etc\/x'/);
    expect(fs.existsSync(path.join(dir, 'evil'))).toBe(false);
    const missing = { sha256: sha('never stored'), size: 12 };
    expect(await errorOf(materialise(blobs, { 'a.txt': missing }, work))).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      `'a.txt': blob ${missing.sha256} is not in the store`,
    ]);
  });
});
