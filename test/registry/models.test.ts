import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setAlias } from '../../src/registry/aliases.js';
import { reviewVersion } from '../../src/registry/approvals.js';
import { addEvaluation, listEvaluations } from '../../src/registry/evaluations.js';
import {
  createModel,
  deleteModel,
  deleteModelTag,
  getModel,
  listModels,
  renameModel,
  setModelTag,
  updateModel,
} from '../../src/registry/models.js';
import {
  createModelVersion,
  deleteModelVersion,
  getModelVersion,
  listModelVersions,
  setVersionTag,
} from '../../src/registry/versions.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import { keelError, logregOnnx, putBlob, registryCounts } from './fixtures.js';

describe.each(DIALECTS)('registered models (%s)', (dialect) => {
  let env: TestEnv;
  let now = 1_000;
  beforeEach(async () => {
    now = 1_000;
    env = await testEnv(dialect, { clock: { now: () => now } });
  });
  afterEach(async () => env.cleanup());

  const register = async (name: string, seed = 1) =>
    createModelVersion(
      env.ctx,
      { name, onnxSha256: await putBlob(env.ctx, logregOnnx(seed)), requireOnnx: true },
      'alice',
    );

  it('creates, gets, lists, updates and tags models with MLflow messages for clashes and misses', async () => {
    const m = await createModel(
      env.ctx,
      { name: 'credit', description: 'loans', tags: { team: 'risk' } },
      'alice',
    );
    expect(m).toEqual({
      name: 'credit',
      description: 'loans',
      createdAt: 1_000,
      updatedAt: 1_000,
      createdBy: 'alice',
      tags: { team: 'risk' },
      aliases: {},
      latestVersion: null,
    });
    const dup = await keelError(createModel(env.ctx, { name: 'credit' }, 'bob'));
    expect([dup.code, dup.message]).toEqual([
      'RESOURCE_ALREADY_EXISTS',
      'Registered Model (name=credit) already exists.',
    ]);
    const miss = await keelError(getModel(env.ctx, 'nope'));
    expect([miss.code, miss.message]).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      'Registered Model with name=nope not found',
    ]);

    now = 2_000;
    const u = await updateModel(env.ctx, 'credit', { description: 'loan approvals' }, 'bob');
    expect(u).toMatchObject({ description: 'loan approvals', createdAt: 1_000, updatedAt: 2_000 });
    await setModelTag(env.ctx, 'credit', 'owner', 'ann', 'bob');
    await setModelTag(env.ctx, 'credit', 'team', 'credit-risk', 'bob');
    await deleteModelTag(env.ctx, 'credit', 'owner', 'bob');
    expect((await getModel(env.ctx, 'credit')).tags).toEqual({ team: 'credit-risk' });
    expect((await keelError(deleteModelTag(env.ctx, 'credit', 'owner', 'bob'))).code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );

    await createModel(env.ctx, { name: 'churn' }, 'alice');
    expect((await listModels(env.ctx)).map((x) => x.name)).toEqual(['churn', 'credit']);

    const audit = await env.ctx.store.db
      .selectFrom('audit_log')
      .select(['action', 'object_id', 'before', 'after'])
      .where('object_type', '=', 'model')
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'model.create',
      'model.update',
      'model.tag.set',
      'model.tag.set',
      'model.tag.delete',
      'model.create',
    ]);
    expect(JSON.parse(audit[3]!.before!)).toEqual({ team: 'risk' });
    expect(JSON.parse(audit[3]!.after!)).toEqual({ team: 'credit-risk' });
  });

  it.each(
    (
      [
        ['', /Missing value for required parameter 'name'/],
        ['a@b', /may not contain '@'/],
        ['a/b', /may not contain '@', '\/'/],
        [' padded', /nor start or end with a space/],
        ['x'.repeat(257), /more than the limit of 256/, '257 characters'],
      ] as [string, RegExp, string?][]
    ).map(([v, m, label]) => [label ?? JSON.stringify(v), v, m] as const),
  )('refuses the model name %s', async (_label, name, message) => {
    const e = await keelError(createModel(env.ctx, { name }, 'alice'));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(message);
    expect((await registryCounts(env.ctx)).registered_models).toBe(0);
  });

  it('numbers versions from 1 and never reuses a number, even after deletes', async () => {
    await createModel(env.ctx, { name: 'credit' }, 'alice');
    for (const seed of [1, 2, 3]) await register('credit', seed);
    now = 5_000;
    await deleteModelVersion(env.ctx, 'credit', 1, 'alice');
    await deleteModelVersion(env.ctx, 'credit', 3, 'alice');
    expect((await getModel(env.ctx, 'credit')).updatedAt).toBe(5_000);
    expect((await getModel(env.ctx, 'credit')).latestVersion).toBe(2);
    expect((await register('credit', 4)).version).toBe(4);
    expect((await listModelVersions(env.ctx, 'credit')).map((v) => v.version)).toEqual([4, 2]);
    const gone = await keelError(getModelVersion(env.ctx, 'credit', 3));
    expect([gone.code, gone.message]).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      'Model Version (name=credit, version=3) not found',
    ]);

    // Deleting the last version still does not free its number.
    await deleteModelVersion(env.ctx, 'credit', 4, 'alice');
    await deleteModelVersion(env.ctx, 'credit', 2, 'alice');
    expect((await getModel(env.ctx, 'credit')).latestVersion).toBeNull();
    expect((await register('credit', 5)).version).toBe(5);
  });

  it('numbers concurrent registrations distinctly', async () => {
    await createModel(env.ctx, { name: 'credit' }, 'alice');
    const shas = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => putBlob(env.ctx, logregOnnx(s))));
    const versions = await Promise.all(
      shas.map((onnxSha256) => createModelVersion(env.ctx, { name: 'credit', onnxSha256 }, 'alice')),
    );
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('renames a model with its versions, tags, aliases, approvals and evaluations', async () => {
    await createModel(env.ctx, { name: 'credit', tags: { team: 'risk' } }, 'alice');
    await register('credit', 1);
    await register('credit', 2);
    await setVersionTag(env.ctx, 'credit', 1, 'note', 'baseline', 'alice');
    await reviewVersion(env.ctx, 'credit', 1, { status: 'approved', reason: 'ok' }, 'root');
    await setAlias(env.ctx, 'credit', 'champion', 1, 'alice');
    await setAlias(env.ctx, 'credit', 'challenger', 2, 'alice');
    await addEvaluation(env.ctx, 'credit', 1, { result: { auc: 0.8 } }, 'alice');

    await createModel(env.ctx, { name: 'taken' }, 'alice');
    const clash = await keelError(renameModel(env.ctx, 'credit', 'taken', 'alice'));
    expect([clash.code, clash.message]).toEqual([
      'RESOURCE_ALREADY_EXISTS',
      'Registered Model (name=taken) already exists.',
    ]);

    now = 9_000;
    const renamed = await renameModel(env.ctx, 'credit', 'loans', 'alice');
    expect(renamed).toMatchObject({
      name: 'loans',
      tags: { team: 'risk' },
      aliases: { champion: 1, challenger: 2 },
      latestVersion: 2,
      updatedAt: 9_000,
    });
    const v1 = await getModelVersion(env.ctx, 'loans', 1);
    expect(v1).toMatchObject({ name: 'loans', tags: { note: 'baseline' }, aliases: ['champion'] });
    expect(v1.approval).toMatchObject({ status: 'approved', actor: 'root', reason: 'ok' });
    expect((await listEvaluations(env.ctx, 'loans', 1)).map((e) => e.name)).toEqual(['loans']);
    expect((await keelError(getModel(env.ctx, 'credit'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    // The numbering carries over too.
    expect((await register('loans', 3)).version).toBe(3);
    // Nothing is left under the old name in any table.
    for (const t of [
      'model_versions',
      'model_version_tags',
      'model_aliases',
      'model_approvals',
      'model_evaluations',
    ] as const) {
      const left = await env.ctx.store.db.selectFrom(t).select('name').where('name', '=', 'credit').execute();
      expect(left, t).toEqual([]);
    }
    const audit = await env.ctx.store.db
      .selectFrom('audit_log')
      .select(['before', 'after'])
      .where('action', '=', 'model.rename')
      .execute();
    expect(audit.map((a) => [JSON.parse(a.before!), JSON.parse(a.after!)])).toEqual([
      [{ name: 'credit' }, { name: 'loans' }],
    ]);
  });

  it('deletes a model with everything under it; the name can be registered again from version 1', async () => {
    const empty = await registryCounts(env.ctx);
    await createModel(env.ctx, { name: 'credit', tags: { a: 'b' } }, 'alice');
    await register('credit', 1);
    await setVersionTag(env.ctx, 'credit', 1, 'k', 'v', 'alice');
    await reviewVersion(env.ctx, 'credit', 1, { status: 'approved' }, 'root');
    await setAlias(env.ctx, 'credit', 'champion', 1, 'alice');
    await addEvaluation(env.ctx, 'credit', 1, { result: {} }, 'alice');
    await deleteModel(env.ctx, 'credit', 'alice');
    const after = await registryCounts(env.ctx);
    expect({ ...after, audit_log: 0 }).toEqual({ ...empty, audit_log: 0 });
    const entry = await env.ctx.store.db
      .selectFrom('audit_log')
      .select(['before'])
      .where('action', '=', 'model.delete')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(entry.before!)).toEqual({ versions: [1], lastVersion: 1 });
    expect((await keelError(deleteModel(env.ctx, 'credit', 'alice'))).code).toBe('RESOURCE_DOES_NOT_EXIST');

    await createModel(env.ctx, { name: 'credit' }, 'alice');
    expect((await register('credit', 2)).version).toBe(1);
  });
});
