// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` references in plain strings are what these tests are about.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalJson,
  hashWorkspace,
  type Manifest,
  stepCacheKey,
  stepDefinition,
  stepInputs,
} from '../../../src/pipelines/cache/index.js';
import { type PipelineSpec, upstreamOf, workspaceDeps } from '../../../src/pipelines/spec/index.js';
import type { ParamValue, StepOutputs } from '../../../src/pipelines/steps/types.js';
import { parse } from '../spec/helpers.js';
import { age, sha, tempDir, writeTree } from './helpers.js';

const yaml = (over: { prepare?: string; train?: string } = {}) => `pipelines:
  retrain:
    params: { window: 30d, trees: 100, seed: 1 }
    steps:
      snapshot:
        uses: data.snapshot
        with: { name: recent }
      prepare:
        cmd: python prepare.py --window \${params.window}
        deps: [prepare.py, data/raw/]
        outs: [data/prepared.csv]
        params: [window]
${over.prepare ?? '        timeout: 10m\n'}      train:
        cmd: python train.py --data \${steps.snapshot.outputs.ref}
        deps: [data/prepared.csv]
        outs: [model.bin]
${over.train ?? ''}`;

let root: string;
beforeAll(() => {
  root = tempDir('key');
  writeTree(root, { 'prepare.py': 'print(1)\n', 'data/raw/a.csv': 'x\n1\n', 'data/raw/b.csv': 'x\n2\n' });
  age(root, ['prepare.py', 'data/raw/a.csv', 'data/raw/b.csv']);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface Run {
  params?: Record<string, ParamValue>;
  outputs?: Record<string, Manifest>;
  values?: Record<string, StepOutputs>;
  fingerprint?: string;
}

/** The key of `step` as a runner computes it: workspace hashed, inputs picked, references resolved. */
async function keyOf(spec: PipelineSpec, step: string, run: Run = {}): Promise<string> {
  const deps = workspaceDeps(spec);
  const { manifest } = await hashWorkspace(root, deps.paths, {
    statePath: path.join(root, '.keel/state.db'),
    allowMissing: deps.allowMissing,
    exclude: deps.exclude,
    workers: 0,
  });
  const params: Record<string, ParamValue> = { window: '30d', trees: 100, seed: 1, ...run.params };
  const values = run.values ?? { snapshot: { ref: 'loans@3' } };
  const s = spec.steps[step]!;
  const upstream = Object.fromEntries(upstreamOf(spec, step).map((u) => [u, values[u] ?? {}]));
  return stepCacheKey({
    pipeline: spec.name,
    step,
    definition: stepDefinition(s, { params, steps: values }),
    params: Object.fromEntries(s.params.map((p) => [p, params[p]!])),
    inputs: stepInputs(
      spec,
      step,
      manifest,
      run.outputs ?? { prepare: { 'data/prepared.csv': { sha256: sha('p'), size: 1 } } },
    ),
    upstream,
    ...(run.fingerprint ? { fingerprint: run.fingerprint } : {}),
  });
}

const spec = (over?: Parameters<typeof yaml>[0]) => parse(yaml(over))[0]!;

describe('stepCacheKey', () => {
  it('is a sha256 hex that the same step, params and inputs always give', async () => {
    const k = await keyOf(spec(), 'prepare');
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(await keyOf(spec(), 'prepare')).toBe(k);
  });

  it('ignores timeout, retries, cache: and params the step does not declare', async () => {
    const k = await keyOf(spec(), 'prepare');
    expect(
      await keyOf(
        spec({ prepare: '        timeout: 2h\n        retries: 3\n        cache: false\n' }),
        'prepare',
      ),
    ).toBe(k);
    expect(await keyOf(spec(), 'prepare', { params: { trees: 5, seed: 9 } })).toBe(k);
  });

  it('changes with the command, a declared param, the env or the outs', async () => {
    const k = await keyOf(spec(), 'prepare');
    const others = [
      await keyOf(parse(yaml().replace('python prepare.py', 'python3 prepare.py'))[0]!, 'prepare'),
      await keyOf(spec(), 'prepare', { params: { window: '7d' } }),
      await keyOf(spec({ prepare: '        env: { SEED: "${params.seed}" }\n' }), 'prepare'),
      await keyOf(
        parse(yaml().replace('outs: [data/prepared.csv]', 'outs: [data/prepared.csv, data/extra.csv]'))[0]!,
        'prepare',
      ),
    ];
    expect(new Set([k, ...others]).size).toBe(5);
  });

  it('changes when an input file changes, and comes back when its content does', async () => {
    const k = await keyOf(spec(), 'prepare');
    const file = path.join(root, 'data/raw/a.csv');
    fs.writeFileSync(file, 'x\n7\n');
    age(root, ['data/raw/a.csv'], 600);
    expect(await keyOf(spec(), 'prepare')).not.toBe(k);
    fs.writeFileSync(file, 'x\n1\n');
    age(root, ['data/raw/a.csv'], 300);
    expect(await keyOf(spec(), 'prepare')).toBe(k);
  });

  it("changes when an upstream step's output files or values change, not when it re-ran to the same bytes", async () => {
    const prepared = (s: string) => ({
      prepare: { 'data/prepared.csv': { sha256: sha(s), size: s.length } },
    });
    const k = await keyOf(spec(), 'train', { outputs: prepared('p') });
    expect(await keyOf(spec(), 'train', { outputs: prepared('p') })).toBe(k);
    expect(await keyOf(spec(), 'train', { outputs: prepared('q') })).not.toBe(k);
    expect(await keyOf(spec(), 'train', { values: { snapshot: { ref: 'loans@4' } } })).not.toBe(k);
  });

  it("changes with a built-in's with: and fingerprint", async () => {
    const k = await keyOf(spec(), 'snapshot');
    expect(await keyOf(parse(yaml().replace('name: recent', 'name: older'))[0]!, 'snapshot')).not.toBe(k);
    expect(await keyOf(spec(), 'snapshot', { fingerprint: 'labels:120' })).not.toBe(k);
  });
});

describe('stepDefinition', () => {
  it('resolves references: shell-quoted in cmd, text in env, typed in with', () => {
    const s = parse(`pipelines:
  p:
    params: { window: "7 days", seed: 3 }
    steps:
      a:
        cmd: run --window \${params.window}
        env: { SEED: "\${params.seed}" }
      b:
        uses: train
        with: { data: "\${steps.a.outputs.ref}", trainer: gbdt, n: "\${params.seed}" }
`)[0]!;
    const ctx = { params: { window: '7 days', seed: 3 }, steps: { a: { ref: 'd@1' } } };
    expect(stepDefinition(s.steps['a']!, ctx)).toEqual({
      cmd: ["run --window '7 days'"],
      env: { SEED: '3' },
      outs: [],
      metrics: [],
    });
    expect(stepDefinition(s.steps['b']!, ctx)).toEqual({
      uses: 'train',
      with: { data: 'd@1', trainer: 'gbdt', n: 3 },
    });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 'x' }], u: undefined })).toBe(
      '{"a":[1,{"c":"x","d":2}],"b":1}',
    );
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/cannot put NaN in a cache key/);
  });
});
