/**
 * The registry refuses to delete a version a deployment uses (any route, or the rollback target)
 * and to delete or rename a deployed model — natively and over MLflow's REST API — and deleting a
 * deployment takes its prediction log with it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderCardMarkdown } from '../../src/registry/card/index.js';
import { modelLineage } from '../../src/registry/lineage.js';
import { deleteModel, getModel, renameModel } from '../../src/registry/models.js';
import { deleteModelVersion, getModelVersion } from '../../src/registry/versions.js';
import {
  createDeployment,
  deleteDeployment,
  getDeployment,
  setPrimary,
  setTraffic,
} from '../../src/serving/deployments/index.js';
import { DIALECTS, type TestEnv, testApp } from '../helpers/context.js';
import { type RecordingHooks, recordingHooks, seedRegistry } from '../serving/deployments-fixture.js';
import { keelError, putBlob } from './fixtures.js';

describe.each(DIALECTS)('registry guard for deployed models (%s)', (dialect) => {
  let env: TestEnv & Awaited<ReturnType<typeof testApp>>;
  let hooks: RecordingHooks;
  beforeEach(async () => {
    env = await testApp(dialect);
    await seedRegistry(env.ctx);
    hooks = recordingHooks();
  });
  afterEach(async () => env.cleanup());

  const db = () => env.ctx.store.db;
  /** `loans`: primary credit@2 (from champion), canary 3, shadow 4. */
  const deployLoans = async () => {
    await createDeployment(env.ctx, { name: 'loans', model: 'credit@champion' }, 'alice', hooks);
    await setTraffic(env.ctx, 'loans', { canary: { ref: 3, weight: 10 }, shadows: [4] }, 'alice', hooks);
  };
  const refused = async (p: Promise<unknown>) => {
    const e = await keelError(p);
    expect([e.code, e.status]).toEqual(['INVALID_PARAMETER_VALUE', 400]);
    return e.message;
  };
  const auditCount = async () =>
    Number(
      (
        await db()
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('refuses to delete a version on any route, naming the deployment and the route, and changes nothing', async () => {
    await deployLoans();
    const audits = await auditCount();
    expect(await refused(deleteModelVersion(env.ctx, 'credit', 2, 'alice'))).toBe(
      'credit@2 is the primary of deployment loans; change the deployment first (keel deploy set-primary / rm)',
    );
    expect(await refused(deleteModelVersion(env.ctx, 'credit', 3, 'alice'))).toBe(
      'credit@3 is the canary of deployment loans; change the deployment first (keel deploy set-traffic / rm)',
    );
    expect(await refused(deleteModelVersion(env.ctx, 'credit', 4, 'alice'))).toMatch(
      /^credit@4 is a shadow of deployment loans;/,
    );
    for (const v of [2, 3, 4]) expect((await getModelVersion(env.ctx, 'credit', v)).version).toBe(v);
    expect(await auditCount()).toBe(audits);
    // A version no deployment uses can go.
    await deleteModelVersion(env.ctx, 'credit', 1, 'alice');
    expect((await keelError(getModelVersion(env.ctx, 'credit', 1))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('protects the rollback target and names every deployment using a version', async () => {
    await deployLoans();
    await setPrimary(env.ctx, 'loans', 1, 'alice', hooks); // primary 1, previous 2
    await createDeployment(env.ctx, { name: 'loans-eu', model: 'credit@2' }, 'alice', hooks);
    expect((await getDeployment(env.ctx, 'loans')).spec.previous).toBe(2);
    expect(await refused(deleteModelVersion(env.ctx, 'credit', 2, 'alice'))).toBe(
      'credit@2 is the rollback target (previous primary) of deployment loans, and the primary of deployment loans-eu; change those deployments first (keel deploy set-primary / rm)',
    );
    await deleteDeployment(env.ctx, 'loans-eu', 'alice', hooks);
    await setPrimary(env.ctx, 'loans', 3, 'alice', hooks); // previous 1 now; 2 is free
    await deleteModelVersion(env.ctx, 'credit', 2, 'alice');
    expect((await keelError(getModelVersion(env.ctx, 'credit', 2))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('refuses to delete or rename a deployed model until its deployments are deleted', async () => {
    await deployLoans();
    await setTraffic(
      env.ctx,
      'loans',
      {
        canary: null,
        shadows: [],
        variants: [
          { name: 'a', ref: 2, weight: 50 },
          { name: 'b', ref: 3, weight: 50 },
        ],
      },
      'alice',
      hooks,
    );
    const expected =
      'model credit: it is deployed by deployment loans (credit@2 primary+variant:a, credit@3 variant:b); delete the deployment first (keel deploy rm loans)';
    expect(await refused(deleteModel(env.ctx, 'credit', 'alice'))).toBe(`Cannot delete ${expected}`);
    expect(await refused(renameModel(env.ctx, 'credit', 'credit2', 'alice'))).toBe(
      `Cannot rename ${expected}`,
    );
    expect((await getModel(env.ctx, 'credit')).latestVersion).toBe(6);
    expect((await keelError(getModel(env.ctx, 'credit2'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    // Another model is not held back.
    await renameModel(env.ctx, 'fraud', 'fraud2', 'alice');

    await deleteDeployment(env.ctx, 'loans', 'alice', hooks);
    expect((await renameModel(env.ctx, 'credit', 'credit2', 'alice')).name).toBe('credit2');
    await deleteModel(env.ctx, 'credit2', 'alice');
    expect((await keelError(getModel(env.ctx, 'credit2'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('a version deleted while a deployment change loads it fails the change, not the deployment', async () => {
    await createDeployment(env.ctx, { name: 'loans', model: 'credit@2' }, 'alice', hooks);
    hooks.onPrepare = async () => deleteModelVersion(env.ctx, 'credit', 3, 'bob');
    const e = await keelError(
      setTraffic(env.ctx, 'loans', { canary: { ref: 3, weight: 10 } }, 'alice', hooks),
    );
    expect([e.code, e.message]).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      'Model Version (name=credit, version=3) not found',
    ]);
    const d = await getDeployment(env.ctx, 'loans');
    expect([d.spec.canary, d.revision]).toEqual([null, 1]);

    hooks.onPrepare = async () => deleteModelVersion(env.ctx, 'credit', 4, 'bob');
    expect(
      (await keelError(createDeployment(env.ctx, { name: 'other', model: 'credit@4' }, 'alice', hooks))).code,
    ).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await keelError(getDeployment(env.ctx, 'other'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('answers MLflow clients with 400 INVALID_PARAMETER_VALUE, and the native API with its error body', async () => {
    await deployLoans();
    const send = async (method: 'POST' | 'DELETE', url: string, body?: unknown) => {
      const r = await env.app.inject({
        method,
        url,
        ...(body === undefined
          ? {}
          : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      return { status: r.statusCode, body: r.json() };
    };
    expect(
      await send('DELETE', '/api/2.0/mlflow/model-versions/delete', { name: 'credit', version: '3' }),
    ).toEqual({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          'credit@3 is the canary of deployment loans; change the deployment first (keel deploy set-traffic / rm)',
      },
    });
    const del = await send('DELETE', '/api/2.0/mlflow/registered-models/delete', { name: 'credit' });
    expect([del.status, del.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(del.body.message).toMatch(/^Cannot delete model credit: it is deployed by deployment loans/);
    const ren = await send('POST', '/api/2.0/mlflow/registered-models/rename', {
      name: 'credit',
      new_name: 'credit2',
    });
    expect([ren.status, ren.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);

    const native = await send('DELETE', '/api/v1/models/credit/versions/4');
    expect(native.status).toBe(400);
    expect(native.body.error).toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/^credit@4 is a shadow of deployment loans;/),
    });
  });

  it('lists the deployments in the lineage, over the API, and on the model card', async () => {
    await deployLoans();
    await createDeployment(env.ctx, { name: 'loans-eu', model: 'credit@3' }, 'alice', hooks);
    const deployments = [
      { name: 'loans', routes: ['canary'] },
      { name: 'loans-eu', routes: ['primary'] },
    ];
    expect((await modelLineage(env.ctx, 'credit', 3)).deployments).toEqual(deployments);
    const r = await env.app.inject({ method: 'GET', url: '/api/v1/models/credit/versions/3/lineage' });
    expect([r.statusCode, r.json().deployments]).toEqual([200, deployments]);

    const md = renderCardMarkdown({
      model: { name: 'credit', description: '', tags: {} },
      version: {
        version: 3,
        description: '',
        createdAt: 0,
        createdBy: 'alice',
        onnxSha256: null,
        aliases: [],
        approval: { status: 'pending', actor: null, reason: null, time: null },
        tags: {},
      },
      intendedUse: null,
      signature: null,
      featureSchema: null,
      training: { trainer: null, task: null, target: null, params: {}, metrics: {} },
      datasets: [],
      evaluations: [],
      lineage: { runId: null, runName: null, experiment: null, gitCommit: null, datasets: [], deployments },
      approvals: [],
    });
    expect(md).toContain('loans (canary), loans-eu (primary)');
  });

  it('deleting a deployment deletes its prediction log and the blobs only it referred to', async () => {
    await createDeployment(env.ctx, { name: 'loans', model: 'credit@2' }, 'alice', hooks);
    const own = await putBlob(env.ctx, new TextEncoder().encode('{"row":1}\n'));
    const shared = await putBlob(env.ctx, new TextEncoder().encode('{"row":2}\n'));
    for (const deployment of ['loans', 'keep']) {
      await db()
        .insertInto('prediction_records')
        .values({
          deployment,
          request_id: 'r1',
          row: 0,
          model: 'credit',
          version: 2,
          route: 'primary',
          event_time: 1,
          latency_us: 10,
          prediction: '{"score":0.5}',
        })
        .execute();
      await db()
        .insertInto('prediction_feedback')
        .values({
          deployment,
          request_id: 'r1',
          row: 0,
          label: '1',
          event_time: 1,
          received_at: 2,
          received_by: 'alice',
        })
        .execute();
      await db()
        .insertInto('prediction_windows')
        .values({
          deployment,
          model: 'credit',
          version: 2,
          route: 'primary',
          window_start: 0,
          window_ms: 600_000,
          rows: 1,
          profile: '{}',
          updated_at: 2,
        })
        .execute();
    }
    const segment = (deployment: string, windowStart: number, sha256: string) => ({
      deployment,
      window_start: windowStart,
      window_ms: 600_000,
      rows: 1,
      seen: 1,
      sha256,
      size: 10,
      updated_at: 2,
    });
    await db()
      .insertInto('prediction_segments')
      .values([segment('loans', 0, own), segment('loans', 600_000, shared), segment('keep', 0, shared)])
      .execute();

    await deleteDeployment(env.ctx, 'loans', 'alice', hooks);
    const left = async (
      table: 'prediction_records' | 'prediction_feedback' | 'prediction_windows' | 'prediction_segments',
    ) => (await db().selectFrom(table).select('deployment').execute()).map((r) => r.deployment);
    for (const table of [
      'prediction_records',
      'prediction_feedback',
      'prediction_windows',
      'prediction_segments',
    ] as const) {
      expect(await left(table), table).toEqual(['keep']);
    }
    expect(await env.ctx.blobs.head(own)).toBeNull();
    expect(await env.ctx.blobs.head(shared)).not.toBeNull();
    const audit = await db()
      .selectFrom('audit_log')
      .select(['action', 'object_id'])
      .where('object_type', '=', 'deployment')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({ action: 'deployment.delete', object_id: 'loans' });
    expect(hooks.calls.at(-1)).toEqual({ hook: 'applied', name: 'loans', deployment: null });

    // The same name starts over with an empty log.
    await createDeployment(env.ctx, { name: 'loans', model: 'credit@3' }, 'alice', hooks);
    expect(await left('prediction_records')).toEqual(['keep']);
  });
});
