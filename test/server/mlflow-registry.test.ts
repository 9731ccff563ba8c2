/**
 * Conformance of the MLflow model registry RPCs (REST API 2.0) with mlflow/protos/model_registry.proto,
 * the SQLAlchemy registry store and tests/tracking/test_model_registry.py, as summarised in
 * /work/shared/reference/mlflow.md §1.4 and §6.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { model, node, tensor, valueInfo } from '../../src/models/onnx/write.js';
import { createModelVersion, getModelVersion } from '../../src/registry/versions.js';
import { DIALECTS, testApp } from '../helpers/context.js';
import {
  AJAX,
  API,
  type Client,
  client,
  createExperiment,
  createRun,
  expectError,
  type Json,
  PROXY,
  type Res,
} from '../mlflow/client.js';

const T0 = 1_700_000_000_000;

/** A small logistic regression as ONNX: Sigmoid(X·W + b) over three float features. */
function onnxBytes(): Uint8Array {
  return model({
    graph: {
      name: 'logreg',
      nodes: [
        node('MatMul', ['X', 'W'], ['z0']),
        node('Add', ['z0', 'B'], ['z']),
        node('Sigmoid', ['z'], ['prob']),
      ],
      inputs: [valueInfo('X', 'float', ['N', 3])],
      outputs: [valueInfo('prob', 'float', ['N', 1])],
      initializers: [tensor('W', [3, 1], new Float32Array([0.8, -1.2, 0.35])), tensor('B', [1], [-0.1])],
    },
    opsets: [{ domain: '', version: 17 }],
    producer: 'keel-test',
    producerVersion: '0.1.0',
  });
}

