import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateStep } from '../../../src/pipelines/steps/builtins/evaluate.js';
import { registerStep } from '../../../src/pipelines/steps/builtins/register.js';
import { trainStep } from '../../../src/pipelines/steps/builtins/train.js';
import { DIALECTS } from '../../helpers/context.js';
import { addLoans, failure, type Harness, harness, loans, runStep } from './fixture.js';

describe('evaluate step: parse', () => {
  it('reads store and positive as a pipeline may write them; names bad fields', async () => {
    expect(
      evaluateStep.parse(
        { model: 'credit@1', data: 'loans', store: 'false', positive: 1 },
        { resolved: true },
      ),
    ).toEqual({
      model: 'credit@1',
      data: 'loans',
      store: false,
      positive: '1',
    });
    const missing = await failure(() => evaluateStep.parse({ model: 'credit@1' }, { resolved: true }));
    expect(missing.details?.field).toBe('with.data');
    const store = await failure(() =>
      evaluateStep.parse({ model: 'm', data: 'd', store: 'maybe' }, { resolved: true }),
    );
    expect(store.details?.field).toBe('with.store');
    expect(store.message).toMatch(/true or false/);
  });
});

describe.each(DIALECTS)('evaluate step (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(dialect);
    await addLoans(h, 'loans', loans(1, 300));
    await addLoans(h, 'holdout', loans(5, 150));
    await runStep(
      h,
      trainStep,
      { data: 'loans', trainer: 'logistic', target: 'approved' },
      { step: 'train' },
    );
    await runStep(h, registerStep, { model: 'credit' }, { step: 'register' });
  });
  afterAll(() => h?.cleanup());

  it('stores the evaluation with the version and outputs its headline metrics; a retry reuses it', async () => {
    const w = { model: 'credit@1', data: 'holdout', slice_by: 'elevel', sensitive: 'zipcode', positive: 1 };
    const r = await runStep(h, evaluateStep, w);
    const stored = await h.keel.models.listEvaluations('credit', 1);
    expect(stored).toHaveLength(1);
    expect(r.outputs).toMatchObject({
      model: 'credit@1',
      data: 'holdout@1',
      eval_id: stored[0]!.evalId,
      rows: 150,
    });
    for (const k of ['accuracy', 'f1', 'roc_auc', 'log_loss']) expect(typeof r.outputs[k], k).toBe('number');
    expect(r.outputs['accuracy']).toBeGreaterThan(0.5);
    expect(typeof r.outputs['demographic_parity_difference']).toBe('number');
    expect(r.metrics?.['accuracy']).toBe(r.outputs['accuracy']);
    const result = stored[0]!.result as {
      metrics: Record<string, number>;
      slices: { column: string };
      tags: Record<string, string>;
    };
    expect(result.metrics['accuracy']).toBe(r.outputs['accuracy']);
    expect(result.slices.column).toBe('elevel');
    expect(result.tags).toEqual({
      'keel.pipeline': 'test',
      'keel.pipeline.run': '1',
      'keel.pipeline.step': 'evaluate',
    });
    expect(stored[0]!.datasetRef).toBe('holdout@1');
    const run = await h.keel.runs.get(r.b.trackedRunId);
    expect(run.inputs.datasetInputs.map((d) => d.dataset.source)).toEqual(['keel://holdout@1']);

    const again = await runStep(h, evaluateStep, w, { trackedRunId: r.b.trackedRunId });
    expect(again.outputs).toEqual(r.outputs);
    expect(again.lines.join('\n')).toMatch(/earlier attempt already stored evaluation/);
    expect(await h.keel.models.listEvaluations('credit', 1)).toHaveLength(1);
  });

  it('with store: false records nothing', async () => {
    const r = await runStep(
      h,
      evaluateStep,
      { model: 'credit@1', data: 'holdout', store: false },
      { runId: 2 },
    );
    expect(r.outputs['eval_id']).toBeNull();
    expect(await h.keel.models.listEvaluations('credit', 1)).toHaveLength(1);
  });

  it('names a column the data lacks as with.<field> and stores nothing', async () => {
    const e = await failure(
      runStep(h, evaluateStep, { model: 'credit@1', data: 'holdout', slice_by: 'region' }, { runId: 3 }),
    );
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.details?.field).toBe('with.slice_by');
    expect(e.message).toMatch(/column "region" is not in the dataset/);
    const p = await failure(
      runStep(h, evaluateStep, { model: 'credit@1', data: 'holdout', positive: 'yes' }, { runId: 3 }),
    );
    expect(p.message).toMatch(/with\.positive yes is not one of the classes \(0, 1\)/);
    expect(await h.keel.models.listEvaluations('credit', 1)).toHaveLength(1);
  });
});
