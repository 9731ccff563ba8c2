import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.js';
import { closeContext, openContext } from '../../src/context.js';
import { modelLineage } from '../../src/registry/lineage.js';
import { Keel } from '../../src/sdk/index.js';
import type { Transport, TransportRequest, TransportResponse } from '../../src/sdk/transport.js';
import {
  createDeployment,
  deleteDeployment,
  getDeployment,
  listDeployments,
  promote,
  rollback,
  setPrimary,
  setTraffic,
  updateSettings,
} from '../../src/serving/deployments/index.js';
import { DEFAULT_BATCHING, DEFAULT_LOG } from '../../src/serving/types.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import { keelError } from '../registry/fixtures.js';
import { deploymentApp, type RecordingHooks, recordingHooks, seedRegistry } from './deployments-fixture.js';

describe.each(DIALECTS)('deployments (%s)', (dialect) => {
  let env: TestEnv;
  let hooks: RecordingHooks;
  let now = 1_000;
  beforeEach(async () => {
    now = 1_000;
    env = await testEnv(dialect, { clock: { now: () => now } });
    await seedRegistry(env.ctx);
    hooks = recordingHooks();
  });
  afterEach(async () => env.cleanup());

  const create = (name = 'credit-api', model = 'credit@champion') =>
    createDeployment(env.ctx, { name, model }, 'alice', hooks);
  const traffic = (change: Parameters<typeof setTraffic>[2], actor = 'alice') =>
    setTraffic(env.ctx, 'credit-api', change, actor, hooks);
  const auditOf = async (action?: string) =>
    (
      await env.ctx.store.db
        .selectFrom('audit_log')
        .select(['actor', 'action', 'object_type', 'object_id', 'before', 'after'])
        .where('object_type', '=', 'deployment')
        .$if(action !== undefined, (q) => q.where('action', '=', action!))
        .orderBy('seq')
        .execute()
    ).map((a) => ({
      actor: a.actor,
      action: a.action,
      id: a.object_id,
      before: a.before === null ? null : JSON.parse(a.before),
      after: a.after === null ? null : JSON.parse(a.after),
    }));
  const auditCount = async () =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('creates from an alias: the ref resolves to a version, is kept as sourceRef, audited, hooks called in order', async () => {
    now = 5_000;
    const d = await create();
    expect(d).toEqual({
      name: 'credit-api',
      description: '',
      sourceRef: 'credit@champion',
      spec: {
        model: 'credit',
        primary: 2,
        previous: null,
        canary: null,
        variants: [],
        shadows: [],
        sticky: null,
        batching: DEFAULT_BATCHING,
        log: DEFAULT_LOG,
      },
      revision: 1,
      createdAt: 5_000,
      updatedAt: 5_000,
      createdBy: 'alice',
    });
    expect(hooks.calls).toEqual([
      { hook: 'prepare', name: 'credit-api', spec: d.spec },
      { hook: 'applied', name: 'credit-api', deployment: d },
    ]);
    expect(await getDeployment(env.ctx, 'credit-api')).toEqual(d);
    expect(await auditOf()).toEqual([
      {
        actor: 'alice',
        action: 'deployment.create',
        id: 'credit-api',
        before: null,
        after: { revision: 1, description: '', spec: d.spec, sourceRef: 'credit@champion' },
      },
    ]);

    // The bare name is the latest approved version; settings override the defaults field by field.
    const b = await createDeployment(
      env.ctx,
      {
        name: 'b.credit_2',
        model: 'credit',
        description: 'batch scoring',
        batching: { maxBatchRows: 256, workers: 2 },
        log: { enabled: false },
      },
      'bob',
      hooks,
    );
    expect(b.spec).toMatchObject({
      primary: 2,
      batching: { ...DEFAULT_BATCHING, maxBatchRows: 256, workers: 2 },
      log: { ...DEFAULT_LOG, enabled: false },
    });
    expect((await listDeployments(env.ctx)).map((x) => [x.name, x.spec.primary])).toEqual([
      ['b.credit_2', 2],
      ['credit-api', 2],
    ]);
  });

  it('refuses bad names, duplicates, versions without ONNX or rejected, and bad settings — writing nothing', async () => {
    await create();
    const before = await auditCount();
    hooks.calls = [];
    const dup = await keelError(create('credit-api', 'credit@3'));
    expect([dup.code, dup.message]).toEqual([
      'RESOURCE_ALREADY_EXISTS',
      "Deployment 'credit-api' already exists",
    ]);
    for (const name of ['', '-x', 'a b', 'a/b', 'x'.repeat(65)]) {
      expect((await keelError(create(name))).code).toBe('INVALID_PARAMETER_VALUE');
    }
    const noOnnx = await keelError(create('s3', 'credit@5'));
    expect([noOnnx.code, noOnnx.message]).toEqual([
      'INVALID_PARAMETER_VALUE',
      'credit@5 has no ONNX model (registered through MLflow without model.onnx); only ONNX versions can be deployed',
    ]);
    expect((await keelError(create('rej', 'credit@6'))).message).toBe(
      'credit@6 was rejected in review; it cannot serve traffic',
    );
    const missing = await keelError(create('x', 'credit@9'));
    expect([missing.code, missing.status]).toEqual(['RESOURCE_DOES_NOT_EXIST', 404]);
    expect((await keelError(create('x', 'nope@1'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    const q = await keelError(
      createDeployment(
        env.ctx,
        { name: 'x', model: 'credit@2', batching: { maxBatchRows: 128, maxQueueRows: 64 } },
        'alice',
        hooks,
      ),
    );
    expect([q.code, q.details]).toEqual(['INVALID_PARAMETER_VALUE', { field: 'batching.maxQueueRows' }]);
    const bad = [
      { batching: { maxBatchRows: 0 } },
      { batching: { maxBatchRows: 65_537 } },
      { batching: { maxDelayUs: 1_000_001 } },
      { batching: { timeoutMs: 0 } },
      { batching: { workers: 17 } },
      { batching: { threads: 0 } },
      { batching: { workers: 1.5 } },
      { log: { windowSeconds: 9 } },
      { log: { windowSeconds: 86_401 } },
      { log: { sampleRows: -1 } },
      { log: { sampleRows: 1_000_001 } },
    ];
    for (const settings of bad) {
      const e = await keelError(
        createDeployment(env.ctx, { name: 'x', model: 'credit@2', ...settings }, 'a', hooks),
      );
      expect(e.code, JSON.stringify(settings)).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(hooks.calls).toEqual([]);
    expect(await auditCount()).toBe(before);
    expect((await listDeployments(env.ctx)).map((d) => d.name)).toEqual(['credit-api']);
    const gone = await keelError(getDeployment(env.ctx, 'nope'));
    expect([gone.code, gone.status, gone.message]).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      404,
      "Deployment 'nope' not found",
    ]);
  });

  it('sets, re-weights and clears a canary; version refs are read against the deployment model', async () => {
    await create();
    now = 2_000;
    let d = await traffic({ canary: { ref: '@challenger', weight: 10 } });
    expect([d.spec.canary, d.revision, d.updatedAt]).toEqual([{ version: 3, weight: 10 }, 2, 2_000]);
    d = await traffic({ canary: { weight: 25 } });
    expect([d.spec.canary, d.revision]).toEqual([{ version: 3, weight: 25 }, 3]);
    // A new canary version keeps the current weight; every ref form names a version of credit.
    for (const [ref, version] of [
      [4, 4],
      ['3', 3],
      ['@4', 4],
      ['credit@challenger', 3],
      ['models:/credit/4', 4],
    ] as const) {
      d = await traffic({ canary: { ref } });
      expect(d.spec.canary, String(ref)).toEqual({ version, weight: 25 });
    }
    d = await traffic({ canary: { version: 3, weight: 0 } });
    expect(d.spec.canary).toEqual({ version: 3, weight: 0 });

    // The same change again writes nothing and does not bother the runtime.
    hooks.calls = [];
    const same = await traffic({ canary: { version: 3, weight: 0 } });
    expect([same.revision, hooks.calls]).toEqual([d.revision, []]);

    const other = await keelError(traffic({ canary: { ref: 'fraud@1', weight: 5 } }));
    expect([other.code, other.message]).toEqual([
      'INVALID_PARAMETER_VALUE',
      "canary.ref 'fraud@1' names model 'fraud', but every route of this deployment serves model 'credit'",
    ]);
    expect((await keelError(traffic({ canary: { ref: '@champion' } }))).message).toBe(
      'the canary cannot be version 2: it is already the primary',
    );
    expect((await keelError(traffic({ canary: { weight: 101 } }))).details).toEqual({
      field: 'canary.weight',
    });
    expect((await keelError(traffic({ canary: { weight: 12.5 } }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await keelError(traffic({ canary: { ref: 9 } }))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await keelError(traffic({ canary: { ref: '@nope' } }))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await keelError(traffic({ canary: { ref: 5 } }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await keelError(traffic({ canary: { ref: 3, version: 3 } }))).code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect((await keelError(traffic({}))).message).toBe(
      'nothing to change: give canary, variants, shadows or sticky',
    );

    d = await traffic({ canary: null });
    expect(d.spec.canary).toBeNull();
    const noCanary = await keelError(traffic({ canary: { weight: 5 } }));
    expect([noCanary.code, noCanary.status]).toEqual(['INVALID_STATE', 400]);
    expect((await keelError(traffic({ canary: { ref: 3 } }))).message).toBe(
      'a new canary needs a weight: the percentage of traffic it takes (0–100)',
    );
    expect((await getDeployment(env.ctx, 'credit-api')).revision).toBe(d.revision);
  });

  it('validates A/B variants and keeps them exclusive with a canary', async () => {
    await create();
    const ab = (variants: { name: string; ref: string | number; weight: number }[]) => traffic({ variants });
    const err = async (p: Promise<unknown>) => {
      const e = await keelError(p);
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      return e.message;
    };
    expect(
      await err(
        ab([
          { name: 'a', ref: 2, weight: 50 },
          { name: 'b', ref: 3, weight: 40 },
        ]),
      ),
    ).toBe('variant weights must sum to 100, got a=50 + b=40 = 90');
    expect(await err(ab([{ name: 'a', ref: 2, weight: 100 }]))).toBe(
      'an A/B test needs at least two variants',
    );
    expect(
      await err(
        ab([
          { name: 'A', ref: 2, weight: 50 },
          { name: 'b', ref: 3, weight: 50 },
        ]),
      ),
    ).toMatch(/^Invalid variant name 'A'/);
    expect(
      await err(
        ab([
          { name: 'canary', ref: 2, weight: 50 },
          { name: 'b', ref: 3, weight: 50 },
        ]),
      ),
    ).toBe("Variant name 'canary' is reserved for the canary route");
    expect(
      await err(
        ab([
          { name: 'a', ref: 2, weight: 50 },
          { name: 'a', ref: 3, weight: 50 },
        ]),
      ),
    ).toBe("variant 'a' is named twice");
    expect(
      await err(
        ab([
          { name: 'a', ref: 2, weight: 50 },
          { name: 'b', ref: 'fraud@1', weight: 50 },
        ]),
      ),
    ).toMatch(/names model 'fraud'/);

    await traffic({ canary: { ref: 3, weight: 10 } });
    expect(
      await err(
        ab([
          { name: 'a', ref: 2, weight: 50 },
          { name: 'b', ref: 3, weight: 50 },
        ]),
      ),
    ).toBe('a deployment routes a canary (version 3) or an A/B test, not both: clear the canary first');
    // Clearing the canary in the same change is fine.
    const d = await traffic({
      canary: null,
      variants: [
        { name: 'control', ref: '@champion', weight: 70 },
        { name: 'new-model_1', ref: 'credit@challenger', weight: 30 },
      ],
    });
    expect([d.spec.canary, d.spec.variants]).toEqual([
      null,
      [
        { name: 'control', version: 2, weight: 70 },
        { name: 'new-model_1', version: 3, weight: 30 },
      ],
    ]);
    expect(await err(traffic({ canary: { ref: 4, weight: 5 } }))).toMatch(/not both/);
    expect((await traffic({ variants: [] })).spec.variants).toEqual([]);
  });

  it('replaces and clears shadows and sticky assignment', async () => {
    await create();
    let d = await traffic({ shadows: ['@challenger', 4] });
    expect(d.spec.shadows).toEqual([3, 4]);
    expect((await keelError(traffic({ shadows: [2] }))).message).toBe(
      'version 2 is the primary; it cannot also be a shadow',
    );
    expect((await keelError(traffic({ shadows: [3, 'credit@3'] }))).message).toBe(
      'version 3 is listed twice as a shadow',
    );
    expect((await keelError(traffic({ shadows: [6] }))).message).toMatch(/rejected/);
    d = await traffic({ sticky: { header: 'X-User-Id' } });
    expect([d.spec.sticky, d.spec.shadows]).toEqual([{ header: 'x-user-id' }, [3, 4]]);
    d = await traffic({ sticky: { field: 'customer_id' } });
    expect(d.spec.sticky).toEqual({ field: 'customer_id' });
    expect((await keelError(traffic({ sticky: { header: 'a b' } }))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await keelError(traffic({ sticky: { field: '' } }))).code).toBe('INVALID_PARAMETER_VALUE');
    d = await traffic({ shadows: null, sticky: null });
    expect([d.spec.shadows, d.spec.sticky, d.revision]).toEqual([[], null, 5]);
  });

  it('promotes the canary, keeps the old primary for rollback, and rolls back and forth', async () => {
    await create();
    const fresh = await keelError(promote(env.ctx, 'credit-api', 'alice', hooks));
    expect([fresh.code, fresh.status, fresh.message]).toEqual([
      'INVALID_STATE',
      400,
      "Deployment 'credit-api' has no canary to promote: set a canary first, or switch the primary directly",
    ]);
    const noPrev = await keelError(rollback(env.ctx, 'credit-api', 'alice', hooks));
    expect([noPrev.code, noPrev.status]).toEqual(['INVALID_STATE', 400]);

    await traffic({ canary: { ref: '@challenger', weight: 10 }, shadows: [4] });
    const before = await getDeployment(env.ctx, 'credit-api');
    let d = await promote(env.ctx, 'credit-api', 'bob', hooks);
    expect(d.spec).toMatchObject({ primary: 3, previous: 2, canary: null, shadows: [4] });
    expect(await auditOf('deployment.promote')).toEqual([
      {
        actor: 'bob',
        action: 'deployment.promote',
        id: 'credit-api',
        before: { revision: before.revision, description: '', spec: before.spec },
        after: { revision: before.revision + 1, description: '', spec: d.spec },
      },
    ]);
    d = await rollback(env.ctx, 'credit-api', 'bob', hooks);
    expect(d.spec).toMatchObject({ primary: 2, previous: 3, canary: null });
    d = await rollback(env.ctx, 'credit-api', 'bob', hooks);
    expect(d.spec).toMatchObject({ primary: 3, previous: 2 });

    // Rollback clears a canary set after the promote.
    await traffic({ canary: { ref: 1, weight: 5 } });
    d = await rollback(env.ctx, 'credit-api', 'bob', hooks);
    expect(d.spec).toMatchObject({ primary: 2, previous: 3, canary: null });

    // A direct switch: the old primary becomes previous; the new primary leaves shadow and canary routes.
    await traffic({ canary: { ref: 1, weight: 5 } });
    d = await setPrimary(env.ctx, 'credit-api', '4', 'bob', hooks);
    expect(d.spec).toMatchObject({ primary: 4, previous: 2, shadows: [], canary: { version: 1, weight: 5 } });
    d = await setPrimary(env.ctx, 'credit-api', 'credit@1', 'bob', hooks);
    expect(d.spec).toMatchObject({ primary: 1, previous: 4, canary: null });
    const unchanged = await setPrimary(env.ctx, 'credit-api', 1, 'bob', hooks);
    expect(unchanged.revision).toBe(d.revision);
    expect((await keelError(setPrimary(env.ctx, 'credit-api', 'fraud@1', 'bob', hooks))).message).toMatch(
      /names model 'fraud'/,
    );
    expect((await auditOf()).map((a) => a.action)).toEqual([
      'deployment.create',
      'deployment.traffic',
      'deployment.promote',
      'deployment.rollback',
      'deployment.rollback',
      'deployment.traffic',
      'deployment.rollback',
      'deployment.traffic',
      'deployment.primary',
      'deployment.primary',
    ]);
  });

  it('writes nothing when the runtime refuses the new spec in prepare', async () => {
    await create();
    await traffic({ canary: { ref: 3, weight: 10 } });
    const stored = await getDeployment(env.ctx, 'credit-api');
    const audits = await auditCount();
    const refusal = new Error('version 4 failed to load: bad graph');
    hooks.onPrepare = async () => {
      throw refusal;
    };
    hooks.calls = [];
    for (const attempt of [
      () => traffic({ canary: { ref: 4 } }),
      () => promote(env.ctx, 'credit-api', 'alice', hooks),
      () => setPrimary(env.ctx, 'credit-api', 4, 'alice', hooks),
      () => updateSettings(env.ctx, 'credit-api', { batching: { workers: 4 } }, 'alice', hooks),
      () => create('other', 'credit@4'),
    ]) {
      expect(
        await attempt().then(
          () => null,
          (e: unknown) => e,
        ),
      ).toBe(refusal);
    }
    expect(hooks.calls.map((c) => c.hook)).toEqual(['prepare', 'prepare', 'prepare', 'prepare', 'prepare']);
    expect(await getDeployment(env.ctx, 'credit-api')).toEqual(stored);
    expect(await auditCount()).toBe(audits);
    expect((await listDeployments(env.ctx)).map((d) => d.name)).toEqual(['credit-api']);
  });

  it('updates settings within their ranges and deletes, telling the runtime with null', async () => {
    await create();
    let d = await updateSettings(
      env.ctx,
      'credit-api',
      { description: 'loans', batching: { maxBatchRows: 32, maxDelayUs: 500 }, log: { windowSeconds: 60 } },
      'carol',
      hooks,
    );
    expect([d.description, d.spec.batching, d.spec.log, d.revision]).toEqual([
      'loans',
      { ...DEFAULT_BATCHING, maxBatchRows: 32, maxDelayUs: 500 },
      { ...DEFAULT_LOG, windowSeconds: 60 },
      2,
    ]);
    expect((await auditOf('deployment.update'))[0]).toMatchObject({
      actor: 'carol',
      before: { revision: 1, description: '' },
      after: { revision: 2, description: 'loans', spec: { batching: { maxBatchRows: 32 } } },
    });
    const e = await keelError(
      updateSettings(env.ctx, 'credit-api', { batching: { maxQueueRows: 16 } }, 'c', hooks),
    );
    expect(e.message).toBe('batching.maxQueueRows (16) must be at least batching.maxBatchRows (32)');
    d = await updateSettings(env.ctx, 'credit-api', {}, 'carol', hooks);
    expect(d.revision).toBe(2);
    // The change is stored once prepared; a runtime failing to apply it does not undo or fail it.
    const applied = hooks.applied;
    hooks.applied = async () => {
      throw new Error('runtime is gone');
    };
    d = await updateSettings(env.ctx, 'credit-api', { description: 'loans v2' }, 'carol', hooks);
    expect([d.revision, (await getDeployment(env.ctx, 'credit-api')).description]).toEqual([3, 'loans v2']);
    hooks.applied = applied;

    hooks.calls = [];
    await deleteDeployment(env.ctx, 'credit-api', 'carol', hooks);
    expect(hooks.calls).toEqual([{ hook: 'applied', name: 'credit-api', deployment: null }]);
    expect((await auditOf('deployment.delete'))[0]).toMatchObject({
      actor: 'carol',
      before: { revision: 3, description: 'loans v2' },
      after: null,
    });
    expect((await keelError(getDeployment(env.ctx, 'credit-api'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await keelError(deleteDeployment(env.ctx, 'credit-api', 'carol', hooks))).status).toBe(404);
    expect((await keelError(promote(env.ctx, 'credit-api', 'carol', hooks))).status).toBe(404);
  });

  it('recomputes a change once when another writer got in while the runtime prepared it, then gives up with 409', async () => {
    await create();
    hooks.calls = [];
    const other = recordingHooks();
    // While our canary change is being prepared, someone else adds a shadow.
    let interfered = 0;
    hooks.onPrepare = async () => {
      if (interfered++ === 0) await setTraffic(env.ctx, 'credit-api', { shadows: [4] }, 'bob', other);
    };
    const d = await traffic({ canary: { ref: 3, weight: 10 } });
    expect([d.spec.canary, d.spec.shadows, d.revision]).toEqual([{ version: 3, weight: 10 }, [4], 3]);
    expect(hooks.calls.filter((c) => c.hook === 'prepare')).toHaveLength(2);
    expect(await getDeployment(env.ctx, 'credit-api')).toEqual(d);

    // Someone changes it every time: the second attempt reports a conflict and writes nothing of ours.
    let weight = 0;
    hooks.onPrepare = async () => {
      await setTraffic(env.ctx, 'credit-api', { canary: { weight: ++weight } }, 'bob', other);
    };
    const e = await keelError(traffic({ sticky: { header: 'x-user' } }));
    expect([e.code, e.status]).toEqual(['RESOURCE_CONFLICT', 409]);
    const now2 = await getDeployment(env.ctx, 'credit-api');
    expect([now2.spec.sticky, now2.spec.canary, now2.revision]).toEqual([null, { version: 3, weight: 2 }, 5]);
  });

  it('persists across a restart and shows in the lineage of the versions it routes to', async () => {
    await create();
    await traffic({ canary: { ref: 3, weight: 20 }, shadows: [4], sticky: { header: 'x-user' } });
    await create('credit-ab', 'credit@3');
    await setTraffic(
      env.ctx,
      'credit-ab',
      {
        variants: [
          { name: 'a', ref: 3, weight: 50 },
          { name: 'b', ref: 1, weight: 50 },
        ],
      },
      'alice',
      hooks,
    );
    const stored = await listDeployments(env.ctx);
    const reopened = await openContext(env.config);
    try {
      expect(await listDeployments(reopened)).toEqual(stored);
      expect((await getDeployment(reopened, 'credit-api')).spec).toMatchObject({
        primary: 2,
        canary: { version: 3, weight: 20 },
        shadows: [4],
        sticky: { header: 'x-user' },
      });
    } finally {
      await closeContext(reopened);
    }
    expect((await modelLineage(env.ctx, 'credit', 3)).deployments).toEqual([
      { name: 'credit-ab', routes: ['primary', 'variant:a'] },
      { name: 'credit-api', routes: ['canary'] },
    ]);
    expect((await modelLineage(env.ctx, 'credit', 1)).deployments).toEqual([
      { name: 'credit-ab', routes: ['variant:b'] },
    ]);
    expect((await modelLineage(env.ctx, 'credit', 4)).deployments).toEqual([
      { name: 'credit-api', routes: ['shadow'] },
    ]);
    expect((await modelLineage(env.ctx, 'fraud', 1)).deployments).toEqual([]);
  });

  describe('over /api/v1', () => {
    let app: FastifyInstance;
    beforeEach(async () => {
      app = await deploymentApp(env.ctx, hooks);
    });
    afterEach(async () => app.close());

    const call = async (method: string, url: string, body?: unknown, token?: string) => {
      const r = await app.inject({
        method: method as 'GET',
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(body !== undefined ? { payload: body as object } : {}),
      });
      return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
    };

    it('creates, reads with status, shifts traffic, promotes, rolls back, switches, patches and deletes', async () => {
      const c = await call('POST', '/api/v1/deployments', {
        name: 'credit-api',
        model: 'credit@champion',
        batching: { maxBatchRows: 16 },
      });
      expect(c.status).toBe(200);
      expect(c.body).toMatchObject({
        name: 'credit-api',
        sourceRef: 'credit@champion',
        createdBy: 'local',
        revision: 1,
        spec: { model: 'credit', primary: 2, batching: { maxBatchRows: 16 } },
      });
      expect((await call('GET', '/api/v1/deployments/credit-api')).body.status).toBeNull();
      hooks.statuses.set('credit-api', {
        ready: true,
        versions: [{ version: 2, routes: ['primary'], state: 'ready' }],
      });
      const got = await call('GET', '/api/v1/deployments/credit-api');
      expect(got.body).toEqual({
        ...c.body,
        status: { ready: true, versions: [{ version: 2, routes: ['primary'], state: 'ready' }] },
      });
      expect((await call('GET', '/api/v1/deployments')).body.deployments).toEqual([got.body]);

      const t = await call('POST', '/api/v1/deployments/credit-api/traffic', {
        canary: { ref: '@challenger', weight: 10 },
        sticky: { header: 'X-User' },
      });
      expect([t.status, t.body.spec.canary, t.body.spec.sticky]).toEqual([
        200,
        { version: 3, weight: 10 },
        { header: 'x-user' },
      ]);
      const p = await call('POST', '/api/v1/deployments/credit-api/promote');
      expect([p.status, p.body.spec.primary, p.body.spec.previous, p.body.spec.canary]).toEqual([
        200,
        3,
        2,
        null,
      ]);
      const r = await call('POST', '/api/v1/deployments/credit-api/rollback', {});
      expect([r.status, r.body.spec.primary, r.body.spec.previous]).toEqual([200, 2, 3]);
      const s = await call('POST', '/api/v1/deployments/credit-api/primary', { model: 4 });
      expect([s.status, s.body.spec.primary, s.body.spec.previous]).toEqual([200, 4, 2]);
      const u = await call('PATCH', '/api/v1/deployments/credit-api', {
        description: 'loans',
        log: { enabled: false },
      });
      expect([u.status, u.body.description, u.body.spec.log.enabled, u.body.revision]).toEqual([
        200,
        'loans',
        false,
        6,
      ]);
      expect(await call('DELETE', '/api/v1/deployments/credit-api')).toEqual({ status: 200, body: {} });
      expect(hooks.calls.at(-1)).toEqual({ hook: 'applied', name: 'credit-api', deployment: null });
      expect((await call('GET', '/api/v1/deployments')).body).toEqual({ deployments: [] });
    });

    it('answers errors with stable codes and statuses, naming the field', async () => {
      await call('POST', '/api/v1/deployments', { name: 'credit-api', model: 'credit@2' });
      expect(await call('GET', '/api/v1/deployments/nope')).toEqual({
        status: 404,
        body: {
          error: { code: 'RESOURCE_DOES_NOT_EXIST', message: "Deployment 'nope' not found", field: 'name' },
        },
      });
      expect(await call('POST', '/api/v1/deployments', { name: 'credit-api', model: 'credit@3' })).toEqual({
        status: 400,
        body: {
          error: { code: 'RESOURCE_ALREADY_EXISTS', message: "Deployment 'credit-api' already exists" },
        },
      });
      const promote = await call('POST', '/api/v1/deployments/credit-api/promote');
      expect([promote.status, promote.body.error.code]).toEqual([400, 'INVALID_STATE']);
      const typo = await call('POST', '/api/v1/deployments/credit-api/traffic', {
        canery: { ref: 3, weight: 5 },
      });
      expect([typo.status, typo.body.error.code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
      const badWeight = await call('POST', '/api/v1/deployments/credit-api/traffic', {
        canary: { ref: 3, weight: 'ten' },
      });
      expect([badWeight.status, badWeight.body.error.field]).toEqual([400, 'canary.weight']);
      const missing = await call('POST', '/api/v1/deployments', { name: 'x' });
      expect(missing.body.error).toEqual({
        code: 'INVALID_PARAMETER_VALUE',
        message: "Missing value for required parameter 'model'",
        field: 'model',
      });
      const range = await call('PATCH', '/api/v1/deployments/credit-api', { batching: { workers: 0 } });
      expect([range.status, range.body.error.field]).toEqual([400, 'batching.workers']);
      expect((await call('POST', '/api/v1/deployments/nope/rollback')).status).toBe(404);
      expect((await getDeployment(env.ctx, 'credit-api')).revision).toBe(1);
    });

    it('lets viewers read and editors write', async () => {
      const { token: admin } = await createToken(env.ctx, 'admin', 'admin', 'local');
      const { token: viewer } = await createToken(env.ctx, 'viewer', 'viewer', 'admin');
      const { token: editor } = await createToken(env.ctx, 'editor', 'editor', 'admin');
      expect((await call('GET', '/api/v1/deployments')).status).toBe(401);
      const body = { name: 'credit-api', model: 'credit@2' };
      expect((await call('POST', '/api/v1/deployments', body, viewer)).status).toBe(403);
      const made = await call('POST', '/api/v1/deployments', body, editor);
      expect([made.status, made.body.createdBy]).toEqual([200, 'editor']);
      expect((await call('GET', '/api/v1/deployments/credit-api', undefined, viewer)).status).toBe(200);
      expect((await call('DELETE', '/api/v1/deployments/credit-api', undefined, viewer)).status).toBe(403);
      expect((await call('DELETE', '/api/v1/deployments/credit-api', undefined, admin)).status).toBe(200);
    });

    it('works through the SDK', async () => {
      const inject: Transport = {
        request: async (r: TransportRequest): Promise<TransportResponse> => {
          const res = await app.inject({
            method: r.method as 'GET',
            url: r.path,
            ...(r.json !== undefined ? { payload: r.json as object } : {}),
          });
          return {
            status: res.statusCode,
            headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
            json: async () => JSON.parse(res.body),
            stream: () => {
              throw new Error('not used');
            },
          };
        },
      };
      const keel = new Keel({ transport: inject });
      await keel.deployments.create({ name: 'credit-api', model: 'credit@champion' });
      await keel.deployments.setTraffic('credit-api', { canary: { ref: '@challenger', weight: 5 } });
      expect((await keel.deployments.promote('credit-api')).spec.primary).toBe(3);
      expect((await keel.deployments.rollback('credit-api')).spec.primary).toBe(2);
      expect((await keel.deployments.setPrimary('credit-api', 'credit@4')).spec.primary).toBe(4);
      expect(
        (await keel.deployments.update('credit-api', { batching: { threads: 2 } })).spec.batching.threads,
      ).toBe(2);
      expect((await keel.deployments.list()).map((d) => [d.name, d.revision])).toEqual([['credit-api', 6]]);
      expect((await keel.deployments.get('credit-api')).status).toBeNull();
      await keel.deployments.delete('credit-api');
      await expect(keel.deployments.get('credit-api')).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      });
    });
  });
});