describe.each(DIALECTS)('MLflow model registry API (%s)', (dialect) => {
  let env: Awaited<ReturnType<typeof testApp>>;
  let c: Client;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    env = await testApp(dialect, { clock });
    c = client(env.app);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  /** Any method with a JSON body (PATCH and DELETE included, as MLflow's clients send them). */
  const send = async (method: 'PATCH' | 'DELETE' | 'POST', path: string, body?: unknown): Promise<Res> => {
    const r = await env.app.inject({
      method,
      url: API + path,
      ...(body === undefined
        ? {}
        : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    let parsed: Json;
    try {
      parsed = JSON.parse(r.body);
    } catch {
      parsed = r.body;
    }
    return { status: r.statusCode, body: parsed, raw: r.body, headers: r.headers };
  };
  const okSend = async (method: 'PATCH' | 'DELETE', path: string, body: unknown): Promise<Json> => {
    const r = await send(method, path, body);
    expect(r.status, `${method} ${path} → ${r.raw}`).toBe(200);
    return r.body;
  };
  const createModel = async (name: string, extra: Record<string, unknown> = {}): Promise<Json> =>
    (await c.ok('/registered-models/create', { name, ...extra })).registered_model;
  const createVersion = async (name: string, source: string, extra: Record<string, unknown> = {}) =>
    (await c.ok('/model-versions/create', { name, source, ...extra })).model_version;
  const getModel = async (name: string): Promise<Json> =>
    (await c.okGet('/registered-models/get', { name })).registered_model;
  const getVersion = async (name: string, version: string): Promise<Json> =>
    (await c.okGet('/model-versions/get', { name, version })).model_version;

  describe('registered models: create / get', () => {
    it('creates a model with tags and description; get returns the same wire object', async () => {
      clock.advance(1000);
      const now = clock.now();
      const created = await createModel('rm-create', {
        description: 'credit scoring',
        tags: [
          { key: 'team', value: 'risk' },
          { key: 'multi', value: 'a\nb' },
        ],
      });
      expect(created).toEqual({
        name: 'rm-create',
        creation_timestamp: now,
        last_updated_timestamp: now,
        description: 'credit scoring',
        tags: expect.arrayContaining([
          { key: 'team', value: 'risk' },
          { key: 'multi', value: 'a\nb' },
        ]),
      });
      expect(created.tags).toHaveLength(2);
      expect(await getModel('rm-create')).toEqual(created);
    });

    it('a bare model omits unset fields (no description, tags, aliases or latest_versions)', async () => {
      const m = await createModel('rm-bare');
      expect(Object.keys(m).sort()).toEqual(['creation_timestamp', 'last_updated_timestamp', 'name']);
      expect(typeof m.creation_timestamp).toBe('number');
    });

    it('stringifies tag values (12345 → "12345", true → "true")', async () => {
      const m = await createModel('rm-stringify', { tags: [{ key: 'n', value: 12345 }] });
      expect(m.tags).toEqual([{ key: 'n', value: '12345' }]);
      await c.ok('/registered-models/set-tag', { name: 'rm-stringify', key: 'b', value: true });
      expect((await getModel('rm-stringify')).tags).toEqual(
        expect.arrayContaining([
          { key: 'n', value: '12345' },
          { key: 'b', value: 'true' },
        ]),
      );
    });

    it('a duplicate tag key in one request keeps the last value', async () => {
      const m = await createModel('rm-dup-tag', {
        tags: [
          { key: 'k', value: 'first' },
          { key: 'k', value: 'last' },
        ],
      });
      expect(m.tags).toEqual([{ key: 'k', value: 'last' }]);
    });

    it('a taken name is RESOURCE_ALREADY_EXISTS with status 400', async () => {
      await createModel('rm-taken');
      expectError(
        await c.post('/registered-models/create', { name: 'rm-taken' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        'Registered Model (name=rm-taken) already exists',
      );
    });

    it('an unknown model is RESOURCE_DOES_NOT_EXIST with status 404', async () => {
      expectError(
        await c.get('/registered-models/get', { name: 'no-such-model' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Registered Model with name=no-such-model not found',
      );
    });

    it('missing or empty required parameters are INVALID_PARAMETER_VALUE naming the parameter', async () => {
      expectError(
        await c.post('/registered-models/create', {}),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'",
      );
      expectError(
        await c.post('/registered-models/create', { name: '' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'",
      );
      expectError(
        await c.get('/registered-models/get'),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'",
      );
      expectError(
        await c.post('/registered-models/create', { name: 123 }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Invalid value 123 for parameter 'name'",
      );
      expectError(
        await c.post('/registered-models/set-tag', { name: 'rm-create', value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'key'",
      );
      expectError(
        await c.post('/registered-models/rename', { name: 'rm-create' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'new_name'",
      );
    });

    it('is served on the /ajax-api mirror too', async () => {
      const ajax = client(env.app, AJAX);
      const b = await ajax.okGet('/registered-models/get', { name: 'rm-create' });
      expect(b.registered_model.name).toBe('rm-create');
    });
  });

  describe('rename / update / delete', () => {
    it('rename: the new name resolves with its versions, the old name is not found', async () => {
      await createModel('rm-old', { tags: [{ key: 't', value: '1' }] });
      await createVersion('rm-old', 's3://bucket/m1');
      await c.ok('/registered-models/alias', { name: 'rm-old', alias: 'champion', version: '1' });
      clock.advance(500);
      const renamed = (await c.ok('/registered-models/rename', { name: 'rm-old', new_name: 'rm-new' }))
        .registered_model;
      expect(renamed.name).toBe('rm-new');
      expect(renamed.last_updated_timestamp).toBe(clock.now());
      expect(renamed.tags).toEqual([{ key: 't', value: '1' }]);
      expect(renamed.aliases).toEqual([{ alias: 'champion', version: '1' }]);
      expect(renamed.latest_versions).toMatchObject([{ name: 'rm-new', version: '1' }]);
      expect((await getModel('rm-new')).name).toBe('rm-new');
      expectError(await c.get('/registered-models/get', { name: 'rm-old' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expect(await getVersion('rm-new', '1')).toMatchObject({ name: 'rm-new', aliases: ['champion'] });
      expectError(
        await c.get('/model-versions/get', { name: 'rm-old', version: '1' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('rename onto a taken name is RESOURCE_ALREADY_EXISTS; an unknown source is 404', async () => {
      await createModel('rm-a');
      await createModel('rm-b');
      expectError(
        await c.post('/registered-models/rename', { name: 'rm-a', new_name: 'rm-b' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        'rm-b',
      );
      expectError(
        await c.post('/registered-models/rename', { name: 'rm-none', new_name: 'rm-c' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('update (PATCH) changes the description and last_updated_timestamp, not creation', async () => {
      const m = await createModel('rm-update', { description: 'before' });
      clock.advance(2000);
      const u = (
        await okSend('PATCH', '/registered-models/update', { name: 'rm-update', description: 'after' })
      ).registered_model;
      expect(u).toMatchObject({
        name: 'rm-update',
        description: 'after',
        creation_timestamp: m.creation_timestamp,
        last_updated_timestamp: clock.now(),
      });
      expect(await getModel('rm-update')).toEqual(u);
      expectError(
        await send('PATCH', '/registered-models/update', { name: 'rm-none', description: 'x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('delete takes a JSON body on DELETE; the model and its versions are gone; the name is free again', async () => {
      await createModel('rm-del');
      await createVersion('rm-del', 's3://bucket/x');
      expect(await okSend('DELETE', '/registered-models/delete', { name: 'rm-del' })).toEqual({});
      expectError(await c.get('/registered-models/get', { name: 'rm-del' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(
        await send('DELETE', '/registered-models/delete', { name: 'rm-del' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Registered Model with name=rm-del not found',
      );
      const again = await createModel('rm-del');
      expect(again.latest_versions).toBeUndefined();
      // Version numbers start over for a new model of the same name.
      expect((await createVersion('rm-del', 's3://bucket/y')).version).toBe('1');
    });

    it('DELETE without a body reads the query string; with neither, name is missing', async () => {
      await createModel('rm-del-query');
      const r = await env.app.inject({
        method: 'DELETE',
        url: `${API}/registered-models/delete?name=rm-del-query`,
      });
      expect(r.statusCode, r.body).toBe(200);
      expectError(
        await c.get('/registered-models/get', { name: 'rm-del-query' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expectError(
        await send('DELETE', '/registered-models/delete'),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'",
      );
    });

    it('set-tag overwrites; delete-tag (DELETE body) removes; deleting an absent tag is a no-op', async () => {
      await createModel('rm-tags');
      await c.ok('/registered-models/set-tag', { name: 'rm-tags', key: 'k', value: 'v1' });
      await c.ok('/registered-models/set-tag', { name: 'rm-tags', key: 'k', value: 'v2' });
      expect((await getModel('rm-tags')).tags).toEqual([{ key: 'k', value: 'v2' }]);
      expect(await okSend('DELETE', '/registered-models/delete-tag', { name: 'rm-tags', key: 'k' })).toEqual(
        {},
      );
      expect((await getModel('rm-tags')).tags).toBeUndefined();
      expect(await okSend('DELETE', '/registered-models/delete-tag', { name: 'rm-tags', key: 'k' })).toEqual(
        {},
      );
      expectError(
        await send('DELETE', '/registered-models/delete-tag', { name: 'rm-none', key: 'k' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expectError(
        await c.post('/registered-models/set-tag', { name: 'rm-none', key: 'k', value: 'v' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  describe('model versions', () => {
    it('numbers versions "1", "2"; a deleted number is never reused ("3" next)', async () => {
      await createModel('mv-num');
      clock.advance(100);
      const now = clock.now();
      const v1 = await createVersion('mv-num', 's3://bucket/one', {
        description: 'first',
        run_link: 'http://elsewhere/run/1',
        tags: [{ key: 'k', value: 7 }],
      });
      expect(v1).toEqual({
        name: 'mv-num',
        version: '1',
        creation_timestamp: now,
        last_updated_timestamp: now,
        user_id: 'local',
        current_stage: 'None',
        description: 'first',
        source: 's3://bucket/one',
        status: 'READY',
        tags: [{ key: 'k', value: '7' }],
        run_link: 'http://elsewhere/run/1',
      });
      const v2 = await createVersion('mv-num', 's3://bucket/two');
      expect(v2.version).toBe('2');
      expect(v2.description).toBeUndefined();
      expect(await getVersion('mv-num', '2')).toEqual(v2);
      // Creating a version bumps the model's last_updated_timestamp.
      expect((await getModel('mv-num')).last_updated_timestamp).toBe(v2.creation_timestamp);

      expect(await okSend('DELETE', '/model-versions/delete', { name: 'mv-num', version: '2' })).toEqual({});
      expectError(
        await c.get('/model-versions/get', { name: 'mv-num', version: '2' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Model Version (name=mv-num, version=2) not found',
      );
      expect((await createVersion('mv-num', 's3://bucket/three')).version).toBe('3');
      expectError(
        await send('DELETE', '/model-versions/delete', { name: 'mv-num', version: '2' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('a version of an unknown model is 404; missing name/source is INVALID_PARAMETER_VALUE', async () => {
      expectError(
        await c.post('/model-versions/create', { name: 'mv-none', source: 's3://x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Registered Model with name=mv-none not found',
      );
      expectError(
        await c.post('/model-versions/create', { name: 'mv-num' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'source'",
      );
      expectError(
        await c.post('/model-versions/create', { source: 's3://x' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'",
      );
    });

    it("a non-integer version is INVALID_PARAMETER_VALUE: Parameter 'version' must be an integer", async () => {
      for (const r of [
        await c.get('/model-versions/get', { name: 'mv-num', version: 'abc' }),
        await c.get('/model-versions/get-download-uri', { name: 'mv-num', version: '1.5' }),
        await send('DELETE', '/model-versions/delete', { name: 'mv-num', version: 'x' }),
        await c.post('/model-versions/set-tag', { name: 'mv-num', version: '-1', key: 'k', value: 'v' }),
      ]) {
        expectError(r, 400, 'INVALID_PARAMETER_VALUE', "Parameter 'version' must be an integer");
      }
      expectError(
        await c.get('/model-versions/get', { name: 'mv-num' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'version'",
      );
      // A numeric version (not the proto's string) is accepted.
      expect(
        (await c.okGet('/model-versions/get', { name: 'mv-num', version: 1 })).model_version.version,
      ).toBe('1');
    });

    it("update (PATCH) changes the version's description but not the model's last_updated_timestamp", async () => {
      await createModel('mv-update');
      const v = await createVersion('mv-update', 's3://b');
      const before = (await getModel('mv-update')).last_updated_timestamp;
      clock.advance(3000);
      const u = (
        await okSend('PATCH', '/model-versions/update', {
          name: 'mv-update',
          version: '1',
          description: 'new',
        })
      ).model_version;
      expect(u).toMatchObject({
        description: 'new',
        creation_timestamp: v.creation_timestamp,
        last_updated_timestamp: clock.now(),
      });
      expect((await getModel('mv-update')).last_updated_timestamp).toBe(before);
    });

    it('version tags: set, overwrite, delete (DELETE body), absent delete is a no-op', async () => {
      await createModel('mv-tags');
      await createVersion('mv-tags', 's3://b');
      await c.ok('/model-versions/set-tag', { name: 'mv-tags', version: '1', key: 'k', value: 'a' });
      await c.ok('/model-versions/set-tag', { name: 'mv-tags', version: '1', key: 'k', value: 12 });
      expect((await getVersion('mv-tags', '1')).tags).toEqual([{ key: 'k', value: '12' }]);
      await okSend('DELETE', '/model-versions/delete-tag', { name: 'mv-tags', version: '1', key: 'k' });
      expect((await getVersion('mv-tags', '1')).tags).toBeUndefined();
      expect(
        await okSend('DELETE', '/model-versions/delete-tag', { name: 'mv-tags', version: '1', key: 'k' }),
      ).toEqual({});
      expectError(
        await c.post('/model-versions/set-tag', { name: 'mv-tags', version: '9', key: 'k', value: 'v' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Model Version (name=mv-tags, version=9) not found',
      );
    });
  });

  describe('aliases', () => {
    it('set, get by alias, move, delete; aliases on the model and on the version', async () => {
      await createModel('al');
      for (let i = 0; i < 3; i++) await createVersion('al', `s3://b/${i}`);
      expect(await c.ok('/registered-models/alias', { name: 'al', alias: 'champion', version: '1' })).toEqual(
        {},
      );
      await c.ok('/registered-models/alias', { name: 'al', alias: 'challenger', version: '2' });

      expect((await getModel('al')).aliases).toEqual([
        { alias: 'challenger', version: '2' },
        { alias: 'champion', version: '1' },
      ]);
      expect((await getVersion('al', '1')).aliases).toEqual(['champion']);
      const byAlias = await c.okGet('/registered-models/alias', { name: 'al', alias: 'champion' });
      expect(byAlias.model_version).toEqual(await getVersion('al', '1'));

      // Setting an existing alias moves it.
      await c.ok('/registered-models/alias', { name: 'al', alias: 'champion', version: '3' });
      expect(
        (await c.okGet('/registered-models/alias', { name: 'al', alias: 'champion' })).model_version.version,
      ).toBe('3');
      expect((await getVersion('al', '1')).aliases).toBeUndefined();
      expect((await getVersion('al', '3')).aliases).toEqual(['champion']);

      expect(await okSend('DELETE', '/registered-models/alias', { name: 'al', alias: 'champion' })).toEqual(
        {},
      );
      expectError(
        await c.get('/registered-models/alias', { name: 'al', alias: 'champion' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'Registered model alias champion not found.',
      );
      expectError(
        await c.get('/registered-models/alias', { name: 'al-none', alias: 'champion' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      // Deleting an absent alias is a no-op, as in MLflow; on an unknown model it is 404.
      expect(await okSend('DELETE', '/registered-models/alias', { name: 'al', alias: 'champion' })).toEqual(
        {},
      );
      expectError(
        await send('DELETE', '/registered-models/alias', { name: 'al-none', alias: 'x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      expect((await getModel('al')).aliases).toEqual([{ alias: 'challenger', version: '2' }]);
    });

    it('deleting a version drops its aliases', async () => {
      await okSend('DELETE', '/model-versions/delete', { name: 'al', version: '2' });
      expect((await getModel('al')).aliases).toBeUndefined();
    });

    it('rejects reserved or malformed aliases, unknown versions and missing fields', async () => {
      expectError(
        await c.post('/registered-models/alias', { name: 'al', alias: 'latest', version: '1' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'reserved',
      );
      expectError(
        await c.post('/registered-models/alias', { name: 'al', alias: 'bad alias', version: '1' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await c.post('/registered-models/alias', { name: 'al', alias: 'ok', version: '42' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Model Version (name=al, version=42) not found',
      );
      expectError(
        await c.post('/registered-models/alias', { name: 'al', alias: 'ok' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'version'",
      );
      expectError(
        await c.get('/registered-models/alias', { name: 'al' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'alias'",
      );
    });
  });

  describe('stages (deprecated API)', () => {
    it('transition-stage, latest_versions per stage, get-latest-versions, archive_existing_versions', async () => {
      await createModel('st');
      for (let i = 0; i < 4; i++) await createVersion('st', `s3://b/${i}`);
      clock.advance(10);
      const t = (
        await c.ok('/model-versions/transition-stage', {
          name: 'st',
          version: '1',
          stage: 'production',
          archive_existing_versions: false,
        })
      ).model_version;
      expect(t).toMatchObject({
        version: '1',
        current_stage: 'Production',
        last_updated_timestamp: clock.now(),
      });
      // Stage moves bump the model's last_updated_timestamp.
      expect((await getModel('st')).last_updated_timestamp).toBe(clock.now());
      await c.ok('/model-versions/transition-stage', {
        name: 'st',
        version: '2',
        stage: 'Staging',
        archive_existing_versions: false,
      });

      const latest = (await getModel('st')).latest_versions as Json[];
      expect(latest.map((v) => [v.version, v.current_stage])).toEqual([
        ['1', 'Production'],
        ['2', 'Staging'],
        ['4', 'None'],
      ]);

      const prod = await c.ok('/registered-models/get-latest-versions', {
        name: 'st',
        stages: ['production'],
      });
      expect(prod.model_versions.map((v: Json) => v.version)).toEqual(['1']);
      const all = await c.okGet('/registered-models/get-latest-versions', { name: 'st' });
      expect(all.model_versions.map((v: Json) => v.version)).toEqual(['1', '2', '4']);
      const viaGet = await c.okGet('/registered-models/get-latest-versions', {
        name: 'st',
        stages: ['Staging', 'None'],
      });
      expect(viaGet.model_versions.map((v: Json) => v.version)).toEqual(['2', '4']);
      expect(
        await c.ok('/registered-models/get-latest-versions', { name: 'st', stages: ['Archived'] }),
      ).toEqual({});

      await c.ok('/model-versions/transition-stage', {
        name: 'st',
        version: '3',
        stage: 'Production',
        archive_existing_versions: true,
      });
      expect((await getVersion('st', '1')).current_stage).toBe('Archived');
      expect((await getVersion('st', '3')).current_stage).toBe('Production');
    });

    it('rejects an unknown stage', async () => {
      expectError(
        await c.post('/model-versions/transition-stage', {
          name: 'st',
          version: '1',
          stage: 'Canary',
          archive_existing_versions: false,
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        'Invalid Model Version stage: Canary',
      );
      expectError(
        await c.post('/registered-models/get-latest-versions', { name: 'st', stages: ['Canary'] }),
        400,
        'INVALID_PARAMETER_VALUE',
        'Invalid Model Version stage',
      );
      expectError(
        await c.post('/registered-models/get-latest-versions', { name: 'st-none' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  describe('versions from runs, download URIs', () => {
    let run: Json;
    let root: string;
    const bytes = onnxBytes();

    beforeAll(async () => {
      const exp = await createExperiment(c, 'registry-runs');
      run = await createRun(c, exp);
      await c.ok('/runs/log-metric', { run_id: run.info.run_id, key: 'auc', value: 0.91, timestamp: T0 });
      root = (run.info.artifact_uri as string).replace(/^mlflow-artifacts:\/+/, '');
      const put = async (p: string, body: Uint8Array | string) => {
        const r = await env.app.inject({
          method: 'PUT',
          url: `${PROXY}/${root}/${p}`,
          payload: Buffer.from(body),
        });
        expect(r.statusCode, r.body).toBe(200);
      };
      await put('model/model.onnx', bytes);
      await put('model/MLmodel', 'flavors: {}\n');
      await put('sk/model.pkl', 'not onnx');
      await createModel('from-run');
    });

    it('source = run artifact URI + /model with run_id: the version gets the ONNX file and its signature', async () => {
      const v = await createVersion('from-run', `${run.info.artifact_uri}/model`, {
        run_id: run.info.run_id,
      });
      expect(v).toMatchObject({
        version: '1',
        source: `${run.info.artifact_uri}/model`,
        run_id: run.info.run_id,
        status: 'READY',
      });
      const domain = await getModelVersion(env.ctx, 'from-run', 1);
      expect(domain.onnx?.size).toBe(bytes.length);
      expect(domain.signature?.inputs).toMatchObject([{ name: 'X' }]);
      expect(domain.signature?.outputs).toMatchObject([{ name: 'prob' }]);
      expect(domain.metrics).toEqual({ auc: 0.91 });
    });

    it('source = runs:/<run_id>/model is read the same way; its download URI is the run artifact dir', async () => {
      const v = await createVersion('from-run', `runs:/${run.info.run_id}/model`);
      expect(v).toMatchObject({ version: '2', run_id: run.info.run_id });
      expect((await getModelVersion(env.ctx, 'from-run', 2)).signature).not.toBeNull();
      const uri = (await c.okGet('/model-versions/get-download-uri', { name: 'from-run', version: '2' }))
        .artifact_uri;
      expect(uri).toBe(`${run.info.artifact_uri}/model`);
      // An MLflow client downloads mlflow-artifacts:/ URIs through the artifact proxy.
      const file = await env.app.inject({
        method: 'GET',
        url: `${PROXY}/${uri.replace(/^mlflow-artifacts:\/+/, '')}/model.onnx`,
      });
      expect(file.statusCode).toBe(200);
      expect(Buffer.from(file.rawPayload).equals(Buffer.from(bytes))).toBe(true);
    });

    it('a source without model.onnx still registers (MLflow compatibility), with no ONNX file', async () => {
      const v = await createVersion('from-run', `${run.info.artifact_uri}/sk`, { run_id: run.info.run_id });
      expect(v).toMatchObject({ version: '3', status: 'READY', current_stage: 'None' });
      expect((await getModelVersion(env.ctx, 'from-run', 3)).onnx).toBeNull();
      const ext = await createVersion('from-run', 's3://bucket/path/model');
      expect((await getModelVersion(env.ctx, 'from-run', Number(ext.version))).onnx).toBeNull();
      // Any other source is its own download URI, as in MLflow.
      expect(
        (await c.okGet('/model-versions/get-download-uri', { name: 'from-run', version: ext.version }))
          .artifact_uri,
      ).toBe('s3://bucket/path/model');
      expect(
        (await c.okGet('/model-versions/get-download-uri', { name: 'from-run', version: '1' })).artifact_uri,
      ).toBe(`${run.info.artifact_uri}/model`);
    });

    it('an unknown run_id is RESOURCE_DOES_NOT_EXIST', async () => {
      expectError(
        await c.post('/model-versions/create', { name: 'from-run', source: 'runs:/nope/model' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('an uploaded ONNX blob downloads from the proxy if logged, else from the native /onnx URL', async () => {
      const other = onnxBytes().slice();
      // Same graph, different producer version: different bytes, never logged as an artifact.
      const fresh = model({
        graph: {
          name: 'id',
          nodes: [node('Identity', ['X'], ['Y'])],
          inputs: [valueInfo('X', 'float', ['N', 3])],
          outputs: [valueInfo('Y', 'float', ['N', 3])],
        },
        opsets: [{ domain: '', version: 17 }],
      });
      const logged = await env.ctx.blobs.put(other);
      const unlogged = await env.ctx.blobs.put(fresh);
      await createModelVersion(env.ctx, { name: 'from-run', onnxSha256: logged.sha256 }, 'local');
      const v2 = await createModelVersion(
        env.ctx,
        { name: 'from-run', onnxSha256: unlogged.sha256 },
        'local',
      );
      const uri1 = (
        await c.okGet('/model-versions/get-download-uri', {
          name: 'from-run',
          version: String(v2.version - 1),
        })
      ).artifact_uri;
      expect(uri1).toBe(`mlflow-artifacts:/${root}/model`);
      const uri2 = (
        await c.okGet('/model-versions/get-download-uri', { name: 'from-run', version: String(v2.version) })
      ).artifact_uri as string;
      expect(uri2).toMatch(new RegExp(`^http://[^/]+/api/v1/models/from-run/versions/${v2.version}/onnx$`));
      const file = await env.app.inject({ method: 'GET', url: new URL(uri2).pathname });
      expect(file.statusCode).toBe(200);
      expect(Buffer.from(file.rawPayload).equals(Buffer.from(fresh))).toBe(true);
    });
  });

  describe('search', () => {
    beforeAll(async () => {
      for (const [i, name] of [
        'search-credit-a',
        'search-credit-b',
        'search-CREDIT-c',
        'search-fraud',
      ].entries()) {
        clock.advance(1000);
        await createModel(name, { tags: [{ key: 'team', value: i % 2 === 0 ? 'risk' : 'ops' }] });
      }
      // Touch the first one last, so last_updated order differs from name order.
      clock.advance(1000);
      await okSend('PATCH', '/registered-models/update', { name: 'search-credit-a', description: 'touched' });
    });

    const names = (b: Json): string[] => (b.registered_models ?? []).map((m: Json) => m.name);
    const search = (q: Record<string, string | number | string[]>) => c.okGet('/registered-models/search', q);

    it('filters on name (=, LIKE case-sensitive, ILIKE) and tags', async () => {
      expect(names(await search({ filter: "name = 'search-fraud'" }))).toEqual(['search-fraud']);
      expect(names(await search({ filter: "name LIKE 'search-credit%'" }))).toEqual([
        'search-credit-a',
        'search-credit-b',
      ]);
      expect(names(await search({ filter: "name ILIKE '%credit%'" }))).toEqual([
        'search-CREDIT-c',
        'search-credit-a',
        'search-credit-b',
      ]);
      expect(names(await search({ filter: "name LIKE 'search-%' AND tags.team = 'risk'" }))).toEqual([
        'search-CREDIT-c',
        'search-credit-a',
      ]);
      expect(names(await search({ filter: "tags.team != 'risk' AND name LIKE 'search-%'" }))).toEqual([
        'search-credit-b',
        'search-fraud',
      ]);
      expect(await search({ filter: "name = 'nothing-matches'" })).toEqual({});
    });

    it('search results carry the full model (tags, latest_versions)', async () => {
      const b = await search({ filter: "name = 'st'" });
      expect(b.registered_models).toEqual([await getModel('st')]);
    });

    it('orders by name DESC and by last_updated_timestamp', async () => {
      const filter = "name LIKE 'search-%'";
      expect(names(await search({ filter, order_by: 'name DESC' }))).toEqual([
        'search-fraud',
        'search-credit-b',
        'search-credit-a',
        'search-CREDIT-c',
      ]);
      expect(names(await search({ filter, order_by: 'last_updated_timestamp DESC' }))).toEqual([
        'search-credit-a',
        'search-fraud',
        'search-CREDIT-c',
        'search-credit-b',
      ]);
      expect(names(await search({ filter, order_by: ['last_updated_timestamp ASC'] }))[0]).toBe(
        'search-credit-b',
      );
    });

    it('pages with max_results and page_token; the last page has no token', async () => {
      const filter = "name LIKE 'search-%'";
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const b = await search({ filter, max_results: 3, ...(token ? { page_token: token } : {}) });
        seen.push(...names(b));
        token = b.next_page_token;
        pages++;
      } while (token);
      expect(pages).toBe(2);
      expect(seen).toEqual(['search-CREDIT-c', 'search-credit-a', 'search-credit-b', 'search-fraud']);
    });

    it('rejects bad filters, order_by and max_results with INVALID_PARAMETER_VALUE naming the problem', async () => {
      expectError(
        await c.get('/registered-models/search', { filter: 'name = credit' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'credit',
      );
      expectError(
        await c.get('/registered-models/search', { filter: "run_id = 'x'" }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Invalid attribute key 'run_id'",
      );
      expectError(
        await c.get('/registered-models/search', { order_by: 'run_id' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'run_id',
      );
      expectError(
        await c.get('/registered-models/search', { max_results: 1001 }),
        400,
        'INVALID_PARAMETER_VALUE',
        'max_results',
      );
      expectError(
        await c.get('/registered-models/search', { page_token: 'garbage!' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'page token',
      );
    });

    describe('model versions', () => {
      const versions = (b: Json): string[] =>
        (b.model_versions ?? []).map((v: Json) => `${v.name}/${v.version}`);
      const searchMv = (q: Record<string, string | number | string[]>) =>
        c.okGet('/model-versions/search', q);

      beforeAll(async () => {
        await createModel('mvs-a');
        await createModel('mvs-b');
        for (const name of ['mvs-a', 'mvs-b', 'mvs-a']) {
          clock.advance(100);
          await createVersion(name, `s3://bucket/${name}`, { tags: [{ key: 'env', value: name }] });
        }
      });

      it('filters on name, name IN, version_number, source_path and tags', async () => {
        expect(versions(await searchMv({ filter: "name = 'mvs-a'" }))).toEqual(['mvs-a/2', 'mvs-a/1']);
        expect(
          versions(await searchMv({ filter: "name IN ('mvs-a', 'mvs-b') AND version_number = 1" })),
        ).toEqual(['mvs-b/1', 'mvs-a/1']);
        expect(versions(await searchMv({ filter: "name = 'mvs-a' AND version_number > 1" }))).toEqual([
          'mvs-a/2',
        ]);
        expect(versions(await searchMv({ filter: "source_path = 's3://bucket/mvs-b'" }))).toEqual([
          'mvs-b/1',
        ]);
        expect(versions(await searchMv({ filter: "tags.env = 'mvs-b'" }))).toEqual(['mvs-b/1']);
        expect(await searchMv({ filter: "name = 'nothing'" })).toEqual({});
      });

      it('filters on run_id', async () => {
        const exp = await createExperiment(c, 'registry-search-runs');
        const r = await createRun(c, exp);
        clock.advance(100);
        await createVersion('mvs-b', 's3://bucket/with-run', { run_id: r.info.run_id });
        expect(versions(await searchMv({ filter: `run_id = '${r.info.run_id}'` }))).toEqual(['mvs-b/2']);
        expect(versions(await searchMv({ filter: `run_id IN ('${r.info.run_id}', 'other')` }))).toEqual([
          'mvs-b/2',
        ]);
      });

      it('orders by last_updated DESC by default; name and version_number on request', async () => {
        const filter = "name LIKE 'mvs-%'";
        expect(versions(await searchMv({ filter }))).toEqual(['mvs-b/2', 'mvs-a/2', 'mvs-b/1', 'mvs-a/1']);
        expect(versions(await searchMv({ filter, order_by: ['name DESC', 'version_number ASC'] }))).toEqual([
          'mvs-b/1',
          'mvs-b/2',
          'mvs-a/1',
          'mvs-a/2',
        ]);
        expect(versions(await searchMv({ filter, order_by: 'version_number DESC' }))).toEqual([
          'mvs-a/2',
          'mvs-b/2',
          'mvs-a/1',
          'mvs-b/1',
        ]);
      });

      it('pages with max_results and page_token', async () => {
        const filter = "name LIKE 'mvs-%'";
        const p1 = await searchMv({ filter, max_results: 3, order_by: ['name', 'version_number'] });
        expect(versions(p1)).toEqual(['mvs-a/1', 'mvs-a/2', 'mvs-b/1']);
        expect(p1.next_page_token).toEqual(expect.any(String));
        const p2 = await searchMv({
          filter,
          max_results: 3,
          order_by: ['name', 'version_number'],
          page_token: p1.next_page_token,
        });
        expect(versions(p2)).toEqual(['mvs-b/2']);
        expect(p2.next_page_token).toBeUndefined();
      });

      it('rejects bad filters', async () => {
        expectError(
          await c.get('/model-versions/search', { filter: "version_number = 'one'" }),
          400,
          'INVALID_PARAMETER_VALUE',
          "'one'",
        );
        expectError(
          await c.get('/model-versions/search', { filter: "current_stage = 'None'" }),
          400,
          'INVALID_PARAMETER_VALUE',
          "Invalid attribute key 'current_stage'",
        );
        expectError(
          await c.get('/model-versions/search', { filter: "name = 'a' OR name = 'b'" }),
          400,
          'INVALID_PARAMETER_VALUE',
          'OR',
        );
      });
    });
  });
});
