// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` references in plain strings are what these tests are about.
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../../src/core/errors.js';
import { parsePipelineFile } from '../../../src/pipelines/spec/index.js';
import { BUILTINS, EXAMPLE, errorOf, parse, pipeline } from './helpers.js';

describe('parsePipelineFile: the format', () => {
  it('normalises the example: typed params, triggers, durations, cmd lists, edges', () => {
    const [spec] = parse(EXAMPLE, 'ml/keel.yaml');
    expect(spec!.name).toBe('retrain');
    expect(spec!.file).toBe('ml/keel.yaml');
    expect(spec!.params).toEqual({
      trees: { name: 'trees', type: 'integer', default: 100 },
      window: { name: 'window', type: 'string', default: '30d' },
    });
    expect(spec!.concurrency).toBe(1);
    expect(spec!.triggers).toEqual([
      { kind: 'schedule', schedule: '0 3 * * *', timezone: 'Europe/Paris' },
      { kind: 'alert', monitor: 'loans', rule: 'drift_share > 0.5', on: 'opened' },
      { kind: 'dataset', dataset: 'loans' },
    ]);
    expect(Object.keys(spec!.steps)).toEqual(['snapshot', 'prepare', 'train']);
    expect(spec!.steps['prepare']).toMatchObject({
      kind: 'cmd',
      cmd: ['python prepare.py --out data/prepared.csv'],
      deps: ['prepare.py', 'data/raw/'],
      outs: ['data/prepared.csv'],
      params: ['window'],
      metrics: ['metrics.json'],
      env: { PYTHONHASHSEED: '0' },
      timeoutMs: 600_000,
      retries: 2,
      cache: true,
      line: 17,
    });
    expect(spec!.steps['snapshot']).toMatchObject({
      kind: 'uses',
      uses: 'data.snapshot',
      with: { name: 'loans-recent', deployment: 'loans', window: '${params.window}' },
      timeoutMs: null,
      retries: 0,
      cache: true,
      deps: [],
    });
    expect(spec!.upstream).toEqual({ snapshot: [], prepare: [], train: ['snapshot', 'prepare'] });
    // A stored spec is plain JSON and keeps its step order.
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('normalises paths, lists and defaults', () => {
    const spec = pipeline(
      `      a:
        cmd: [echo one, echo two]
        deps: ./src//main.py
        outs: [out/, ./model.bin]
        env: { N: 3, FLAG: true }
`,
      '    concurrency: 4\n',
    );
    expect(spec.steps['a']).toMatchObject({
      cmd: ['echo one', 'echo two'],
      deps: ['src/main.py'],
      outs: ['out/', 'model.bin'],
      env: { N: '3', FLAG: 'true' },
    });
    expect(spec.concurrency).toBe(4);
    expect(spec.triggers).toEqual([]);
    expect(spec.description).toBe('');
  });

  it('types params by their default or by {type, default, enum, description}', () => {
    const spec = pipeline(
      '      a: { cmd: "true" }\n',
      `    params:
      n: 3
      lr: 0.1
      whole: 1.0
      big: 1e3
      on: true
      name: x
      mode: { type: string, default: fast, enum: [fast, slow], description: how hard to try }
      depth: { default: 4 }
      ratio: { type: number, default: 1 }
`,
    );
    const t = Object.fromEntries(Object.values(spec.params).map((p) => [p.name, p.type]));
    expect(t).toEqual({
      n: 'integer',
      lr: 'number',
      whole: 'number',
      big: 'number',
      on: 'boolean',
      name: 'string',
      mode: 'string',
      depth: 'integer',
      ratio: 'number',
    });
    expect(spec.params['mode']).toEqual({
      name: 'mode',
      type: 'string',
      default: 'fast',
      enum: ['fast', 'slow'],
      description: 'how hard to try',
    });
  });

  it('reads alert triggers with on: updated and several pipelines in file order', () => {
    const specs = parse(`pipelines:
  b:
    triggers:
      - alert: { deployment: loans, on: updated }
    steps: { s: { cmd: "true" } }
  a:
    steps: { s: { cmd: "true" } }
`);
    expect(specs.map((s) => s.name)).toEqual(['b', 'a']);
    expect(specs[0]!.triggers).toEqual([{ kind: 'alert', deployment: 'loans', on: 'updated' }]);
  });

  it('gives the built-in its with: unresolved, and accepts a reference where a value is checked later', () => {
    const seen: unknown[] = [];
    const builtins = new Map(BUILTINS);
    builtins.set('spy', {
      name: 'spy',
      description: 'records parse calls',
      parse: (w, opts) => {
        seen.push([w, opts]);
        return w;
      },
      run: async () => ({ outputs: {} }),
    });
    const text =
      'pipelines:\n  p:\n    params: { t: gbdt }\n    steps:\n      s: { uses: spy, with: { a: "${params.t}", n: 2 } }\n      u: { uses: train, with: { data: x, trainer: "${params.t}" } }\n';
    parsePipelineFile(text, { file: 'f.yaml', builtins });
    expect(seen).toEqual([[{ a: '${params.t}', n: 2 }, { resolved: false }]]);
  });
});

/** Every bad input is refused with INVALID_PARAMETER_VALUE naming file:line and what is wrong. */
describe('parsePipelineFile: bad input', () => {
  const cases: [string, string, RegExp][] = [
    [
      'YAML syntax',
      'pipelines:\n  p:\n    steps: a: b\n',
      /^keel\.yaml:3: invalid YAML: Nested mappings are not allowed in compact mappings$/,
    ],
    [
      'a duplicate key',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "true" }\n      a: { cmd: "false" }\n',
      /^keel\.yaml:5: invalid YAML: Map keys must be unique/,
    ],
    ['no pipelines: key', 'steps: {}\n', /^keel\.yaml:1: missing field 'pipelines'/],
    [
      'an unknown top-level key',
      'pipelines:\n  p:\n    steps: { a: { cmd: "true" } }\nvars: {}\n',
      /^keel\.yaml:4: unknown field 'vars' \(known: pipelines\)/,
    ],
    ['an empty file', '', /^keel\.yaml:1: expected a top-level 'pipelines:' map/],
    ['no pipelines', 'pipelines: {}\n', /^keel\.yaml:1: no pipelines defined/],
    [
      'an unknown pipeline key',
      'pipelines:\n  p:\n    stepz: {}\n    steps: { a: { cmd: "true" } }\n',
      /^keel\.yaml:3: pipeline 'p': unknown field 'stepz' \(known: description, params, concurrency, triggers, steps\)/,
    ],
    [
      'an unknown step key',
      'pipelines:\n  p:\n    steps:\n      a:\n        cmd: "true"\n        depz: [x]\n',
      /^keel\.yaml:6: pipeline 'p', step 'a': unknown field 'depz' \(known: cmd, uses, with, deps, outs/,
    ],
    [
      'a missing steps map',
      'pipelines:\n  p:\n    description: x\n',
      /^keel\.yaml:2: pipeline 'p': missing field 'steps'/,
    ],
    ['no steps', 'pipelines:\n  p:\n    steps: {}\n', /^keel\.yaml:3: pipeline 'p': no steps/],
    [
      'a wrong type',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "true", retries: -1 }\n',
      /^keel\.yaml:4: pipeline 'p', step 'a': retries: must be 0 or more/,
    ],
    [
      'a bad pipeline name',
      'pipelines:\n  Retrain!:\n    steps: { a: { cmd: "true" } }\n',
      /^keel\.yaml:2: pipeline 'Retrain!': bad pipeline name 'Retrain!'/,
    ],
    [
      'a bad step name',
      'pipelines:\n  p:\n    steps:\n      Train.1: { cmd: "true" }\n',
      /^keel\.yaml:4: pipeline 'p', step 'Train.1': bad step name 'Train.1'/,
    ],
    [
      'a step with both cmd and uses',
      'pipelines:\n  p:\n    steps:\n      a:\n        cmd: "true"\n        uses: train\n',
      /^keel\.yaml:6: pipeline 'p', step 'a': has both 'cmd' and 'uses'/,
    ],
    [
      'a step with neither cmd nor uses',
      'pipelines:\n  p:\n    steps:\n      a:\n        deps: [x]\n',
      /^keel\.yaml:4: pipeline 'p', step 'a': needs 'cmd' \(a command to run\) or 'uses' \(a built-in step\)/,
    ],
    [
      'an unknown built-in',
      'pipelines:\n  p:\n    steps:\n      a:\n        uses: trian\n',
      /^keel\.yaml:5: pipeline 'p', step 'a': unknown built-in step 'trian' \(known: data\.snapshot, train\)/,
    ],
    [
      "a built-in's own with: check",
      'pipelines:\n  p:\n    steps:\n      a:\n        uses: train\n        with:\n          data: x\n          trainer: forest\n',
      /^keel\.yaml:8: pipeline 'p', step 'a': uses train: trainer must be gbdt or linear, got forest/,
    ],
    [
      'file fields on a built-in',
      'pipelines:\n  p:\n    steps:\n      a:\n        uses: data.snapshot\n        with: { name: x }\n        outs: [y]\n',
      /^keel\.yaml:7: pipeline 'p', step 'a': 'outs' is only for command steps/,
    ],
    [
      'after naming a missing step',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "true" }\n      b:\n        cmd: "true"\n        after: [a, c]\n',
      /^keel\.yaml:7: pipeline 'p', step 'b': after names a missing step 'c' \(steps: a, b\)/,
    ],
    [
      '${steps.x…} naming a missing step',
      'pipelines:\n  p:\n    steps:\n      a:\n        uses: train\n        with:\n          data: "${steps.snap.outputs.ref}"\n          trainer: gbdt\n',
      /^keel\.yaml:7: pipeline 'p', step 'a': \$\{steps\.snap\.outputs\.ref\} names a missing step 'snap' \(steps: a\)/,
    ],
    [
      'a malformed step reference',
      'pipelines:\n  p:\n    steps:\n      a:\n        cmd: echo ${steps.b.ref}\n      b: { cmd: "true" }\n',
      /^keel\.yaml:5: pipeline 'p', step 'a': bad reference '\$\{steps\.b\.ref\}': expected \$\{steps\.<step>\.outputs\.<key>\}/,
    ],
    [
      'an undeclared param in cmd',
      'pipelines:\n  p:\n    params: { trees: 1 }\n    steps:\n      a:\n        cmd:\n          - echo ok\n          - train --lr ${params.lr}\n',
      /^keel\.yaml:8: pipeline 'p', step 'a': \$\{params\.lr\} names an undeclared param 'lr' \(declared: trees\)/,
    ],
    [
      'an undeclared param in env',
      'pipelines:\n  p:\n    steps:\n      a:\n        cmd: "true"\n        env: { LR: "${params.lr}" }\n',
      /^keel\.yaml:6: pipeline 'p', step 'a': \$\{params\.lr\} names an undeclared param 'lr' \(declare it under params:\)/,
    ],
    [
      'an undeclared param in params:',
      'pipelines:\n  p:\n    steps:\n      a:\n        cmd: "true"\n        params: [lr]\n',
      /^keel\.yaml:6: pipeline 'p', step 'a': params names an undeclared param 'lr'/,
    ],
    [
      'a trigger reference without triggers',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "echo ${trigger.dataset}" }\n',
      /^keel\.yaml:4: pipeline 'p', step 'a': \$\{trigger\.dataset\} can never resolve: the pipeline has no triggers/,
    ],
    [
      'a cycle',
      'pipelines:\n  p:\n    steps:\n      train:\n        cmd: "true"\n        deps: [eval.json]\n        outs: [model.bin]\n      evaluate:\n        cmd: "true"\n        deps: [model.bin]\n        outs: [eval.json]\n',
      /^keel\.yaml:4: pipeline 'p', step 'train': steps form a cycle: train → evaluate → train \(evaluate after train: out 'model\.bin' → dep 'model\.bin'; train after evaluate: out 'eval\.json' → dep 'eval\.json'\)/,
    ],
    [
      'a cycle through after and a reference',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "echo ${steps.c.outputs.x}" }\n      b: { cmd: "true", after: [a] }\n      c: { cmd: "true", after: [b] }\n',
      /steps form a cycle: a → b → c → a/,
    ],
    [
      'a step waiting for itself',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "true", after: [a] }\n',
      /^keel\.yaml:4: pipeline 'p', step 'a': after: a step cannot wait for itself/,
    ],
    [
      'two steps declaring the same out',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "true", outs: [model.bin] }\n      b: { cmd: "true", outs: [./model.bin] }\n',
      /^keel\.yaml:5: pipeline 'p', step 'b': out 'model\.bin' is also declared by step 'a'/,
    ],
    [
      'overlapping outs of two steps',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "true", outs: [models/] }\n      b: { cmd: "true", metrics: [models/m.json] }\n',
      /step 'b': out 'models\/m\.json' overlaps out 'models\/' of step 'a'/,
    ],
    [
      "an out inside the step's own dep",
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "true", deps: [data/], outs: [data/x.csv] }\n',
      /step 'a': out 'data\/x\.csv' overlaps the step's own dep 'data\/'/,
    ],
    [
      'a dep escaping the workspace',
      'pipelines:\n  p:\n    steps:\n      a:\n        cmd: "true"\n        deps:\n          - ok.py\n          - data/../../secrets\n',
      /^keel\.yaml:8: pipeline 'p', step 'a': dep 'data\/\.\.\/\.\.\/secrets' escapes the workspace/,
    ],
    [
      'an absolute out',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "true", outs: [/tmp/x] }\n',
      /step 'a': out '\/tmp\/x' is absolute/,
    ],
    [
      'a bad cron expression',
      'pipelines:\n  p:\n    triggers:\n      - schedule: "61 * * * *"\n    steps: { a: { cmd: "true" } }\n',
      /^keel\.yaml:4: pipeline 'p', triggers\[0\]: cron '61 \* \* \* \*' is invalid/,
    ],
    [
      'a cron with 6 fields',
      'pipelines:\n  p:\n    triggers:\n      - schedule: "0 0 3 * * *"\n    steps: { a: { cmd: "true" } }\n',
      /triggers\[0\]: cron '0 0 3 \* \* \*' has 6 field\(s\): use 5/,
    ],
    [
      'a cron that never fires',
      'pipelines:\n  p:\n    triggers:\n      - schedule: "0 0 31 2 *"\n    steps: { a: { cmd: "true" } }\n',
      /triggers\[0\]: cron '0 0 31 2 \*' is invalid/,
    ],
    [
      'an unknown timezone',
      'pipelines:\n  p:\n    triggers:\n      - schedule: "0 3 * * *"\n        timezone: Mars/Olympus\n    steps: { a: { cmd: "true" } }\n',
      /^keel\.yaml:5: pipeline 'p', triggers\[0\]: unknown timezone 'Mars\/Olympus'/,
    ],
    [
      'a trigger of two kinds',
      'pipelines:\n  p:\n    triggers:\n      - { dataset: loans, schedule: "0 3 * * *" }\n    steps: { a: { cmd: "true" } }\n',
      /triggers\[0\]: has both 'schedule' and 'dataset'/,
    ],
    [
      'an alert trigger without filters',
      'pipelines:\n  p:\n    triggers:\n      - alert: { on: updated }\n    steps: { a: { cmd: "true" } }\n',
      /triggers\[0\]: alert needs at least one of monitor, rule, deployment, route/,
    ],
    [
      "an alert's on: beside it",
      'pipelines:\n  p:\n    triggers:\n      - alert: { monitor: m }\n        on: updated\n    steps: { a: { cmd: "true" } }\n',
      /^keel\.yaml:5: pipeline 'p', triggers\[0\]: 'on' goes inside 'alert:'/,
    ],
    [
      'a bad duration',
      'pipelines:\n  p:\n    steps:\n      a:\n        cmd: "true"\n        timeout: 10x\n',
      /^keel\.yaml:6: pipeline 'p', step 'a': timeout '10x' is not a duration/,
    ],
    [
      'a duration without a unit',
      'pipelines:\n  p:\n    steps:\n      a: { cmd: "true", timeout: 600 }\n',
      /step 'a': timeout 600 needs a unit, e\.g\. 600s or 600m/,
    ],
    [
      'a param without a default',
      'pipelines:\n  p:\n    params:\n      lr:\n    steps: { a: { cmd: "true" } }\n',
      /^keel\.yaml:4: pipeline 'p', param 'lr': needs a default value/,
    ],
    [
      'a default outside its enum',
      'pipelines:\n  p:\n    params:\n      mode: { default: turbo, enum: [fast, slow] }\n    steps: { a: { cmd: "true" } }\n',
      /param 'mode': default "turbo" is not one of the enum values/,
    ],
    [
      'a default of the wrong type',
      'pipelines:\n  p:\n    params:\n      n: { type: integer, default: 1.5 }\n    steps: { a: { cmd: "true" } }\n',
      /param 'n': default 1\.5 is not a valid integer/,
    ],
  ];
  it.each(cases)('%s', (_label, text, expected) => {
    let err: unknown;
    try {
      parse(text);
    } catch (e) {
      err = e;
    }
    expect(isKeelError(err) && err.code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toMatch(expected);
  });

  it('names the offending field for clients', () => {
    try {
      parse('pipelines:\n  p:\n    steps:\n      a: { cmd: "true", deps: [../x] }\n');
    } catch (e) {
      expect(isKeelError(e) && e.details).toEqual({ field: 'pipelines.p.steps.a.deps[0]' });
    }
  });

  it('refuses an out-of-workspace dep even when written absolute', () => {
    expect(errorOf(() => pipeline('      a: { cmd: "true", deps: [/etc/passwd] }\n'))).toMatch(
      /dep '\/etc\/passwd' is absolute/,
    );
  });
});
