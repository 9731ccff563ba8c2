import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainExperiment, trainStep } from '../../../src/pipelines/steps/builtins/train.js';
import { DIALECTS } from '../../helpers/context.js';
import { addLoans, attempt, failure, type Harness, harness, loans, ref, runStep } from './fixture.js';

const text = async (s: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
};

describe('train step: parse', () => {
  const parse = (w: Record<string, unknown>, resolved = true) => trainStep.parse(w, { resolved });

  it('normalises params, features and seed given as text', () => {
    expect(
      parse({
        data: 'loans',
        trainer: 'gbdt',
        target: 'approved',
        features: 'age, salary',
        seed: '7',
        params: { trees: 5 },
      }),
    ).toEqual({
      data: 'loans',
      trainer: 'gbdt',
      target: 'approved',
      features: ['age', 'salary'],
      seed: 7,
      params: { trees: '5' },
    });
    expect(trainExperiment({}, 'retrain')).toBe('pipeline:retrain');
  });

  it('names the bad field as with.<field>', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ data: 'loans', trainer: 'xgb', target: 'y' }, 'with.trainer', /one of gbdt, logistic, linear/],
      [{ data: 'loans', trainer: 'gbdt' }, 'with.target', /required/],
      [{ data: 'loans', trainer: 'gbdt', target: 'y', lr: 0.1 }, 'with.lr', /not an argument of train/],
      [{ data: 'loans', trainer: 'gbdt', target: 'y', params: 'trees=many' }, 'with.params', /trees/],
      [
        { data: 'loans', trainer: 'gbdt', target: 'y', params: 'depht=3' },
        'with.params',
        /unknown gbdt parameter 'depht'/,
      ],
      [{ data: 'loans', trainer: 'gbdt', target: 'y', seed: 1.5 }, 'with.seed', /integer/],
    ];
    for (const [w, field, message] of cases) {
      const e = await failure(() => parse(w));
      expect(e.code, JSON.stringify(w)).toBe('INVALID_PARAMETER_VALUE');
      expect(e.details?.field).toBe(field);
      expect(e.message).toMatch(message);
    }
  });

  it('leaves references for run time when the pipeline is applied', () => {
    const w = {
      data: ref('steps.snap.outputs.ref'),
      trainer: 'gbdt',
      target: 'approved',
      seed: ref('params.seed'),
    };
    expect(parse(w, false)).toMatchObject({ seed: ref('params.seed') });
    expect(() => parse(w, true)).toThrow(/with.seed/);
  });
});

describe.each(DIALECTS)('train step (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(dialect);
    await addLoans(h, 'loans', loans(1, 400));
  });
  afterAll(() => h?.cleanup());

  it('logs the model, params, metrics and dataset into the step run; a retry reuses it', async () => {
    const w = {
      data: 'loans',
      trainer: 'gbdt',
      target: 'approved',
      params: 'trees=8,depth=3,early_stopping=true',
    };
    const r = await runStep(h, trainStep, w);
    const runId = r.b.trackedRunId;
    expect(r.outputs).toMatchObject({
      run_id: runId,
      model_uri: `runs:/${runId}/model`,
      task: 'binary',
      data: 'loans@1',
    });
    expect(r.outputs['valid_accuracy']).toBeGreaterThan(0.6);
    expect(r.metrics?.['valid_accuracy']).toBe(r.outputs['valid_accuracy']);
    expect(r.lines.join('\n')).toMatch(/trained gbdt \(binary\) on loans@1: \d+ training rows/);

    const run = await h.keel.runs.get(runId);
    const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
    expect(params).toMatchObject({ trainer: 'gbdt', target: 'approved', trees: '8', depth: '3' });
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'keel.task': 'binary',
      'keel.pipeline': 'test',
      'keel.pipeline.step': 'train',
    });
    expect(run.inputs.datasetInputs.map((d) => d.dataset.source)).toEqual(['keel://loans@1']);
    const mlmodel = await text(await h.keel.runs.downloadArtifact(runId, 'model/MLmodel'));
    expect(mlmodel).toContain(`run_id: ${runId}`);
    const losses = (await h.keel.runs.history(runId, 'train_loss')).metrics.length;
    expect(losses).toBeGreaterThan(1);
    // The step logs into the runner's run: it creates none of its own.
    const exp = await h.keel.experiments.getByName('pipeline:test');
    expect((await h.keel.runs.search({ experimentIds: [exp.experimentId] })).runs).toHaveLength(1);

    const again = await runStep(h, trainStep, w, { trackedRunId: runId });
    expect(again.outputs).toEqual(r.outputs);
    expect(again.lines.join('\n')).toMatch(/earlier attempt already logged the model/);
    expect((await h.keel.runs.history(runId, 'train_loss')).metrics.length).toBe(losses);
    expect((await h.keel.runs.search({ experimentIds: [exp.experimentId] })).runs).toHaveLength(1);
  });

  it('names a bad target and logs no model', async () => {
    const e = await failure(
      runStep(h, trainStep, { data: 'loans', trainer: 'gbdt', target: 'approvd' }, { step: 'bad' }),
    );
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/with\.target/);
    expect(e.message).toMatch(/approvd/);
    const exp = await h.keel.experiments.getByName('pipeline:test');
    const bad = (
      await h.keel.runs.search({ experimentIds: [exp.experimentId], filter: "attributes.run_name = 'bad'" })
    ).runs;
    expect(bad).toHaveLength(1);
    expect(await h.keel.runs.listArtifacts(bad[0]!.info.runId)).toEqual([]);
  });

  it('fingerprints the dataset content a moving ref names', async () => {
    const { b } = await attempt(
      h,
      trainStep,
      { data: 'loans', trainer: 'linear', target: 'salary' },
      { step: 'fp' },
    );
    const before = await trainStep.fingerprint!(b);
    await addLoans(h, 'loans', loans(2, 50));
    expect(await trainStep.fingerprint!(b)).not.toBe(before);
  });
});
