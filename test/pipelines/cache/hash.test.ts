import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKeelError } from '../../../src/core/errors.js';
import { hashWorkspace, StateDb } from '../../../src/pipelines/cache/index.js';
import { age, sha, tempDir, writeTree } from './helpers.js';

let root: string;
let statePath: string;
const FILES = {
  'prepare.py': 'print("prepare")\n',
  'data/raw/a.csv': 'x,y\n1,2\n',
  'data/raw/b.csv': 'x,y\n3,4\n',
  'data/raw/nested/c.csv': 'x,y\n5,6\n',
};
beforeEach(() => {
  root = tempDir('ws');
  statePath = path.join(root, '.keel', 'state.db');
  writeTree(root, FILES);
  age(root, Object.keys(FILES));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const hash = (paths = ['prepare.py', 'data/raw/'], opts = {}) =>
  hashWorkspace(root, paths, { statePath, workers: 0, ...opts });

describe('hashWorkspace', () => {
  it('expands directories into their files, with sha256 and size', async () => {
    const r = await hash();
    expect(r.manifest).toEqual(
      Object.fromEntries(
        Object.entries(FILES)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([p, c]) => [p, { sha256: sha(c), size: Buffer.byteLength(c) }]),
      ),
    );
    expect(Object.keys(r.dirs)).toEqual(['data/raw/']);
  });

  it('gives a directory the digest sha256sum gives its sorted listing (like a DVC .dir)', async () => {
    const { dirs } = await hash();
    const listing = execFileSync(
      'sh',
      ['-c', "find . -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum"],
      { cwd: path.join(root, 'data/raw'), encoding: 'utf8' },
    );
    expect(dirs['data/raw/']).toEqual({ sha256: listing.slice(0, 64), size: 24, files: 3 });
  });

  it('keeps a directory digest when the directory moves, and changes it when a name changes', async () => {
    const before = (await hash(['data/raw/'])).dirs['data/raw/']!.sha256;
    fs.renameSync(path.join(root, 'data/raw'), path.join(root, 'data/moved'));
    expect((await hash(['data/moved'])).dirs['data/moved/']!.sha256).toBe(before);
    fs.renameSync(path.join(root, 'data/moved/a.csv'), path.join(root, 'data/moved/z.csv'));
    expect((await hash(['data/moved'])).dirs['data/moved/']!.sha256).not.toBe(before);
  });

  it('answers unchanged files from the state cache without reading them', async () => {
    const first = await hash();
    expect([first.hashed, first.cached]).toEqual([4, 0]);
    const second = await hash();
    expect([second.hashed, second.cached]).toEqual([0, 4]);
    expect(second.manifest).toEqual(first.manifest);

    // New content, same size, same mtime, same inode: the state is trusted, so the old hash comes back.
    const file = path.join(root, 'data/raw/a.csv');
    const { atime, mtime } = fs.statSync(file);
    fs.writeFileSync(file, 'x,y\n9,9\n');
    fs.utimesSync(file, atime, mtime);
    const trusted = await hash();
    expect(trusted.hashed).toBe(0);
    expect(trusted.manifest['data/raw/a.csv']!.sha256).toBe(sha(FILES['data/raw/a.csv']));

    // Touching the mtime makes it read again.
    age(root, ['data/raw/a.csv'], 1800);
    const touched = await hash();
    expect([touched.hashed, touched.cached]).toEqual([1, 3]);
    expect(touched.manifest['data/raw/a.csv']!.sha256).toBe(sha('x,y\n9,9\n'));
  });

  it('rehashes a file replaced by another inode with the same size and mtime', async () => {
    await hash();
    const file = path.join(root, 'prepare.py');
    const { atime, mtime } = fs.statSync(file);
    fs.writeFileSync(`${file}.new`, 'print("PREPARE")\n');
    fs.utimesSync(`${file}.new`, atime, mtime);
    fs.renameSync(`${file}.new`, file);
    const r = await hash();
    expect(r.hashed).toBe(1);
    expect(r.manifest['prepare.py']!.sha256).toBe(sha('print("PREPARE")\n'));
  });

  it('does not remember files modified in the last moments (racily clean)', async () => {
    writeTree(root, { 'data/raw/fresh.csv': 'new\n' });
    expect((await hash()).hashed).toBe(5);
    expect((await hash()).hashed).toBe(1);
  });

  it('forgets files that are gone', async () => {
    await hash();
    fs.rmSync(path.join(root, 'data/raw/nested'), { recursive: true });
    const r = await hash();
    expect(Object.keys(r.manifest)).toEqual(['data/raw/a.csv', 'data/raw/b.csv', 'prepare.py']);
    const state = StateDb.open(statePath);
    try {
      expect(
        [...state.within(path.join(root, 'data/raw')).keys()].map((p) => path.relative(root, p)),
      ).toEqual(['data/raw/a.csv', 'data/raw/b.csv']);
    } finally {
      state.close();
    }
  });

  it('starts afresh from a damaged state file', async () => {
    fs.mkdirSync(path.dirname(statePath), { recursive: true });
    fs.writeFileSync(statePath, 'this is not a database, just some bytes to make it look like a file');
    const r = await hash();
    expect(r.hashed).toBe(4);
    expect((await hash()).cached).toBe(4);
  });

  it('follows a symlinked file inside a directory', async () => {
    fs.symlinkSync(path.join(root, 'prepare.py'), path.join(root, 'data/raw/link.py'));
    const r = await hash(['data/raw']);
    expect(r.manifest['data/raw/link.py']!.sha256).toBe(sha(FILES['prepare.py']));
  });

  it('skips excluded paths and allowed-missing ones', async () => {
    writeTree(root, { 'data/prepared.csv': 'stale\n' });
    const r = await hash(['data/', 'gen/'], { allowMissing: ['gen/'], exclude: ['data/prepared.csv'] });
    expect(Object.keys(r.manifest)).toEqual(['data/raw/a.csv', 'data/raw/b.csv', 'data/raw/nested/c.csv']);
  });

  it('names a missing path, a file marked as a directory, and a path outside the workspace', async () => {
    const fail = async (paths: string[]) => {
      try {
        await hash(paths);
      } catch (e) {
        return [isKeelError(e) && e.code, (e as Error).message];
      }
      throw new Error('expected an error');
    };
    expect(await fail(['nope.csv'])).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      `'nope.csv' does not exist in the workspace (${root})`,
    ]);
    expect(await fail(['prepare.py/'])).toEqual([
      'INVALID_PARAMETER_VALUE',
      "'prepare.py/' is declared as a directory but is a file",
    ]);
    expect(await fail(['../etc'])).toEqual([
      'INVALID_PARAMETER_VALUE',
      "workspace path '../etc' escapes the workspace (../)",
    ]);
  });
});
