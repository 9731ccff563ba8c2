import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerStep } from '../../../src/pipelines/steps/builtins/register.js';
import { trainStep } from '../../../src/pipelines/steps/builtins/train.js';
import { DIALECTS } from '../../helpers/context.js';
import { addLoans, failure, type Harness, harness, loans, ref, runStep } from './fixture.js';

describe('register step: parse', () => {
  it('names the bad field as with.<field>', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{}, 'with.model', /required/],
      [{ model: 'credit@2' }, 'with.model', /may not contain '@'/],
      [{ model: 'credit', alias: 'latest' }, 'with.alias', /reserved/],
      [{ model: 'credit', alias: 'v3' }, 'with.alias', /reserved/],
      [{ model: 'credit', version: 3 }, 'with.version', /not an argument of register/],
    ];
    for (const [w, field, message] of cases) {
      const e = await failure(() => registerStep.parse(w, { resolved: true }));
      expect(e.code, JSON.stringify(w)).toBe('INVALID_PARAMETER_VALUE');
      expect(e.details?.field).toBe(field);
      expect(e.message).toMatch(message);
    }
    expect(
      registerStep.parse({ model: 'credit', from: ref('steps.train.outputs.run_id') }, { resolved: false }),
    ).toEqual({
      model: 'credit',
      from: ref('steps.train.outputs.run_id'),
    });
  });
});

describe.each(DIALECTS)('register step (%s)', (dialect) => {
  let h: Harness;
  let trained: string;
  beforeAll(async () => {
    h = await harness(dialect);
    await addLoans(h, 'loans', loans(1, 300));
    const t = await runStep(
      h,
      trainStep,
      { data: 'loans', trainer: 'logistic', target: 'approved' },
      { runId: 1, step: 'train' },
    );
    trained = t.b.trackedRunId;
  });
  afterAll(() => h?.cleanup());

  it("registers this pipeline run's trained model, tagged with its provenance; a retry finds it", async () => {
    const w = {
      model: 'credit',
      intended_use: 'loan pre-screening',
      alias: 'candidate',
      description: 'nightly',
    };
    const r = await runStep(h, registerStep, w, { runId: 1, step: 'register' });
    expect(r.outputs).toEqual({
      model: 'credit',
      version: 1,
      ref: 'credit@1',
      run_id: trained,
      approval: 'pending',
    });
    const v = await h.keel.models.getVersion('credit', 1);
    expect(v.tags).toMatchObject({
      intended_use: 'loan pre-screening',
      'keel.pipeline': 'test',
      'keel.pipeline.run': '1',
      'keel.pipeline.step': 'register',
    });
    expect(v.description).toBe('nightly');
    expect(v.datasets.map((d) => d.ref)).toEqual(['loans@1']);
    expect((await h.keel.models.get('credit')).aliases).toEqual({ candidate: 1 });

    const again = await runStep(h, registerStep, w, {
      runId: 1,
      step: 'register',
      trackedRunId: r.b.trackedRunId,
    });
    expect(again.outputs).toEqual(r.outputs);
    expect(again.lines.join('\n')).toMatch(/earlier attempt already registered credit@1/);
    expect(await h.keel.models.listVersions('credit')).toHaveLength(1);
  });

  it('registers from a run id or a runs:/ URI; another pipeline run gets its own version', async () => {
    const a = await runStep(
      h,
      registerStep,
      { model: 'credit', from: trained },
      { runId: 2, step: 'register' },
    );
    expect(a.outputs['ref']).toBe('credit@2');
    const b = await runStep(
      h,
      registerStep,
      { model: 'credit', from: `runs:/${trained}/model` },
      { runId: 3, step: 'register' },
    );
    expect(b.outputs['ref']).toBe('credit@3');
    expect((await h.keel.models.getVersion('credit', 3)).runId).toBe(trained);
  });

  it('without with.from, needs exactly one trained model in the pipeline run; nothing is registered otherwise', async () => {
    const e = await failure(runStep(h, registerStep, { model: 'other' }, { runId: 9, step: 'register' }));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/no train step of this pipeline run has logged a model; give with\.from/);
    const bad = await failure(
      runStep(h, registerStep, { model: 'other', from: 'nope' }, { runId: 9, step: 'register2' }),
    );
    expect(bad.message).toMatch(/nope/);
    expect((await h.keel.models.list()).map((m) => m.name)).toEqual(['credit']);
  });
});
