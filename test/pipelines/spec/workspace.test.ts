import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKeelError } from '../../../src/core/errors.js';
import { checkWorkspace, nextScheduleTime, workspaceDeps } from '../../../src/pipelines/spec/index.js';
import { pipeline } from './helpers.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-ws-'));
  fs.mkdirSync(path.join(root, 'data/raw'), { recursive: true });
  fs.writeFileSync(path.join(root, 'data/raw/a.csv'), 'x\n1\n');
  fs.writeFileSync(path.join(root, 'prepare.py'), 'print(1)\n');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const spec = pipeline(`      prepare:
        cmd: python prepare.py
        deps: [prepare.py, data/raw/]
        outs: [data/prepared.csv]
      features:
        cmd: python features.py
        deps: [data/, data/prepared.csv]
        outs: [features/]
      train:
        cmd: python train.py
        deps: [features/train.csv, config.yaml]
`);

describe('workspace deps', () => {
  it('hashes deps no step produces; a dep holding outs may be missing and skips them', () => {
    expect(workspaceDeps(spec)).toEqual({
      paths: ['prepare.py', 'data/raw/', 'data/', 'config.yaml'],
      allowMissing: ['data/'],
      exclude: ['data/prepared.csv'],
    });
  });

  it('names every dep neither produced by a step nor present', async () => {
    let err: unknown;
    try {
      await checkWorkspace(spec, root);
    } catch (e) {
      err = e;
    }
    expect(isKeelError(err) && err.code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toBe(
      `pipeline 'p' (workspace ${root}): dep 'config.yaml' of step 'train' (keel.yaml:12) is neither produced by a step nor present in the workspace`,
    );
    fs.writeFileSync(path.join(root, 'config.yaml'), 'a: 1\n');
    await expect(checkWorkspace(spec, root)).resolves.toBeUndefined();
  });

  it('refuses a dir/ dep that is a file', async () => {
    const s = pipeline('      a: { cmd: "true", deps: [prepare.py/] }\n');
    await expect(checkWorkspace(s, root)).rejects.toThrow(
      /dep 'prepare\.py\/' of step 'a' \(keel\.yaml:4\) is not a directory/,
    );
  });
});

describe('nextScheduleTime', () => {
  it('fires at the local time in the timezone, across a DST change', () => {
    const t = { kind: 'schedule' as const, schedule: '0 3 * * *', timezone: 'Europe/Paris' };
    // 28 March 2026 is CET (UTC+1); the clocks go forward on the 29th (CEST, UTC+2).
    expect(nextScheduleTime(t, new Date('2026-03-28T00:00:00Z')).toISOString()).toBe(
      '2026-03-28T02:00:00.000Z',
    );
    expect(nextScheduleTime(t, new Date('2026-03-28T02:00:00Z')).toISOString()).toBe(
      '2026-03-29T01:00:00.000Z',
    );
  });
});
