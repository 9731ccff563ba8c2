import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DIALECTS, type TestEnv, testApp } from '../helpers/context.js';

type App = TestEnv & { app: FastifyInstance };

/** One request; returns status and parsed JSON body (or text for non-JSON answers). */
async function call(app: FastifyInstance, method: InjectOptions['method'], url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  const isJson = String(res.headers['content-type'] ?? '').startsWith('application/json');
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected loosely
  return { status: res.statusCode, body: (isJson ? res.json() : res.body) as any, headers: res.headers };
}

/** Asserts the native error shape and returns the error object. */
function expectError(r: { status: number; body: unknown }, status: number, code: string, field?: string) {
  expect(r.status).toBe(status);
  const err = (r.body as { error: { code: string; message: string; field?: string } }).error;
  expect(err.code).toBe(code);
  expect(typeof err.message).toBe('string');
  expect(err.message.length).toBeGreaterThan(0);
  if (field !== undefined) expect(err.field).toBe(field);
  return err;
}

describe.each(DIALECTS)('native API /api/v1 (%s)', (dialect) => {
  let env: App;
  let app: FastifyInstance;
  beforeAll(async () => {
    env = await testApp(dialect);
    app = env.app;
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  const newExperiment = async (name: string) => {
    const r = await call(app, 'POST', '/api/v1/experiments', { name });
    expect(r.status).toBe(200);
    return r.body.experimentId as string;
  };
  const newRun = async (experimentId: string, runName = 'r') => {
    const r = await call(app, 'POST', '/api/v1/runs', { experimentId, runName });
    expect(r.status).toBe(200);
    return r.body.info.runId as string;
  };

  test('experiments: create, get, get by name, list, rename, tags, delete, restore', async () => {
    const created = await call(app, 'POST', '/api/v1/experiments', {
      name: 'team/credit scoring',
      tags: [{ key: 'owner', value: 'risk' }],
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      name: 'team/credit scoring',
      lifecycleStage: 'active',
      tags: [{ key: 'owner', value: 'risk' }],
    });
    const id = created.body.experimentId as string;
    expect(created.body.artifactLocation).toBe(`mlflow-artifacts:/${id}`);
    expect(typeof created.body.creationTime).toBe('number');

    expect((await call(app, 'GET', `/api/v1/experiments/${id}`)).body).toEqual(created.body);
    const byName = await call(
      app,
      'GET',
      `/api/v1/experiments/by-name/${encodeURIComponent('team/credit scoring')}`,
    );
    expect(byName.body.experimentId).toBe(id);

    await newExperiment('other-exp');
    const page1 = await call(app, 'GET', '/api/v1/experiments?maxResults=1&orderBy=name%20ASC');
    expect(page1.status).toBe(200);
    expect(page1.body.experiments).toHaveLength(1);
    expect(page1.body.experiments[0].name).toBe('Default');
    expect(page1.body.nextPageToken).toEqual(expect.any(String));
    const page2 = await call(
      app,
      'GET',
      `/api/v1/experiments?maxResults=1&orderBy=name%20ASC&pageToken=${page1.body.nextPageToken}`,
    );
    expect(page2.body.experiments[0].name).toBe('other-exp');
    const filtered = await call(
      app,
      'GET',
      `/api/v1/experiments?filter=${encodeURIComponent("tags.owner = 'risk'")}`,
    );
    expect(filtered.body.experiments.map((e: { experimentId: string }) => e.experimentId)).toEqual([id]);
    expect(filtered.body.nextPageToken).toBeUndefined();

    const renamed = await call(app, 'PATCH', `/api/v1/experiments/${id}`, { name: 'credit' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('credit');

    expect(
      (await call(app, 'PUT', `/api/v1/experiments/${id}/tags/stage%2Fphase`, { value: 'dev' })).status,
    ).toBe(200);
    expect((await call(app, 'GET', `/api/v1/experiments/${id}`)).body.tags).toEqual(
      expect.arrayContaining([{ key: 'stage/phase', value: 'dev' }]),
    );
    expect((await call(app, 'DELETE', `/api/v1/experiments/${id}/tags/stage%2Fphase`)).status).toBe(200);
    expectError(
      await call(app, 'DELETE', `/api/v1/experiments/${id}/tags/stage%2Fphase`),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );

    expect((await call(app, 'DELETE', `/api/v1/experiments/${id}`)).body).toEqual({});
    expect((await call(app, 'GET', `/api/v1/experiments/${id}`)).body.lifecycleStage).toBe('deleted');
    const deleted = await call(app, 'GET', '/api/v1/experiments?viewType=DELETED_ONLY');
    expect(deleted.body.experiments.map((e: { experimentId: string }) => e.experimentId)).toEqual([id]);
    // As in MLflow, deleting looks among active experiments only.
    expectError(await call(app, 'DELETE', `/api/v1/experiments/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect((await call(app, 'POST', `/api/v1/experiments/${id}/restore`)).status).toBe(200);
    expect((await call(app, 'GET', `/api/v1/experiments/${id}`)).body.lifecycleStage).toBe('active');
  });

  test('experiments: errors', async () => {
    const missing = expectError(
      await call(app, 'GET', '/api/v1/experiments/123'),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect(missing.message).toContain('123');
    expectError(await call(app, 'GET', '/api/v1/experiments/by-name/nope'), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(
      await call(app, 'POST', '/api/v1/experiments', { name: 5 }),
      400,
      'INVALID_PARAMETER_VALUE',
      'name',
    );
    const noName = expectError(
      await call(app, 'POST', '/api/v1/experiments', {}),
      400,
      'INVALID_PARAMETER_VALUE',
      'name',
    );
    expect(noName.message).toContain("Missing value for required parameter 'name'");
    expectError(
      await call(app, 'POST', '/api/v1/experiments', { name: 'x', tags: [{ key: 'k' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      'tags[0].value',
    );
    await newExperiment('dup');
    expectError(
      await call(app, 'POST', '/api/v1/experiments', { name: 'dup' }),
      400,
      'RESOURCE_ALREADY_EXISTS',
    );
    expectError(
      await call(app, 'PATCH', '/api/v1/experiments/123', { name: 'y' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await call(app, 'GET', '/api/v1/experiments?maxResults=abc'),
      400,
      'INVALID_PARAMETER_VALUE',
      'maxResults',
    );
    expectError(
      await call(app, 'GET', '/api/v1/experiments?viewType=SOME'),
      400,
      'INVALID_PARAMETER_VALUE',
      'viewType',
    );
    expectError(
      await call(app, 'PUT', '/api/v1/experiments/0/tags/k', {}),
      400,
      'INVALID_PARAMETER_VALUE',
      'value',
    );
    expectError(await call(app, 'GET', '/api/v1/nothing-here'), 404, 'ENDPOINT_NOT_FOUND');
  });

  test('runs: create, get, update, log-batch, history, search, tags, inputs, delete, restore', async () => {
    const exp = await newExperiment('runs-exp');
    const created = await call(app, 'POST', '/api/v1/runs', {
      experimentId: exp,
      runName: 'first',
      startTime: 1000,
      tags: [{ key: 'team', value: 'risk' }],
    });
    expect(created.status).toBe(200);
    const run = created.body;
    expect(run.info).toMatchObject({
      runName: 'first',
      experimentId: exp,
      status: 'RUNNING',
      startTime: 1000,
      endTime: null,
      lifecycleStage: 'active',
    });
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'risk' }]));
    expect(run.inputs).toEqual({ datasetInputs: [] });
    const id = run.info.runId as string;

    const before = Date.now();
    const logged = await call(app, 'POST', `/api/v1/runs/${id}/log-batch`, {
      metrics: [
        { key: 'loss', value: 'NaN', timestamp: 5, step: 0 },
        { key: 'loss', value: 0.5, timestamp: 6, step: 1 },
        { key: 'loss', value: '-Infinity', timestamp: 7, step: 2 },
        { key: 'train/acc', value: 0.9 },
      ],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'note', value: 'hi' }],
    });
    expect(logged.status).toBe(200);
    expect(logged.body).toEqual({});

    const history = await call(app, 'GET', `/api/v1/runs/${id}/metrics/loss/history`);
    expect(history.body).toEqual({
      metrics: [
        { key: 'loss', value: 'NaN', timestamp: 5, step: 0 },
        { key: 'loss', value: 0.5, timestamp: 6, step: 1 },
        { key: 'loss', value: '-Infinity', timestamp: 7, step: 2 },
      ],
    });
    const paged = await call(app, 'GET', `/api/v1/runs/${id}/metrics/loss/history?maxResults=2`);
    expect(paged.body.metrics).toHaveLength(2);
    const rest = await call(
      app,
      'GET',
      `/api/v1/runs/${id}/metrics/loss/history?maxResults=2&pageToken=${paged.body.nextPageToken}`,
    );
    expect(rest.body.metrics).toEqual([{ key: 'loss', value: '-Infinity', timestamp: 7, step: 2 }]);
    // A key with a slash travels percent-encoded; the timestamp defaulted to the server's now.
    const acc = (await call(app, 'GET', `/api/v1/runs/${id}/metrics/train%2Facc/history`)).body.metrics;
    expect(acc).toHaveLength(1);
    expect(acc[0]).toMatchObject({ key: 'train/acc', value: 0.9, step: 0 });
    expect(acc[0].timestamp).toBeGreaterThanOrEqual(before);

    const got = (await call(app, 'GET', `/api/v1/runs/${id}`)).body;
    expect(got.data.metrics).toEqual([
      { key: 'loss', value: '-Infinity', timestamp: 7, step: 2 },
      expect.objectContaining({ key: 'train/acc', value: 0.9 }),
    ]);
    expect(got.data.params).toEqual([{ key: 'lr', value: '0.1' }]);

    const updated = await call(app, 'PATCH', `/api/v1/runs/${id}`, {
      status: 'FINISHED',
      endTime: 2000,
      runName: 'renamed',
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ runId: id, status: 'FINISHED', endTime: 2000, runName: 'renamed' });

    const other = await newRun(exp, 'second');
    const search = await call(app, 'POST', '/api/v1/runs/search', {
      experimentIds: [exp],
      filter: "params.lr = '0.1'",
      orderBy: ['metrics.loss DESC'],
    });
    expect(search.status).toBe(200);
    expect(search.body.runs.map((r: { info: { runId: string } }) => r.info.runId)).toEqual([id]);
    expect(search.body.runs[0].data.metrics[0].value).toBe('-Infinity');
    const all = await call(app, 'POST', '/api/v1/runs/search', { experimentIds: [exp], maxResults: 1 });
    expect(all.body.runs).toHaveLength(1);
    expect(all.body.nextPageToken).toEqual(expect.any(String));

    expect((await call(app, 'DELETE', `/api/v1/runs/${id}/tags/note`)).status).toBe(200);
    expectError(await call(app, 'DELETE', `/api/v1/runs/${id}/tags/note`), 404, 'RESOURCE_DOES_NOT_EXIST');

    const inputs = await call(app, 'POST', `/api/v1/runs/${id}/inputs`, {
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: {
            name: 'credit',
            digest: 'abc123',
            sourceType: 'local',
            source: 'file:///data.csv',
            schema: '{}',
          },
        },
      ],
    });
    expect(inputs.status).toBe(200);
    expect((await call(app, 'GET', `/api/v1/runs/${id}`)).body.inputs.datasetInputs).toEqual([
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: {
          name: 'credit',
          digest: 'abc123',
          sourceType: 'local',
          source: 'file:///data.csv',
          schema: '{}',
        },
      },
    ]);

    expect((await call(app, 'DELETE', `/api/v1/runs/${other}`)).status).toBe(200);
    expect((await call(app, 'GET', `/api/v1/runs/${other}`)).body.info.lifecycleStage).toBe('deleted');
    const deletedOnly = await call(app, 'POST', '/api/v1/runs/search', {
      experimentIds: [exp],
      viewType: 'DELETED_ONLY',
    });
    expect(deletedOnly.body.runs.map((r: { info: { runId: string } }) => r.info.runId)).toEqual([other]);
    expect((await call(app, 'POST', `/api/v1/runs/${other}/restore`)).status).toBe(200);
    expect((await call(app, 'GET', `/api/v1/runs/${other}`)).body.info.lifecycleStage).toBe('active');
  });

  test('runs: errors', async () => {
    const exp = await newExperiment('runs-errors');
    const id = await newRun(exp);
    const missing = expectError(await call(app, 'GET', '/api/v1/runs/nope'), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(missing.message).toContain('nope');
    expectError(
      await call(app, 'PATCH', '/api/v1/runs/nope', { status: 'FINISHED' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await call(app, 'POST', '/api/v1/runs/nope/log-batch', { metrics: [] }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await call(app, 'GET', '/api/v1/runs/nope/metrics/x/history'),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await call(app, 'POST', '/api/v1/runs', { experimentId: '999' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'experiment_id',
    );
    expectError(
      await call(app, 'PATCH', `/api/v1/runs/${id}`, { status: 'DONE' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'status',
    );
    expectError(
      await call(app, 'POST', `/api/v1/runs/${id}/log-batch`, { metrics: [{ key: 'm', value: 'abc' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      'metrics[0].value',
    );
    expectError(
      await call(app, 'POST', `/api/v1/runs/${id}/log-batch`, { params: [{ key: 'bad key!', value: '1' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      'param',
    );
    await call(app, 'POST', `/api/v1/runs/${id}/log-batch`, { params: [{ key: 'lr', value: '0.1' }] });
    const changed = expectError(
      await call(app, 'POST', `/api/v1/runs/${id}/log-batch`, { params: [{ key: 'lr', value: '0.2' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      'params',
    );
    expect(changed.message).toContain('Changing param values is not allowed');
    expectError(
      await call(app, 'POST', '/api/v1/runs/search', {}),
      400,
      'INVALID_PARAMETER_VALUE',
      'experimentIds',
    );
    expectError(
      await call(app, 'POST', '/api/v1/runs/search', { experimentIds: [exp], filter: 'metrics.x >' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await call(app, 'POST', `/api/v1/runs/${id}/inputs`, { datasets: [{ dataset: { name: 'd' } }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      'datasets[0].dataset.digest',
    );
    const bad = await app.inject({
      method: 'POST',
      url: `/api/v1/runs/${id}/log-batch`,
      payload: '{oops',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_REQUEST');
  });

  test('run artifacts: upload, list, download, delete', async () => {
    const exp = await newExperiment('artifacts-exp');
    const id = await newRun(exp);
    const put = (p: string, body: string) =>
      app.inject({
        method: 'PUT',
        url: `/api/v1/runs/${id}/artifacts/${p}`,
        payload: body,
        headers: { 'content-type': 'application/octet-stream' },
      });
    expect((await put('model/MLmodel', 'flavors: {}')).statusCode).toBe(200);
    expect((await put('model/weights.bin', 'W'.repeat(1000))).statusCode).toBe(200);
    expect((await put('metrics.json', '{"a":1}')).statusCode).toBe(200);
    expect((await put('50%25.txt', 'percent')).statusCode).toBe(200);

    const root = await call(app, 'GET', `/api/v1/runs/${id}/artifacts`);
    expect(root.body.files).toEqual([
      { path: '50%.txt', isDir: false, fileSize: 7 },
      { path: 'metrics.json', isDir: false, fileSize: 7 },
      { path: 'model', isDir: true },
    ]);
    const sub = await call(app, 'GET', `/api/v1/runs/${id}/artifacts?path=model`);
    expect(sub.body.files).toEqual([
      { path: 'model/MLmodel', isDir: false, fileSize: 11 },
      { path: 'model/weights.bin', isDir: false, fileSize: 1000 },
    ]);

    const json = await app.inject({ method: 'GET', url: `/api/v1/runs/${id}/artifacts/metrics.json` });
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toContain('application/json');
    expect(json.body).toBe('{"a":1}');
    const mlmodel = await app.inject({ method: 'GET', url: `/api/v1/runs/${id}/artifacts/model/MLmodel` });
    expect(mlmodel.headers['content-type']).toContain('text/plain');
    expect(mlmodel.body).toBe('flavors: {}');
    expect((await app.inject({ method: 'GET', url: `/api/v1/runs/${id}/artifacts/50%25.txt` })).body).toBe(
      'percent',
    );

    expectError(
      await call(app, 'GET', `/api/v1/runs/${id}/artifacts/nope.txt`),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(await call(app, 'GET', `/api/v1/runs/nope/artifacts`), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(
      await call(app, 'GET', `/api/v1/runs/${id}/artifacts/..%2F..%2Fsecret`),
      400,
      'INVALID_PARAMETER_VALUE',
      'path',
    );
    expectError(
      await call(app, 'GET', `/api/v1/runs/${id}/artifacts?path=..`),
      400,
      'INVALID_PARAMETER_VALUE',
      'path',
    );
    const asCall = (r: { statusCode: number; json(): unknown }) => ({ status: r.statusCode, body: r.json() });
    expectError(asCall(await put('..%2Fescape.txt', 'x')), 400, 'INVALID_PARAMETER_VALUE', 'path');
    // A file operation needs a file: '/' alone names the run's root.
    expectError(asCall(await put('%2F', 'x')), 400, 'INVALID_PARAMETER_VALUE', 'path');

    expect((await call(app, 'DELETE', `/api/v1/runs/${id}/artifacts/model`)).status).toBe(200);
    const after = await call(app, 'GET', `/api/v1/runs/${id}/artifacts`);
    expect(after.body.files.map((f: { path: string }) => f.path)).toEqual(['50%.txt', 'metrics.json']);
    expectError(
      await call(app, 'DELETE', `/api/v1/runs/${id}/artifacts/model`),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  test('audit: list with filters and paging, verify', async () => {
    const exp = await newExperiment('audited');
    await call(app, 'PATCH', `/api/v1/experiments/${exp}`, { name: 'audited-2' });
    const list = await call(app, 'GET', `/api/v1/audit?objectType=experiment&objectId=${exp}`);
    expect(list.status).toBe(200);
    expect(list.body.entries.map((e: { action: string }) => e.action)).toEqual([
      'experiment.create',
      'experiment.rename',
    ]);
    const [create, rename] = list.body.entries;
    expect(create).toMatchObject({
      actor: 'local',
      objectType: 'experiment',
      objectId: exp,
      before: null,
      after: { name: 'audited' },
    });
    expect(rename).toMatchObject({
      before: { name: 'audited' },
      after: { name: 'audited-2' },
      prevHash: expect.any(String),
    });
    expect(rename.seq).toBeGreaterThan(create.seq);
    expect(list.body.nextAfterSeq).toBeUndefined();

    const first = await call(app, 'GET', '/api/v1/audit?limit=1');
    expect(first.body.entries).toHaveLength(1);
    expect(first.body.entries[0].seq).toBe(1);
    expect(first.body.nextAfterSeq).toBe(1);
    const second = await call(app, 'GET', `/api/v1/audit?limit=1&afterSeq=${first.body.nextAfterSeq}`);
    expect(second.body.entries[0].seq).toBe(2);
    expect(second.body.entries[0].prevHash).toBe(first.body.entries[0].hash);

    expectError(await call(app, 'GET', '/api/v1/audit?limit=0'), 400, 'INVALID_PARAMETER_VALUE', 'limit');
    expectError(
      await call(app, 'GET', '/api/v1/audit?afterSeq=x'),
      400,
      'INVALID_PARAMETER_VALUE',
      'afterSeq',
    );

    const all = await call(app, 'GET', '/api/v1/audit?limit=1000');
    const verify = await call(app, 'GET', '/api/v1/audit/verify');
    expect(verify.body).toEqual({ ok: true, checked: all.body.entries.length });
  });

  test('openapi.json documents every native route', async () => {
    const r = await call(app, 'GET', '/api/v1/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toEqual(expect.any(String));
    const expected: [string, string][] = [
      ['post', '/api/v1/experiments'],
      ['get', '/api/v1/experiments'],
      ['get', '/api/v1/experiments/{id}'],
      ['get', '/api/v1/experiments/by-name/{name}'],
      ['patch', '/api/v1/experiments/{id}'],
      ['delete', '/api/v1/experiments/{id}'],
      ['post', '/api/v1/experiments/{id}/restore'],
      ['put', '/api/v1/experiments/{id}/tags/{key}'],
      ['delete', '/api/v1/experiments/{id}/tags/{key}'],
      ['post', '/api/v1/runs'],
      ['get', '/api/v1/runs/{id}'],
      ['patch', '/api/v1/runs/{id}'],
      ['delete', '/api/v1/runs/{id}'],
      ['post', '/api/v1/runs/{id}/restore'],
      ['post', '/api/v1/runs/search'],
      ['post', '/api/v1/runs/{id}/log-batch'],
      ['get', '/api/v1/runs/{id}/metrics/{key}/history'],
      ['delete', '/api/v1/runs/{id}/tags/{key}'],
      ['post', '/api/v1/runs/{id}/inputs'],
      ['get', '/api/v1/runs/{id}/artifacts'],
      ['get', '/api/v1/runs/{id}/artifacts/{*}'],
      ['put', '/api/v1/runs/{id}/artifacts/{*}'],
      ['delete', '/api/v1/runs/{id}/artifacts/{*}'],
      ['post', '/api/v1/tokens'],
      ['get', '/api/v1/tokens'],
      ['delete', '/api/v1/tokens/{name}'],
      ['get', '/api/v1/audit'],
      ['get', '/api/v1/audit/verify'],
      ['put', '/api/v1/blobs/{sha256}'],
      ['get', '/api/v1/blobs/{sha256}'],
      ['delete', '/api/v1/blobs/{sha256}'],
      ['post', '/api/v1/datasets/{name}/versions'],
      ['get', '/api/v1/datasets'],
      ['get', '/api/v1/datasets/diff'],
      ['get', '/api/v1/datasets/{ref}'],
      ['get', '/api/v1/models'],
      ['post', '/api/v1/models'],
      ['get', '/api/v1/models/{name}'],
      ['patch', '/api/v1/models/{name}'],
      ['delete', '/api/v1/models/{name}'],
      ['post', '/api/v1/models/{name}/rename'],
      ['put', '/api/v1/models/{name}/tags/{key}'],
      ['delete', '/api/v1/models/{name}/tags/{key}'],
      ['get', '/api/v1/models/{name}/versions'],
      ['post', '/api/v1/models/{name}/versions'],
      ['get', '/api/v1/models/{name}/versions/{version}'],
      ['patch', '/api/v1/models/{name}/versions/{version}'],
      ['delete', '/api/v1/models/{name}/versions/{version}'],
      ['put', '/api/v1/models/{name}/versions/{version}/tags/{key}'],
      ['delete', '/api/v1/models/{name}/versions/{version}/tags/{key}'],
      ['get', '/api/v1/models/{name}/versions/{version}/onnx'],
      ['put', '/api/v1/models/{name}/aliases/{alias}'],
      ['delete', '/api/v1/models/{name}/aliases/{alias}'],
      ['post', '/api/v1/models/{name}/versions/{version}/review'],
      ['get', '/api/v1/models/{name}/versions/{version}/approvals'],
      ['get', '/api/v1/models/{name}/versions/{version}/evaluations'],
      ['post', '/api/v1/models/{name}/versions/{version}/evaluations'],
      ['get', '/api/v1/models/{name}/versions/{version}/lineage'],
      ['get', '/api/v1/model-refs/{ref}'],
      ['get', '/api/v1/deployments'],
      ['post', '/api/v1/deployments'],
      ['get', '/api/v1/deployments/{name}'],
      ['patch', '/api/v1/deployments/{name}'],
      ['delete', '/api/v1/deployments/{name}'],
      ['post', '/api/v1/deployments/{name}/traffic'],
      ['post', '/api/v1/deployments/{name}/promote'],
      ['post', '/api/v1/deployments/{name}/rollback'],
      ['post', '/api/v1/deployments/{name}/primary'],
      ['post', '/api/v1/deployments/{name}/predict'],
      ['post', '/api/v1/deployments/{name}/feedback'],
      ['get', '/api/v1/deployments/{name}/predictions'],
      ['get', '/api/v1/deployments/{name}/windows'],
      ['get', '/api/v1/deployments/{name}/segments'],
      ['get', '/api/v1/monitors'],
      ['post', '/api/v1/monitors'],
      ['post', '/api/v1/monitors/backtest'],
      ['get', '/api/v1/monitors/{name}'],
      ['put', '/api/v1/monitors/{name}'],
      ['delete', '/api/v1/monitors/{name}'],
      ['post', '/api/v1/monitors/{name}/runs'],
      ['get', '/api/v1/monitors/{name}/runs'],
      ['get', '/api/v1/monitors/{name}/results'],
      ['get', '/api/v1/monitors/{name}/report'],
      ['get', '/api/v1/alerts'],
      ['get', '/api/v1/alert-events'],
      ['get', '/api/v1/alert-channels'],
      ['post', '/api/v1/alert-channels'],
      ['get', '/api/v1/alert-channels/{name}'],
      ['delete', '/api/v1/alert-channels/{name}'],
      ['get', '/api/v1/alert-deliveries'],
      ['post', '/api/v1/alert-deliveries/{id}/retry'],
      ['post', '/api/v1/models/{name}/versions/{version}/gate'],
      ['put', '/api/v1/pipelines'],
      ['get', '/api/v1/pipelines'],
      ['get', '/api/v1/pipelines/{name}'],
      ['delete', '/api/v1/pipelines/{name}'],
      ['post', '/api/v1/pipelines/{name}/runs'],
      ['get', '/api/v1/pipeline-runs'],
      ['get', '/api/v1/pipeline-runs/{id}'],
      ['post', '/api/v1/pipeline-runs/{id}/cancel'],
      ['get', '/api/v1/pipeline-runs/{id}/steps/{step}/log'],
      ['get', '/api/v1/jobs'],
      ['get', '/api/v1/jobs/{id}'],
      ['post', '/api/v1/jobs/{id}/retry'],
      ['post', '/api/v1/deployments/{name}/rollouts'],
      ['get', '/api/v1/deployments/{name}/rollouts'],
      ['get', '/api/v1/deployments/{name}/rollouts/{id}'],
      ['post', '/api/v1/deployments/{name}/rollouts/{id}/abort'],
    ];
    for (const [method, path] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method.toUpperCase()} ${path}`).toBeDefined();
      expect(op.summary, `${method} ${path} summary`).toEqual(expect.any(String));
      expect(op.tags?.length, `${method} ${path} tags`).toBeGreaterThan(0);
      expect(op.responses?.['200'], `${method} ${path} response`).toBeDefined();
    }
    // Every documented native operation is in the list above: nothing registered goes undocumented.
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([p]) => p.startsWith('/api/v1/'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(documented.sort()).toEqual(expected.map(([m, p]) => `${m} ${p}`).sort());

    const create = doc.paths['/api/v1/experiments'].post;
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['name']);
    expect(body.properties.name.type).toBe('string');
    expect(body.properties.tags.type).toBe('array');
    const response = create.responses['200'].content['application/json'].schema;
    expect(Object.keys(response.properties)).toEqual(
      expect.arrayContaining(['experimentId', 'name', 'lifecycleStage', 'tags']),
    );
    const listParams = doc.paths['/api/v1/experiments'].get.parameters.map(
      (p: { name: string; in: string }) => `${p.in}:${p.name}`,
    );
    expect(listParams).toEqual(
      expect.arrayContaining(['query:filter', 'query:orderBy', 'query:maxResults', 'query:pageToken']),
    );
    const logBatch = doc.paths['/api/v1/runs/{id}/log-batch'].post;
    expect(logBatch.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'id' })]),
    );
    expect(logBatch.requestBody.content['application/json'].schema.properties.metrics.items.required).toEqual(
      ['key', 'value'],
    );
    const tokenBody = doc.paths['/api/v1/tokens'].post.requestBody.content['application/json'].schema;
    expect(tokenBody.properties.role.enum).toEqual(['viewer', 'editor', 'admin']);
  });
});

