import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/ids.js';
import { Keel, KeelApiError } from '../../src/sdk/index.js';
import { DIALECTS, type TestEnv, testApp } from '../helpers/context.js';
import { logregOnnx, registryCounts, torchOnnx, trainingRun, unsupportedOnnx } from '../registry/fixtures.js';

type Env = TestEnv & { app: FastifyInstance };

describe.each(DIALECTS)('model registry over /api/v1 (%s)', (dialect) => {
  let env: Env;
  beforeEach(async () => {
    env = await testApp(dialect);
  });
  afterEach(async () => env.cleanup());

  const call = async (method: string, url: string, body?: unknown, token?: string) => {
    const r = await env.app.inject({
      method: method as 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    const json = String(r.headers['content-type'] ?? '').startsWith('application/json');
    return {
      status: r.statusCode,
      body: json && r.body ? JSON.parse(r.body) : undefined,
      raw: r.rawPayload,
      headers: r.headers,
    };
  };
  const upload = async (bytes: Uint8Array, token?: string) => {
    const sha = sha256Hex(bytes);
    const r = await env.app.inject({
      method: 'PUT',
      url: `/api/v1/blobs/${sha}`,
      payload: Buffer.from(bytes),
      headers: {
        'content-type': 'application/octet-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });
    expect(r.statusCode).toBe(200);
    return sha;
  };

  it('registers, reads, aliases, reviews, evaluates and resolves versions', async () => {
    const created = await call('POST', '/api/v1/models', {
      name: 'credit',
      description: 'loans',
      tags: { team: 'risk' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      name: 'credit',
      createdBy: 'local',
      tags: { team: 'risk' },
      latestVersion: null,
    });
    expect((await call('POST', '/api/v1/models', { name: 'credit' })).body).toEqual({
      error: { code: 'RESOURCE_ALREADY_EXISTS', message: 'Registered Model (name=credit) already exists.' },
    });

    const onnx = logregOnnx();
    const sha = await upload(onnx);
    const v1 = await call('POST', '/api/v1/models/credit/versions', {
      onnxSha256: sha,
      description: 'first',
    });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({
      name: 'credit',
      version: 1,
      description: 'first',
      onnx: { sha256: sha, size: onnx.length },
      approval: { status: 'pending' },
      featureSchema: [{ name: 'x1' }, { name: 'x2' }, { name: 'x3' }],
    });
    const { runId } = await trainingRun(env.ctx, { onnx: logregOnnx(2), dataset: 'loans' });
    const v2 = await call('POST', '/api/v1/models/credit/versions', {
      runId,
      artifactPath: 'model',
      datasets: [],
    });
    expect(v2.body).toMatchObject({
      version: 2,
      runId,
      datasets: [{ ref: 'loans@1' }],
      metrics: { auc: 0.83, loss: 'NaN' },
    });

    expect(
      (await call('GET', '/api/v1/models/credit/versions')).body.versions.map(
        (v: { version: number }) => v.version,
      ),
    ).toEqual([2, 1]);
    expect(
      (await call('PATCH', '/api/v1/models/credit/versions/1', { description: 'baseline' })).body.description,
    ).toBe('baseline');
    expect(
      (await call('PATCH', '/api/v1/models/credit', { description: 'loan approvals' })).body.description,
    ).toBe('loan approvals');

    const review = await call('POST', '/api/v1/models/credit/versions/2/review', {
      status: 'approved',
      reason: 'AUC up',
    });
    expect(review.body.approval).toMatchObject({ status: 'approved', actor: 'local', reason: 'AUC up' });
    const alias = await call('PUT', '/api/v1/models/credit/aliases/champion', { version: 2 });
    expect(alias.body.aliases).toEqual({ champion: 2 });
    await call('POST', '/api/v1/models/credit/versions/1/review', { status: 'rejected', reason: 'stale' });
    const refused = await call('PUT', '/api/v1/models/credit/aliases/challenger', { version: 1 });
    expect([refused.status, refused.body.error.message]).toEqual([
      400,
      'version 1 of credit is rejected; an alias cannot point at it',
    ]);

    for (const [ref, version] of [
      ['credit', 2],
      ['credit@champion', 2],
      ['credit@1', 1],
    ] as const) {
      const r = await call('GET', `/api/v1/model-refs/${encodeURIComponent(ref)}`);
      expect([ref, r.body.version]).toEqual([ref, version]);
    }
    const missing = await call('GET', `/api/v1/model-refs/${encodeURIComponent('credit@shadow')}`);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);

    const ev = await call('POST', '/api/v1/models/credit/versions/2/evaluations', {
      datasetRef: 'loans@1',
      result: { auc: 0.8 },
    });
    expect(ev.body).toMatchObject({ datasetRef: 'loans@1', result: { auc: 0.8 } });
    expect((await call('GET', '/api/v1/models/credit/versions/2/evaluations')).body.evaluations).toHaveLength(
      1,
    );
    expect((await call('GET', '/api/v1/models/credit/versions/1/approvals')).body.approvals).toMatchObject([
      { status: 'rejected', actor: 'local', reason: 'stale' },
    ]);
    const lineage = await call('GET', '/api/v1/models/credit/versions/2/lineage');
    expect(lineage.body).toMatchObject({
      datasets: [{ ref: 'loans@1', rows: 2 }],
      run: { runId, gitCommit: 'abc123def' },
      aliases: ['champion'],
    });

    const file = await call('GET', '/api/v1/models/credit/versions/1/onnx');
    expect(file.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.compare(file.raw, Buffer.from(onnx))).toBe(0);

    await call('PUT', '/api/v1/models/credit/tags/owner', { value: 'ann' });
    await call('PUT', '/api/v1/models/credit/versions/2/tags/gate', { value: 'passed' });
    const renamed = await call('POST', '/api/v1/models/credit/rename', { newName: 'loans-model' });
    expect(renamed.body).toMatchObject({
      name: 'loans-model',
      aliases: { champion: 2 },
      tags: { team: 'risk', owner: 'ann' },
      latestVersion: 2,
    });
    expect((await call('GET', '/api/v1/models/loans-model/versions/2')).body.tags).toEqual({
      gate: 'passed',
    });
    expect((await call('DELETE', '/api/v1/models/loans-model/aliases/champion')).status).toBe(200);
    expect((await call('DELETE', '/api/v1/models/loans-model/versions/1')).status).toBe(200);
    expect((await call('GET', '/api/v1/models/loans-model/versions/1')).status).toBe(404);
    expect((await call('DELETE', '/api/v1/models/loans-model')).status).toBe(200);
    expect((await call('GET', '/api/v1/models')).body).toEqual({ models: [] });
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    await call('POST', '/api/v1/models', { name: 'credit' });
    const before = await registryCounts(env.ctx);
    const notOnnx = await upload(new TextEncoder().encode('definitely not a model'));
    const unsupported = await upload(unsupportedOnnx());
    const cases: [unknown, number, string, RegExp][] = [
      [{ onnxSha256: notOnnx }, 400, 'INVALID_PARAMETER_VALUE', /not an ONNX model/],
      [
        { onnxSha256: unsupported, createModel: true },
        400,
        'INVALID_PARAMETER_VALUE',
        /onnxruntime cannot load the model/,
      ],
      [{ onnxSha256: 'f'.repeat(64) }, 400, 'INVALID_PARAMETER_VALUE', /is not in the artifact store/],
      [{ onnxSha256: 'XYZ' }, 400, 'INVALID_PARAMETER_VALUE', /parameter 'onnxSha256'/],
      [{ runId: 'nope' }, 404, 'RESOURCE_DOES_NOT_EXIST', /Run with id=nope not found/],
      [{}, 400, 'INVALID_PARAMETER_VALUE', /needs an ONNX file/],
      // The native API wants ONNX: an MLflow-style source without model.onnx is refused here.
      [{ source: 's3://bucket/model' }, 400, 'INVALID_PARAMETER_VALUE', /outside Keel's artifact store/],
    ];
    for (const [body, status, code, message] of cases) {
      for (const name of ['credit', 'fresh']) {
        const r = await call('POST', `/api/v1/models/${name}/versions`, {
          ...(body as object),
          ...(name === 'fresh' ? { createModel: true } : {}),
        });
        expect([JSON.stringify(body), r.status, r.body.error.code]).toEqual([
          JSON.stringify(body),
          status,
          code,
        ]);
        expect(r.body.error.message).toMatch(message);
      }
    }
    expect(await registryCounts(env.ctx)).toEqual(before);
    expect((await call('GET', '/api/v1/models/credit/versions/x')).body.error.field).toBe('version');
    expect((await call('GET', '/api/v1/models/credit/versions/0')).status).toBe(400);
  });

  it('enforces roles: viewers read, editors write, only admins review', async () => {
    const token = async (name: string, role: string, auth?: string) =>
      (await call('POST', '/api/v1/tokens', { name, role }, auth)).body.token as string;
    const admin = await token('root', 'admin');
    const editor = await token('dev', 'editor', admin);
    const viewer = await token('ro', 'viewer', admin);

    expect((await call('POST', '/api/v1/models', { name: 'credit' }, viewer)).status).toBe(403);
    expect((await call('POST', '/api/v1/models', { name: 'credit' }, editor)).status).toBe(200);
    const sha = await upload(torchOnnx(), editor);
    const v = await call('POST', '/api/v1/models/credit/versions', { onnxSha256: sha }, editor);
    expect(v.body).toMatchObject({ version: 1, createdBy: 'dev', signature: { producerName: 'pytorch' } });

    expect((await call('GET', '/api/v1/models/credit/versions/1', undefined, viewer)).status).toBe(200);
    expect((await call('GET', '/api/v1/models', undefined, viewer)).body.models).toHaveLength(1);
    for (const [method, url, body] of [
      ['POST', '/api/v1/models/credit/versions', { onnxSha256: sha }],
      ['PUT', '/api/v1/models/credit/aliases/champion', { version: 1 }],
      ['PATCH', '/api/v1/models/credit', { description: 'x' }],
      ['DELETE', '/api/v1/models/credit/versions/1', undefined],
      ['POST', '/api/v1/models/credit/versions/1/evaluations', { result: {} }],
      ['POST', '/api/v1/models/credit/versions/1/review', { status: 'approved' }],
    ] as const) {
      const r = await call(method, url, body, viewer);
      expect([method, url, r.status]).toEqual([method, url, 403]);
    }
    const byEditor = await call(
      'POST',
      '/api/v1/models/credit/versions/1/review',
      { status: 'approved' },
      editor,
    );
    expect([byEditor.status, byEditor.body.error.code]).toEqual([403, 'PERMISSION_DENIED']);
    const byAdmin = await call(
      'POST',
      '/api/v1/models/credit/versions/1/review',
      { status: 'approved', reason: 'ok' },
      admin,
    );
    expect(byAdmin.body.approval).toMatchObject({ status: 'approved', actor: 'root' });
    expect((await call('PUT', '/api/v1/models/credit/aliases/champion', { version: 1 }, editor)).status).toBe(
      200,
    );
  });

  it('works through the SDK: registerVersion uploads the ONNX bytes, downloadOnnx returns them', async () => {
    const url = await env.app.listen({ port: 0, host: '127.0.0.1' });
    const keel = new Keel({ url });
    const bytes = torchOnnx();
    const v = await keel.models.registerVersion({
      name: 'mlp',
      onnx: bytes,
      createModel: true,
      description: 'torch export',
      tags: { framework: 'pytorch' },
    });
    expect(v).toMatchObject({
      name: 'mlp',
      version: 1,
      description: 'torch export',
      tags: { framework: 'pytorch' },
    });
    expect(v.signature?.inputs[0]).toMatchObject({ name: 'features', shape: ['batch', 4] });
    const { runId } = await trainingRun(env.ctx, { onnx: logregOnnx(), dataset: 'loans' });
    const v2 = await keel.models.registerVersion({ name: 'mlp', runId, artifactPath: 'model' });
    expect(v2.metrics.loss).toBeNaN();
    expect(v2.datasets.map((d) => d.ref)).toEqual(['loans@1']);

    await keel.models.review('mlp@1', 'approved', 'fine');
    await keel.models.setAlias('mlp', 'champion', 1);
    expect((await keel.models.resolve('mlp')).version).toBe(1);
    expect((await keel.models.resolve('mlp@champion')).version).toBe(1);
    expect(
      Buffer.compare(Buffer.from(await keel.models.downloadOnnx('mlp@champion')), Buffer.from(bytes)),
    ).toBe(0);
    expect(await keel.models.approvals('mlp@champion')).toMatchObject([
      { status: 'approved', reason: 'fine' },
    ]);
    await keel.models.addEvaluation('mlp', 2, { datasetRef: 'loans', result: { rmse: 0.1 } });
    expect((await keel.models.listEvaluations('mlp', 2))[0]).toMatchObject({
      datasetRef: 'loans@1',
      result: { rmse: 0.1 },
    });
    expect((await keel.models.lineage('mlp', 2)).run?.gitCommit).toBe('abc123def');
    expect((await keel.models.listVersions('mlp')).map((x) => x.version)).toEqual([2, 1]);
    expect((await keel.models.list()).map((m) => [m.name, m.latestVersion, m.aliases])).toEqual([
      ['mlp', 2, { champion: 1 }],
    ]);
    expect((await keel.models.rename('mlp', 'mlp2')).name).toBe('mlp2');
    await keel.models.deleteAlias('mlp2', 'champion');
    await keel.models.deleteVersion('mlp2', 2);
    expect((await keel.models.get('mlp2')).latestVersion).toBe(1);

    const err = await keel.models
      .registerVersion({ name: 'mlp2', onnx: unsupportedOnnx() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeelApiError);
    expect((err as KeelApiError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await keel.models.get('mlp2')).latestVersion).toBe(1);
    await keel.models.delete('mlp2');
    expect(await keel.models.list()).toEqual([]);
  });
});
