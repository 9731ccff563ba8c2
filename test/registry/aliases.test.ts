import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteAlias, getVersionByAlias, setAlias } from '../../src/registry/aliases.js';
import { approvalHistory, reviewVersion } from '../../src/registry/approvals.js';
import { addEvaluation, listEvaluations } from '../../src/registry/evaluations.js';
import { modelLineage } from '../../src/registry/lineage.js';
import { createModel, getModel } from '../../src/registry/models.js';
import { parseModelRef, resolveModelRef } from '../../src/registry/resolve.js';
import {
  createModelVersion,
  deleteModelVersion,
  getModelVersion,
  setStage,
} from '../../src/registry/versions.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import { datasetVersion, keelError, logregOnnx, putBlob, registryCounts, trainingRun } from './fixtures.js';

describe.each(DIALECTS)('aliases, reviews, refs, evaluations and lineage (%s)', (dialect) => {
  let env: TestEnv;
  let now = 1_000;
  beforeEach(async () => {
    now = 1_000;
    env = await testEnv(dialect, { clock: { now: () => now } });
    await createModel(env.ctx, { name: 'credit' }, 'alice');
    for (const seed of [1, 2, 3]) {
      await createModelVersion(
        env.ctx,
        { name: 'credit', onnxSha256: await putBlob(env.ctx, logregOnnx(seed)) },
        'alice',
      );
    }
  });
  afterEach(async () => env.cleanup());

  const auditOf = async (action: string) =>
    (
      await env.ctx.store.db
        .selectFrom('audit_log')
        .select(['actor', 'object_id', 'before', 'after'])
        .where('action', '=', action)
        .orderBy('seq')
        .execute()
    ).map((a) => ({
      actor: a.actor,
      id: a.object_id,
      before: a.before === null ? null : JSON.parse(a.before),
      after: a.after === null ? null : JSON.parse(a.after),
    }));

  it('sets and moves an alias, one version per alias, each move audited with before and after', async () => {
    await setAlias(env.ctx, 'credit', 'champion', 1, 'alice');
    await setAlias(env.ctx, 'credit', 'challenger', 2, 'alice');
    now = 2_000;
    await setAlias(env.ctx, 'credit', 'champion', 2, 'bob');
    // Setting it to where it already points changes nothing and records nothing.
    await setAlias(env.ctx, 'credit', 'champion', 2, 'bob');
    expect((await getModel(env.ctx, 'credit')).aliases).toEqual({ champion: 2, challenger: 2 });
    expect((await getModelVersion(env.ctx, 'credit', 2)).aliases).toEqual(['challenger', 'champion']);
    expect((await getModelVersion(env.ctx, 'credit', 1)).aliases).toEqual([]);
    expect((await getVersionByAlias(env.ctx, 'credit', 'champion')).version).toBe(2);
    expect(await auditOf('model_alias.set')).toEqual([
      { actor: 'alice', id: 'credit@champion', before: null, after: { version: 1 } },
      { actor: 'alice', id: 'credit@challenger', before: null, after: { version: 2 } },
      { actor: 'bob', id: 'credit@champion', before: { version: 1 }, after: { version: 2 } },
    ]);

    await deleteAlias(env.ctx, 'credit', 'challenger', 'bob');
    expect(await auditOf('model_alias.delete')).toEqual([
      { actor: 'bob', id: 'credit@challenger', before: { version: 2 }, after: null },
    ]);
    const gone = await keelError(getVersionByAlias(env.ctx, 'credit', 'challenger'));
    expect([gone.code, gone.message]).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      'Registered model alias challenger not found for model credit',
    ]);
    expect((await keelError(deleteAlias(env.ctx, 'credit', 'challenger', 'bob'))).code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect((await keelError(setAlias(env.ctx, 'credit', 'champion', 9, 'bob'))).message).toBe(
      'Model Version (name=credit, version=9) not found',
    );

    // Deleting a version removes its aliases.
    await deleteModelVersion(env.ctx, 'credit', 2, 'alice');
    expect((await getModel(env.ctx, 'credit')).aliases).toEqual({});
    expect((await auditOf('model_version.delete'))[0]!.before).toMatchObject({ aliases: ['champion'] });
  });

  it.each(
    (
      [
        ['latest', /'latest' alias name \(case insensitive\) is reserved/],
        ['Latest', /reserved/],
        ['3', /Version alias name '3' is reserved/],
        ['v3', /Version alias name 'v3' is reserved/],
        ['blue green', /Invalid alias name/],
        ['a.b', /Invalid alias name/],
        ['', /cannot be empty/],
        ['a'.repeat(256), /exceeded length limit of 255/, '256 characters'],
      ] as [string, RegExp, string?][]
    ).map(([v, m, label]) => [label ?? JSON.stringify(v), v, m] as const),
  )('refuses the alias name %s', async (_label, alias, message) => {
    const e = await keelError(setAlias(env.ctx, 'credit', alias, 1, 'alice'));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(message);
  });

  it('reviews versions: history, audit, no alias on a rejected version, no rejecting an aliased one', async () => {
    now = 3_000;
    const v = await reviewVersion(
      env.ctx,
      'credit',
      1,
      { status: 'approved', reason: 'AUC 0.83 on holdout' },
      'root',
    );
    expect(v.approval).toEqual({
      status: 'approved',
      actor: 'root',
      reason: 'AUC 0.83 on holdout',
      time: 3_000,
    });
    await setAlias(env.ctx, 'credit', 'champion', 1, 'alice');

    const before = await registryCounts(env.ctx);
    const refused = await keelError(
      reviewVersion(env.ctx, 'credit', 1, { status: 'rejected', reason: 'bias' }, 'root'),
    );
    expect([refused.code, refused.message]).toEqual([
      'INVALID_PARAMETER_VALUE',
      'version 1 of credit is the target of alias champion; remove alias champion first',
    ]);
    expect(await registryCounts(env.ctx)).toEqual(before);

    await reviewVersion(env.ctx, 'credit', 3, { status: 'rejected', reason: 'fails fairness gate' }, 'root');
    const onRejected = await keelError(setAlias(env.ctx, 'credit', 'challenger', 3, 'alice'));
    expect([onRejected.code, onRejected.message]).toEqual([
      'INVALID_PARAMETER_VALUE',
      'version 3 of credit is rejected; an alias cannot point at it',
    ]);
    // Nor may the existing alias be moved onto it.
    expect((await keelError(setAlias(env.ctx, 'credit', 'champion', 3, 'alice'))).code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect(await registryCounts(env.ctx)).toEqual({
      ...before,
      model_approvals: before.model_approvals! + 1,
      audit_log: before.audit_log! + 1,
    });
    expect((await getModel(env.ctx, 'credit')).aliases).toEqual({ champion: 1 });

    // A rejected version can be approved later (a second review), and the history keeps both.
    now = 4_000;
    await reviewVersion(env.ctx, 'credit', 3, { status: 'approved', reason: 'retested' }, 'carol');
    expect(await approvalHistory(env.ctx, 'credit', 3)).toEqual([
      { status: 'rejected', actor: 'root', reason: 'fails fairness gate', time: 3_000 },
      { status: 'approved', actor: 'carol', reason: 'retested', time: 4_000 },
    ]);
    expect((await auditOf('model_version.reject')).map((a) => [a.id, a.before, a.after])).toEqual([
      ['credit@3', { status: 'pending' }, { status: 'rejected', reason: 'fails fairness gate' }],
    ]);
    expect((await auditOf('model_version.approve')).map((a) => a.id)).toEqual(['credit@1', 'credit@3']);
  });

  it('resolves name@version, name@alias and name (the highest approved version)', async () => {
    expect(parseModelRef('credit@2')).toEqual({ name: 'credit', version: 2 });
    expect(parseModelRef('credit@champion')).toEqual({ name: 'credit', alias: 'champion' });
    expect(parseModelRef('credit')).toEqual({ name: 'credit' });
    expect(parseModelRef('models:/credit/2')).toEqual({ name: 'credit', version: 2 });
    expect(parseModelRef('models:/credit@champion')).toEqual({ name: 'credit', alias: 'champion' });
    for (const bad of ['@1', 'credit@', 'credit@0', '']) {
      expect((await keelError(Promise.resolve().then(() => parseModelRef(bad)))).code).toBe(
        'INVALID_PARAMETER_VALUE',
      );
    }

    const none = await keelError(resolveModelRef(env.ctx, 'credit'));
    expect([none.code, none.message]).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      'credit has no approved version; name one as credit@<version> or credit@<alias>',
    ]);
    await reviewVersion(env.ctx, 'credit', 1, { status: 'approved' }, 'root');
    await reviewVersion(env.ctx, 'credit', 3, { status: 'rejected' }, 'root');
    expect((await resolveModelRef(env.ctx, 'credit')).version).toBe(1);
    await reviewVersion(env.ctx, 'credit', 2, { status: 'approved' }, 'root');
    expect((await resolveModelRef(env.ctx, 'credit')).version).toBe(2);
    await setAlias(env.ctx, 'credit', 'champion', 1, 'alice');
    expect((await resolveModelRef(env.ctx, 'credit@champion')).version).toBe(1);
    expect((await resolveModelRef(env.ctx, 'credit@3')).approval.status).toBe('rejected');

    const cases: [string, string][] = [
      ['nope', 'Registered Model with name=nope not found'],
      ['nope@1', 'Registered Model with name=nope not found'],
      ['nope@champion', 'Registered Model with name=nope not found'],
      ['credit@7', 'Model Version (name=credit, version=7) not found'],
      ['credit@shadow', 'Registered model alias shadow not found for model credit'],
    ];
    for (const [ref, message] of cases) {
      const e = await keelError(resolveModelRef(env.ctx, ref));
      expect([ref, e.code, e.message]).toEqual([ref, 'RESOURCE_DOES_NOT_EXIST', message]);
    }
  });

  it('records evaluations against the dataset version they ran on', async () => {
    const holdout = await datasetVersion(env.ctx, 'holdout', 'x1,x2,x3,y\n1,1,1,0\n');
    const e1 = await addEvaluation(
      env.ctx,
      'credit',
      1,
      { datasetRef: 'holdout', result: { auc: 0.81 } },
      'alice',
    );
    expect(e1).toMatchObject({
      name: 'credit',
      version: 1,
      datasetRef: holdout.ref,
      datasetVersionId: holdout.id,
      createdBy: 'alice',
      result: { auc: 0.81 },
    });
    now = 2_000;
    await addEvaluation(env.ctx, 'credit', 1, { datasetRef: null, result: { note: 'smoke' } }, 'bob');
    expect((await listEvaluations(env.ctx, 'credit', 1)).map((e) => e.result)).toEqual([
      { auc: 0.81 },
      { note: 'smoke' },
    ]);
    expect(await listEvaluations(env.ctx, 'credit', 2)).toEqual([]);
    expect((await auditOf('model_evaluation.add')).map((a) => [a.id, a.after.datasetRef])).toEqual([
      ['credit@1', holdout.ref],
      ['credit@1', null],
    ]);
    const before = await registryCounts(env.ctx);
    expect(
      (await keelError(addEvaluation(env.ctx, 'credit', 1, { datasetRef: 'holdout@5', result: {} }, 'a')))
        .code,
    ).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await keelError(addEvaluation(env.ctx, 'credit', 8, { result: {} }, 'a'))).code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect(await registryCounts(env.ctx)).toEqual(before);
  });

  it('moves MLflow stages, archiving the versions already there', async () => {
    await setStage(env.ctx, 'credit', 1, 'production', false, 'alice');
    await setStage(env.ctx, 'credit', 2, 'Staging', false, 'alice');
    now = 5_000;
    const v3 = await setStage(env.ctx, 'credit', 3, 'Production', true, 'alice');
    expect(v3).toMatchObject({ stage: 'Production', updatedAt: 5_000 });
    const stages = await Promise.all(
      [1, 2, 3].map(async (n) => (await getModelVersion(env.ctx, 'credit', n)).stage),
    );
    expect(stages).toEqual(['Archived', 'Staging', 'Production']);
    expect((await getModel(env.ctx, 'credit')).updatedAt).toBe(5_000);
    expect((await keelError(setStage(env.ctx, 'credit', 1, 'Live', false, 'alice'))).message).toBe(
      'Invalid Model Version stage: Live. Value must be one of None, Staging, Production, Archived.',
    );
    await reviewVersion(env.ctx, 'credit', 1, { status: 'rejected' }, 'root');
    expect((await keelError(setStage(env.ctx, 'credit', 1, 'Staging', false, 'alice'))).code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('draws lineage: dataset versions → run (params, git commit) → version → aliases', async () => {
    const { runId, datasetRef } = await trainingRun(env.ctx, { onnx: logregOnnx(7), dataset: 'loans' });
    const v = await createModelVersion(env.ctx, { name: 'credit', runId }, 'alice');
    await reviewVersion(env.ctx, 'credit', v.version, { status: 'approved', reason: 'ok' }, 'root');
    await setAlias(env.ctx, 'credit', 'champion', v.version, 'alice');
    const g = await modelLineage(env.ctx, 'credit', v.version);
    const loans = await datasetVersion(env.ctx, 'loans', 'x1,x2,x3,y\n1,2,3,0\n2,3,4,1\n');
    expect(g).toEqual({
      datasets: [{ ref: datasetRef, name: 'loans', version: 1, contentHash: loans.contentHash, rows: 2 }],
      run: {
        runId,
        runName: 'train-credit',
        experimentId: '0',
        experimentName: 'Default',
        params: { lr: '0.1', trainer: 'logistic' },
        gitCommit: 'abc123def',
        sourceName: null,
        startTime: expect.any(Number),
      },
      version: {
        name: 'credit',
        version: 4,
        approval: expect.objectContaining({ status: 'approved' }),
        onnx: v.onnx,
      },
      aliases: ['champion'],
      deployments: [],
    });
    const plain = await modelLineage(env.ctx, 'credit', 1);
    expect(plain).toMatchObject({ datasets: [], run: null, aliases: [] });
  });
});
