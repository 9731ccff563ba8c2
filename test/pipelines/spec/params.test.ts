import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../../src/core/errors.js';
import { parseParamArgs, resolveParams } from '../../../src/pipelines/spec/index.js';
import { errorOf, pipeline } from './helpers.js';

const { params } = pipeline(
  '      a: { cmd: "true" }\n',
  `    params:
      trees: 100
      lr: 0.1
      early: false
      window: 30d
      trainer: { default: gbdt, enum: [gbdt, linear] }
      depth: { type: integer, default: 4, enum: [2, 4, 8] }
`,
);

describe('parseParamArgs', () => {
  it('types each value by the declared param', () => {
    expect(
      parseParamArgs(
        ['trees=250', 'lr=1e-3', 'early=true', 'window=7d', 'trainer=linear', 'depth=8'],
        params,
      ),
    ).toEqual({ trees: 250, lr: 0.001, early: true, window: '7d', trainer: 'linear', depth: 8 });
  });

  it('keeps everything after the first = in a string, and an integer is a fine number', () => {
    expect(parseParamArgs(['window=a=b', 'lr=2'], params)).toEqual({ window: 'a=b', lr: 2 });
  });

  it('returns only what was given', () => {
    expect(parseParamArgs([], params)).toEqual({});
  });

  it.each([
    [
      ['tres=5'],
      /--param tres=5: unknown param 'tres' \(declared: depth, early, lr, trainer, trees, window\)/,
    ],
    [['trees=abc'], /--param trees=abc: param 'trees' is an integer \(default 100\), got "abc"/],
    [['trees=2.5'], /param 'trees' is an integer/],
    [['lr='], /--param lr=: param 'lr' is a number \(default 0\.1\), got ""/],
    [['lr=0x10'], /param 'lr' is a number/],
    [['early=yes'], /param 'early' is a boolean \(true or false\) \(default false\), got "yes"/],
    [
      ['trainer=forest'],
      /--param trainer=forest: param 'trainer' must be one of "gbdt", "linear", got "forest"/,
    ],
    [['depth=3'], /param 'depth' must be one of 2, 4, 8, got 3/],
    [['trees'], /--param trees: expected name=value/],
    [['trees=1', 'trees=2'], /--param trees=2: param 'trees' is given twice/],
  ])('%j is refused', (args, message) => {
    let err: unknown;
    try {
      parseParamArgs(args, params);
    } catch (e) {
      err = e;
    }
    expect(isKeelError(err) && err.code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toMatch(message);
  });

  it('names the param in the error field', () => {
    try {
      parseParamArgs(['trees=x'], params);
    } catch (e) {
      expect(isKeelError(e) && e.details).toEqual({ field: 'trees' });
    }
  });
});

describe('resolveParams', () => {
  it('fills defaults and takes typed values or text', () => {
    expect(resolveParams(params, { trees: 5, early: 'true' })).toEqual({
      trees: 5,
      lr: 0.1,
      early: true,
      window: '30d',
      trainer: 'gbdt',
      depth: 4,
    });
  });

  it('refuses unknown names and values of the wrong type', () => {
    expect(errorOf(() => resolveParams(params, { nope: 1 }))).toMatch(/unknown param 'nope'/);
    expect(errorOf(() => resolveParams(params, { trees: true }))).toMatch(
      /param 'trees' is an integer.*got true/,
    );
    expect(errorOf(() => resolveParams(params, { window: 3 }))).toMatch(/param 'window' is a string.*got 3/);
  });
});
