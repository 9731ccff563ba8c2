// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` references in plain strings are what these tests are about.
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../../src/core/errors.js';
import { shellQuote, substitute, substituteCommand } from '../../../src/pipelines/spec/index.js';
import { errorOf } from './helpers.js';

const ctx = {
  params: { trees: 100, lr: 0.5, early: true, window: '30d', note: "it's a b" },
  steps: { snapshot: { ref: 'loans@3', rows: 1200, empty: null } },
  trigger: { dataset: 'loans', version: 7 },
};

describe('substitute', () => {
  it('keeps the type of a value that is exactly one reference', () => {
    expect(substitute('${params.trees}', ctx)).toBe(100);
    expect(substitute('${ params.early }', ctx)).toBe(true);
    expect(substitute('${steps.snapshot.outputs.rows}', ctx)).toBe(1200);
    expect(substitute('${steps.snapshot.outputs.empty}', ctx)).toBeNull();
    expect(substitute('${trigger.version}', ctx)).toBe(7);
  });

  it('stringifies embedded references (null as empty)', () => {
    expect(substitute('trees=${params.trees},lr=${params.lr}', ctx)).toBe('trees=100,lr=0.5');
    expect(substitute('${trigger.dataset}@${trigger.version}', ctx)).toBe('loans@7');
    expect(substitute('[${steps.snapshot.outputs.empty}]', ctx)).toBe('[]');
  });

  it('walks objects and arrays without changing them, and leaves other ${…} alone', () => {
    const value = {
      data: '${steps.snapshot.outputs.ref}',
      opts: ['${params.trees}', 'x', 3, false, null, { deep: 'w=${params.window}' }],
      shell: 'echo ${HOME}',
    };
    const copy = structuredClone(value);
    expect(substitute(value, ctx)).toEqual({
      data: 'loans@3',
      opts: [100, 'x', 3, false, null, { deep: 'w=30d' }],
      shell: 'echo ${HOME}',
    });
    expect(value).toEqual(copy);
  });

  it('names an unresolved reference and where it is', () => {
    const message = (v: unknown, c: Parameters<typeof substitute>[1] = ctx) =>
      errorOf(() => substitute(v, c, { where: "step 'train' with" }));
    expect(message({ a: ['${params.nope}'] })).toBe(
      "step 'train' with.a[0]: ${params.nope} cannot be resolved: no param 'nope'",
    );
    expect(message('${steps.train.outputs.ref}')).toMatch(
      /\$\{steps\.train\.outputs\.ref\} .*step 'train' has not produced outputs/,
    );
    expect(message('x ${steps.snapshot.outputs.version}')).toMatch(
      /step 'snapshot' has no output 'version' \(its outputs: empty, ref, rows\)/,
    );
    expect(message('${trigger.dataset}', { params: {}, steps: {} })).toMatch(
      /this run was not started by a trigger/,
    );
    expect(message('${trigger.monitor}')).toMatch(
      /the trigger carries no 'monitor' \(it has: dataset, version\)/,
    );
    expect(message('${steps.snapshot}')).toMatch(/bad reference '\$\{steps\.snapshot\}'/);
    let err: unknown;
    try {
      substitute('${params.nope}', ctx);
    } catch (e) {
      err = e;
    }
    expect(isKeelError(err) && err.code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('substituteCommand', () => {
  it('shell-quotes values that are not plain words, so a value cannot change the command', () => {
    const rule = { ...ctx, trigger: { rule: 'drift_share > 0.5; rm -rf /' } };
    expect(substituteCommand(['train --trees ${params.trees} --out data/${params.window}.csv'], ctx)).toEqual(
      ['train --trees 100 --out data/30d.csv'],
    );
    expect(substituteCommand(['echo ${trigger.rule}', 'echo ${params.note}'], rule)).toEqual([
      "echo 'drift_share > 0.5; rm -rf /'",
      'echo ${params.note}'.replace('${params.note}', `'it'\\''s a b'`),
    ]);
    expect(errorOf(() => substituteCommand(['ok', 'x ${params.nope}'], ctx))).toMatch(
      /^cmd\[1\]: \$\{params\.nope\}/,
    );
  });

  it('quotes the empty string', () => {
    expect(shellQuote('')).toBe("''");
  });
});
