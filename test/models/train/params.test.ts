import { describe, expect, it } from 'vitest';
import { KeelError } from '../../../src/core/errors.js';
import { GBDT_DEFAULTS } from '../../../src/models/train/gbdt/index.js';
import { PARAM_DEFAULTS, paramKeys, paramsRecord, parseParams } from '../../../src/models/train/index.js';

function errorOf(fn: () => unknown): KeelError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KeelError);
    expect((e as KeelError).code).toBe('INVALID_PARAMETER_VALUE');
    return e as KeelError;
  }
  throw new Error('expected an error');
}

describe('parseParams', () => {
  it('gives the defaults for no params (gbdt: the core defaults plus the pipeline ones)', () => {
    expect(parseParams('gbdt', undefined)).toEqual({
      ...GBDT_DEFAULTS,
      earlyStopping: 'auto',
      validationFraction: 0.1,
      seed: 0,
    });
    expect(parseParams('logistic', '')).toEqual({ l2: 1, maxIter: 500, tol: 1e-6, seed: 0 });
    expect(parseParams('linear', {})).toEqual({ l2: 0, seed: 0 });
  });

  it('parses the CLI string with aliases, case and dashes', () => {
    const p = parseParams(
      'gbdt',
      'lr=0.05, n_estimators=200,MAX_DEPTH=4,min-samples-leaf=5,l2_regularization=1.5',
    );
    expect(p).toMatchObject({ learningRate: 0.05, trees: 200, maxDepth: 4, minSamplesLeaf: 5, l2: 1.5 });
    expect(parseParams('gbdt', 'max_iter=7,learning_rate=1,depth=16').trees).toBe(7);
    expect(parseParams('gbdt', 'early_stopping=TRUE').earlyStopping).toBe(true);
    expect(parseParams('gbdt', 'early_stopping=false').earlyStopping).toBe(false);
    expect(
      parseParams('gbdt', 'early_stopping=auto,validation_fraction=0.2,n_iter_no_change=3'),
    ).toMatchObject({
      earlyStopping: 'auto',
      validationFraction: 0.2,
      nIterNoChange: 3,
    });
    expect(parseParams('logistic', { l2: '0.01', max_iter: '50', tol: '1e-8', seed: '9' })).toEqual({
      l2: 0.01,
      maxIter: 50,
      tol: 1e-8,
      seed: 9,
    });
    expect(parseParams('linear', 'alpha=2').l2).toBe(2);
  });

  it('takes the seed default from the caller unless the params set it', () => {
    expect(parseParams('linear', '', { seed: 5 }).seed).toBe(5);
    expect(parseParams('linear', 'seed=6', { seed: 5 }).seed).toBe(6);
  });

  it('rejects an unknown key, listing the valid ones', () => {
    const e = errorOf(() => parseParams('gbdt', 'lr=0.1,depht=3'));
    expect(e.message).toBe(
      "unknown gbdt parameter 'depht'; valid parameters: trees (n_estimators, max_iter), lr (learning_rate), " +
        'depth (max_depth), min_samples_leaf, max_bins, l2 (l2_regularization), min_gain_to_split, early_stopping, ' +
        'validation_fraction, n_iter_no_change, seed (random_state)',
    );
    expect(errorOf(() => parseParams('linear', 'trees=3')).message).toMatch(
      /^unknown linear parameter 'trees'; valid parameters: l2 \(alpha\), seed/,
    );
  });

  it.each([
    ['gbdt', 'lr=0', "gbdt parameter lr must be a number in (0, 1] (got '0')", 'lr'],
    ['gbdt', 'learning_rate=abc', "gbdt parameter lr must be a number in (0, 1] (got 'abc')", 'lr'],
    ['gbdt', 'trees=2.5', "gbdt parameter trees must be an integer in 1..100000 (got '2.5')", 'trees'],
    ['gbdt', 'depth=17', "gbdt parameter depth must be an integer in 1..16 (got '17')", 'depth'],
    ['gbdt', 'max_bins=256', "gbdt parameter max_bins must be an integer in 2..255 (got '256')", 'max_bins'],
    ['gbdt', 'l2=-1', "gbdt parameter l2 must be a number ≥ 0 (got '-1')", 'l2'],
    [
      'gbdt',
      'early_stopping=yes',
      "gbdt parameter early_stopping must be auto, true or false (got 'yes')",
      'early_stopping',
    ],
    [
      'gbdt',
      'validation_fraction=0.9',
      "gbdt parameter validation_fraction must be a number in (0, 0.5] (got '0.9')",
      'validation_fraction',
    ],
    ['logistic', 'tol=0', "logistic parameter tol must be a number in (0, 1] (got '0')", 'tol'],
    [
      'logistic',
      'max_iter=',
      "logistic parameter max_iter must be an integer in 1..1000000 (got '')",
      'max_iter',
    ],
    ['linear', 'seed=-1', "linear parameter seed must be an integer in 0..4294967295 (got '-1')", 'seed'],
  ] as const)('%s %s is rejected naming the key and range', (kind, input, message, field) => {
    const e = errorOf(() => parseParams(kind, input));
    expect(e.message).toBe(message);
    expect(e.details).toEqual({ field });
  });

  it('rejects a key given twice and a piece that is not key=value', () => {
    expect(errorOf(() => parseParams('gbdt', 'lr=0.1,learning_rate=0.2')).message).toBe(
      'gbdt parameter lr is given twice (as lr and learning_rate)',
    );
    expect(errorOf(() => parseParams('gbdt', 'lr=0.1,trees')).message).toMatch(
      /^parameter 'trees' is not key=value/,
    );
  });

  it('records parameters under their canonical keys', () => {
    const p = parseParams('gbdt', 'n_estimators=50');
    expect(paramsRecord('gbdt', p)).toEqual({
      trees: 50,
      lr: 0.1,
      depth: GBDT_DEFAULTS.maxDepth,
      min_samples_leaf: GBDT_DEFAULTS.minSamplesLeaf,
      max_bins: GBDT_DEFAULTS.maxBins,
      l2: GBDT_DEFAULTS.l2,
      early_stopping: 'auto',
      validation_fraction: 0.1,
      n_iter_no_change: GBDT_DEFAULTS.nIterNoChange,
      seed: 0,
    });
    // A record round-trips through parseParams (what `keel reproduce` does with a model's params).
    const rec = paramsRecord('logistic', PARAM_DEFAULTS.logistic);
    const strings = Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, String(v)]));
    expect(parseParams('logistic', strings)).toEqual(PARAM_DEFAULTS.logistic);
    expect(paramKeys('logistic')).toEqual(['l2 (alpha)', 'max_iter', 'tol', 'seed (random_state)']);
  });
});