describe.each(DIALECTS)('native API tokens (%s)', (dialect) => {
  let env: App;
  beforeAll(async () => {
    env = await testApp(dialect);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  test('create, list, revoke, and the roles they grant', async () => {
    const { app } = env;
    const admin = await call(app, 'POST', '/api/v1/tokens', { name: 'root', role: 'admin' });
    expect(admin.status).toBe(200);
    expect(admin.body.token).toMatch(/^keel_/);
    expect(admin.body.info).toMatchObject({ name: 'root', role: 'admin', lastUsedAt: null, revokedAt: null });
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });

    // With a token in existence, tokenless calls are refused.
    const anon = await app.inject({ method: 'GET', url: '/api/v1/tokens' });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error.code).toBe('UNAUTHENTICATED');

    const viewer = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: auth(admin.body.token),
      payload: { name: 'reader', role: 'viewer' },
    });
    expect(viewer.statusCode).toBe(200);
    const v = viewer.json().token as string;
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/experiments', headers: auth(v) })).statusCode,
    ).toBe(200);
    const denied = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: auth(v) });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('PERMISSION_DENIED');

    const list = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: auth(admin.body.token) });
    expect(list.json().tokens.map((t: { name: string; role: string }) => `${t.name}:${t.role}`)).toEqual([
      'root:admin',
      'reader:viewer',
    ]);
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: auth(admin.body.token),
      payload: { name: 'x', role: 'owner' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'role' });

    const revoke = await app.inject({
      method: 'DELETE',
      url: '/api/v1/tokens/reader',
      headers: auth(admin.body.token),
    });
    expect(revoke.statusCode).toBe(200);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/experiments', headers: auth(v) })).statusCode,
    ).toBe(401);
    const again = await app.inject({
      method: 'DELETE',
      url: '/api/v1/tokens/reader',
      headers: auth(admin.body.token),
    });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});
