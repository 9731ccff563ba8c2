import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../../src/core/errors.js';
import { manifestCovers, stepInputs } from '../../../src/pipelines/cache/index.js';
import { pipeline } from '../spec/helpers.js';
import { sha } from './helpers.js';

const spec = pipeline(`      prepare:
        cmd: python prepare.py
        deps: [prepare.py, data/raw/]
        outs: [data/prepared.csv]
      features:
        cmd: python features.py
        deps: [data/]
        outs: [features/]
      train:
        cmd: python train.py
        deps: [features/train.csv, config.yaml]
`);
const entry = (s: string) => ({ sha256: sha(s), size: s.length });
const workspace = {
  'prepare.py': entry('p'),
  'config.yaml': entry('c'),
  'data/raw/a.csv': entry('a'),
  // A stale copy of prepare's out left in the workspace: never an input.
  'data/prepared.csv': entry('stale'),
  'unrelated.txt': entry('u'),
};

describe('stepInputs', () => {
  it('takes workspace files under the deps, and upstream outs instead of stale workspace copies', () => {
    expect(stepInputs(spec, 'prepare', workspace, {})).toEqual({
      'data/raw/a.csv': entry('a'),
      'prepare.py': entry('p'),
    });
    const outputs = { prepare: { 'data/prepared.csv': entry('fresh') } };
    expect(stepInputs(spec, 'features', workspace, outputs)).toEqual({
      'data/prepared.csv': entry('fresh'),
      'data/raw/a.csv': entry('a'),
    });
  });

  it('takes only the part of an upstream directory out that the dep names', () => {
    const outputs = { features: { 'features/train.csv': entry('t'), 'features/test.csv': entry('s') } };
    expect(stepInputs(spec, 'train', workspace, outputs)).toEqual({
      'config.yaml': entry('c'),
      'features/train.csv': entry('t'),
    });
  });

  it('refuses a step whose upstream outputs are not there, and a dep found nowhere', () => {
    let err: unknown;
    try {
      stepInputs(spec, 'train', workspace, {});
    } catch (e) {
      err = e;
    }
    expect(isKeelError(err) && err.code).toBe('INVALID_STATE');
    expect((err as Error).message).toBe(
      "step 'train' needs step 'features''s outputs (dep 'features/train.csv'), which are not there",
    );
    expect(() => stepInputs(spec, 'train', { 'prepare.py': entry('p') }, { features: {} })).toThrow(
      "step 'train': dep 'config.yaml' is neither produced by a step nor in the workspace manifest",
    );
  });
});

describe('manifestCovers', () => {
  it('lists the workspace deps a manifest lacks', () => {
    expect(manifestCovers(spec, workspace)).toEqual([]);
    expect(manifestCovers(spec, { 'prepare.py': entry('p') })).toEqual(['data/raw/', 'config.yaml']);
  });
});
