import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../../src/data/generators/agrawal.js';
import { inspectOnnx } from '../../src/models/onnx/read.js';

const exec = promisify(execFile);
const BIN = path.resolve('bin/keel.js');
const COLS = [
  'salary',
  'commission',
  'age',
  'elevel',
  'car',
  'zipcode',
  'hvalue',
  'hyears',
  'loan',
  'region',
  'approved',
];
const REGIONS = ['north', 'east', 'south'];

async function keel(args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env: { ...process.env, KEEL_URL: '', KEEL_TOKEN: '', KEEL_DATA_DIR: '' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function writeCsv(file: string, seed: number, fn: 2 | 5 | 7, n: number): void {
  const rows = sample({ seed, fn, labelNoise: 0.03 }, n);
  const lines = rows.map((r) =>
    COLS.map((c) => (c === 'region' ? REGIONS[r.zipcode % 3] : r[c as keyof typeof r])).join(','),
  );
  fs.writeFileSync(file, `${COLS.join(',')}\n${lines.join('\n')}\n`);
}

/** The README walkthrough: train → register → evaluate → alias → approve → card → lineage → reproduce. */
describe('keel train / eval / models / lineage / reproduce (real binary)', () => {
  let dir: string;
  let K: (...a: string[]) => ReturnType<typeof keel>;
  let runId: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-models-'));
    K = (...a) => keel(['--data-dir', path.join(dir, '.keel'), ...a]);
    writeCsv(path.join(dir, 'train.csv'), 1, 2, 2000);
    writeCsv(path.join(dir, 'holdout.csv'), 2, 2, 1000);
    fs.writeFileSync(path.join(dir, 'one-class.csv'), 'x,y\n1,a\n2,a\n3,a\n');
    for (const [f, name] of [
      ['train.csv', 'loans'],
      ['holdout.csv', 'loans'],
      ['one-class.csv', 'flat'],
    ] as const) {
      const r = await K('data', 'add', path.join(dir, f), '--name', name);
      expect(r.code, r.stderr).toBe(0);
    }
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains a GBDT, logs the run with its dataset input, and registers it', async () => {
    const r = await K(
      'train',
      'gbdt',
      '--data',
      'loans@1',
      '--target',
      'approved',
      '--params',
      'trees=30,depth=4',
      '-e',
      'credit',
      '--register',
      'credit',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { runId: string; task: string; model: string; features: string[] };
    expect(out).toMatchObject({ task: 'binary', model: 'credit@1' });
    expect(out.features).toContain('region');
    runId = out.runId;
    const run = JSON.parse((await K('runs', 'show', runId, '--json')).stdout) as {
      data: { params: { key: string; value: string }[]; metrics: { key: string }[] };
      inputs: { datasetInputs: { dataset: { name: string } }[] };
    };
    expect(run.data.params).toContainEqual({ key: 'trees', value: '30' });
    expect(run.data.metrics.map((m) => m.key)).toContain('train_loss');
    expect(run.inputs.datasetInputs[0]?.dataset.name).toBe('loans');
  }, 60_000);

  it('trains a second model and evaluates both, side by side, storing the results', async () => {
    const t = await K(
      'train',
      'logistic',
      '--data',
      'loans@1',
      '--target',
      'approved',
      '-e',
      'credit',
      '--register',
      'credit',
    );
    expect(t.code, t.stderr).toBe(0);
    const r = await K(
      'eval',
      'credit@1',
      '--data',
      'loans@2',
      '--slice-by',
      'region',
      '--sensitive',
      'region',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as {
      models: {
        result: {
          metrics: Record<string, number>;
          slices: { groups: unknown[] };
          fairness: { demographicParityDifference: number };
        };
      }[];
    };
    const m = res.models[0]!.result;
    expect(m.metrics.accuracy).toBeGreaterThan(0.85);
    expect(m.metrics.roc_auc).toBeGreaterThan(0.9);
    expect(m.slices.groups).toHaveLength(3);
    expect(m.fairness.demographicParityDifference).toBeGreaterThanOrEqual(0);
    const cmp = await K('eval', 'credit@2', '--data', 'loans@2', '--compare', 'credit@1');
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(cmp.stdout).toMatch(/credit@2.*credit@1/);
    expect(cmp.stdout).toMatch(/roc_auc/);
    const shown = JSON.parse((await K('models', 'show', 'credit@1', '--json')).stdout) as {
      evaluations: unknown[];
    };
    expect(shown.evaluations).toHaveLength(2);
  }, 60_000);

  it('approves, aliases, refuses an alias on a rejected version, and resolves refs', async () => {
    expect((await K('models', 'show', 'credit')).code).not.toBe(0); // nothing approved yet
    expect((await K('models', 'approve', 'credit@1', '--reason', 'good')).code).toBe(0);
    expect((await K('models', 'alias', 'set', 'credit@1', 'champion')).code).toBe(0);
    expect((await K('models', 'reject', 'credit@2', '--reason', 'worse')).code).toBe(0);
    const bad = await K('models', 'alias', 'set', 'credit@2', 'challenger');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/rejected/);
    const champ = JSON.parse((await K('models', 'show', 'credit@champion', '--json')).stdout) as {
      version: number;
      approval: { status: string };
      aliases: string[];
    };
    expect(champ).toMatchObject({ version: 1, approval: { status: 'approved' }, aliases: ['champion'] });
    const latest = JSON.parse((await K('models', 'show', 'credit', '--json')).stdout) as { version: number };
    expect(latest.version).toBe(1);
    const ls = await K('models', 'ls', 'credit');
    expect(ls.stdout).toMatch(/rejected/);
  }, 60_000);

  it('writes the model card, prints the lineage, and reproduces the training', async () => {
    const md = path.join(dir, 'card.md');
    const html = path.join(dir, 'card.html');
    const card = await K('models', 'card', 'credit@champion', '--md', md, '--html', html);
    expect(card.code, card.stderr).toBe(0);
    const text = fs.readFileSync(md, 'utf8');
    expect(text).toMatch(/Model card: credit v1/);
    expect(text).toContain('loans@1');
    expect(text).toMatch(/approved by local/);
    expect(fs.readFileSync(html, 'utf8')).toMatch(/<svg/);
    const lin = await K('lineage', 'credit@champion');
    expect(lin.code, lin.stderr).toBe(0);
    expect(lin.stdout).toContain('loans@1');
    expect(lin.stdout).toContain(runId);
    expect(lin.stdout).toMatch(/champion/);
    const rep = await K('reproduce', 'credit@champion', '--json');
    expect(rep.code, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({
      reproduced: true,
      identicalOnnx: true,
      labelMismatches: 0,
      maxAbsDiff: 0,
    });
  }, 60_000);

  it('registers an ONNX file exported by PyTorch and refuses a file that is not ONNX, registering nothing', async () => {
    const torch = path.resolve('test/fixtures/onnx/torch_mlp.onnx');
    const ok = await K('models', 'register', 'mlp', '--file', torch, '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const v = JSON.parse(ok.stdout) as { version: number; signature: { inputs: { name: string }[] } };
    expect(v.version).toBe(1);
    expect(v.signature.inputs.map((i) => i.name)).toEqual(
      inspectOnnx(fs.readFileSync(torch)).inputs.map((i) => i.name),
    );
    // It predicts: evaluated on its own reference inputs, labelled with PyTorch's argmax, it is exact.
    const ref = JSON.parse(
      fs.readFileSync(path.resolve('test/fixtures/onnx/torch_mlp.expected.json'), 'utf8'),
    ) as { inputs: number[][]; probabilities: number[][] };
    const csv = ref.inputs.map((x, i) =>
      [...x, ref.probabilities[i]![1]! > ref.probabilities[i]![0]! ? 1 : 0].join(','),
    );
    fs.writeFileSync(path.join(dir, 'torch.csv'), `f0,f1,f2,f3,y\n${csv.join('\n')}\n`);
    expect((await K('data', 'add', path.join(dir, 'torch.csv'), '--name', 'torchdata')).code).toBe(0);
    const ev = await K(
      'eval',
      'mlp@1',
      '--data',
      'torchdata',
      '--target',
      'y',
      '--features',
      'f0,f1,f2,f3',
      '--classes',
      '0,1',
      '--json',
    );
    expect(ev.code, ev.stderr).toBe(0);
    const res = JSON.parse(ev.stdout) as {
      models: { result: { rows: number; metrics: Record<string, number> } }[];
    };
    expect(res.models[0]!.result.rows).toBe(ref.inputs.length);
    expect(res.models[0]!.result.metrics.accuracy).toBe(1);
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'definitely not a protobuf');
    const bad = await K('models', 'register', 'mlp', '--file', junk);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not an ONNX model/);
    const versions = JSON.parse((await K('models', 'ls', 'mlp', '--json')).stdout) as unknown[];
    expect(versions).toHaveLength(1);
  }, 60_000);

  it('names bad training input and logs no run', async () => {
    const before = JSON.parse((await K('runs', 'ls', '-e', 'credit', '--json')).stdout) as unknown[];
    const noCol = await K('train', 'gbdt', '--data', 'loans@1', '--target', 'nope', '-e', 'credit');
    expect(noCol.code).not.toBe(0);
    expect(noCol.stderr).toMatch(/nope/);
    const oneClass = await K('train', 'logistic', '--data', 'flat', '--target', 'y', '-e', 'credit');
    expect(oneClass.code).not.toBe(0);
    expect(oneClass.stderr).toMatch(/single class|one class/);
    const badParam = await K(
      'train',
      'gbdt',
      '--data',
      'loans@1',
      '--target',
      'approved',
      '--params',
      'trees=-3',
      '-e',
      'credit',
    );
    expect(badParam.code).not.toBe(0);
    expect(badParam.stderr).toMatch(/trees/);
    const unknownRef = await K('eval', 'nosuch@1', '--data', 'loans@2');
    expect(unknownRef.code).not.toBe(0);
    expect(unknownRef.stderr).toMatch(/nosuch/);
    const after = JSON.parse((await K('runs', 'ls', '-e', 'credit', '--json')).stdout) as unknown[];
    expect(after).toHaveLength(before.length);
  }, 60_000);
});
