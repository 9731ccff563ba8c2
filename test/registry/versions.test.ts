import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModel } from '../../src/registry/models.js';
import { createModelVersion, getModelVersion, type NewModelVersion } from '../../src/registry/versions.js';
import { runArtifactRoot } from '../../src/tracking/artifacts.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import {
  datasetVersion,
  keelError,
  logregOnnx,
  putBlob,
  registryCounts,
  torchOnnx,
  trainingRun,
  unsupportedOnnx,
} from './fixtures.js';

describe.each(DIALECTS)('registering versions (%s)', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await testEnv(dialect);
  });
  afterEach(async () => env.cleanup());

  it("registers a run's logged model/model.onnx with the run's metrics, params and dataset versions", async () => {
    const onnx = logregOnnx();
    const { runId, datasetRef } = await trainingRun(env.ctx, { onnx, dataset: 'loans' });
    const extra = await datasetVersion(env.ctx, 'holdout', 'x1,x2,x3,y\n0,0,0,1\n');
    const v = await createModelVersion(
      env.ctx,
      {
        name: 'credit',
        runId,
        createModel: true,
        datasets: [extra.ref],
        tags: { purpose: 'demo' },
        requireOnnx: true,
      },
      'alice',
    );
    expect(v).toMatchObject({
      name: 'credit',
      version: 1,
      createdBy: 'alice',
      source: `runs:/${runId}/model`,
      runId,
      status: 'READY',
      stage: 'None',
      params: { lr: '0.1', trainer: 'logistic' },
      approval: { status: 'pending', actor: null, reason: null, time: null },
      aliases: [],
      tags: { purpose: 'demo' },
    });
    expect(v.onnx?.size).toBe(onnx.length);
    expect(v.metrics.auc).toBe(0.83);
    expect(v.metrics.loss).toBeNaN();
    expect(v.datasets.map((d) => d.ref)).toEqual([extra.ref, datasetRef]);
    expect(v.signature).toMatchObject({
      inputs: [{ name: 'X', elemType: 'float', shape: ['N', 3] }],
      outputs: [{ name: 'prob', elemType: 'float' }],
      opsets: [{ domain: '', version: 17 }],
      producerName: 'keel',
      operators: ['ai.onnx::Add', 'ai.onnx::MatMul', 'ai.onnx::Sigmoid'],
    });
    // The training data profile's ranges, from the model's keel.features metadata.
    expect(v.featureSchema).toEqual([
      { name: 'x1', type: 'float', min: -3, max: 4 },
      { name: 'x2', type: 'integer', min: 0, max: 10 },
      { name: 'x3', type: 'float' },
    ]);
    // Stored as read back, NaN included.
    const again = await getModelVersion(env.ctx, 'credit', 1);
    expect(again.metrics.loss).toBeNaN();
    expect({ ...again, metrics: {} }).toEqual({ ...v, metrics: {} });

    const audit = await env.ctx.store.db
      .selectFrom('audit_log')
      .select(['action', 'object_id', 'after'])
      .where('action', 'in', ['model.create', 'model_version.create'])
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => [a.action, a.object_id])).toEqual([
      ['model.create', 'credit'],
      ['model_version.create', 'credit@1'],
    ]);
    expect(JSON.parse(audit[1]!.after!)).toMatchObject({ runId, datasets: [extra.ref, datasetRef] });
  });

  it('finds the model through the source URIs MLflow clients send', async () => {
    const { runId } = await trainingRun(env.ctx, { onnx: logregOnnx(), artifact: 'clf/model.onnx' });
    await createModel(env.ctx, { name: 'credit' }, 'alice');
    const { uri } = await runArtifactRoot(env.ctx, runId);
    const a = await createModelVersion(env.ctx, { name: 'credit', source: `${uri}/clf`, runId }, 'alice');
    const b = await createModelVersion(
      env.ctx,
      { name: 'credit', source: `runs:/${runId}/clf/model.onnx` },
      'alice',
    );
    const c = await createModelVersion(
      env.ctx,
      { name: 'credit', runId, artifactPath: 'clf', requireOnnx: true },
      'alice',
    );
    expect([a, b, c].map((v) => [v.version, v.runId, v.onnx?.sha256])).toEqual([
      [1, runId, a.onnx!.sha256],
      [2, runId, a.onnx!.sha256],
      [3, runId, a.onnx!.sha256],
    ]);
    expect(b.source).toBe(`runs:/${runId}/clf/model.onnx`);
    // A source without model.onnx is fine for MLflow clients (any flavour), not for the native API.
    const plain = await createModelVersion(
      env.ctx,
      { name: 'credit', source: `runs:/${runId}/sklearn` },
      'alice',
    );
    expect(plain).toMatchObject({ version: 4, onnx: null, signature: null, runId, params: { lr: '0.1' } });
    const s3 = await createModelVersion(env.ctx, { name: 'credit', source: 's3://bucket/model' }, 'alice');
    expect(s3).toMatchObject({ version: 5, onnx: null, runId: null });
    const before = await registryCounts(env.ctx);
    const e = await keelError(
      createModelVersion(
        env.ctx,
        { name: 'credit', runId, artifactPath: 'sklearn', requireOnnx: true },
        'alice',
      ),
    );
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/^no ONNX model at 0\/\w+\/artifacts\/sklearn\/model\.onnx; /);
    expect(await registryCounts(env.ctx)).toEqual(before);
  });

  it('registers a real PyTorch export from an uploaded blob', async () => {
    const bytes = torchOnnx();
    const v = await createModelVersion(
      env.ctx,
      {
        name: 'mlp',
        onnxSha256: await putBlob(env.ctx, bytes),
        createModel: true,
        requireOnnx: true,
        featureSchema: [{ name: 'features', type: 'float', min: -5, max: 5 }],
      },
      'alice',
    );
    expect(v).toMatchObject({ version: 1, runId: null, metrics: {}, params: {}, datasets: [] });
    expect(v.source).toBe(`blobs:/${v.onnx!.sha256}`);
    expect(v.signature?.producerName).toBe('pytorch');
    expect(v.signature?.inputs).toMatchObject([{ name: 'features', elemType: 'float', shape: ['batch', 4] }]);
    expect(v.signature?.operators).toEqual(expect.arrayContaining(['ai.onnx::Gemm', 'ai.onnx::Relu']));
    expect(v.featureSchema).toEqual([{ name: 'features', type: 'float', min: -5, max: 5 }]);
  });

  describe('bad input: a clear error, nothing written', () => {
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['a file that is not ONNX', () => new TextEncoder().encode('name,age\nann,41\n'), /not an ONNX model/],
      ['a truncated ONNX file', () => logregOnnx().subarray(0, 40), /not an ONNX model/],
      ['an operator onnxruntime lacks', unsupportedOnnx, /onnxruntime cannot load the model: .*Foo/],
    ];
    it.each(cases)('%s, as an uploaded blob or a run artifact', async (_label, bytes, message) => {
      await createModel(env.ctx, { name: 'existing' }, 'alice');
      const { runId } = await trainingRun(env.ctx, { onnx: bytes() });
      const sha = await putBlob(env.ctx, bytes());
      const before = await registryCounts(env.ctx);
      const attempts: NewModelVersion[] = [
        { name: 'fresh', onnxSha256: sha, createModel: true },
        { name: 'existing', onnxSha256: sha },
        { name: 'fresh', runId, createModel: true },
        { name: 'existing', source: `runs:/${runId}/model` },
      ];
      for (const input of attempts) {
        const e = await keelError(createModelVersion(env.ctx, input, 'alice'));
        expect(e.code).toBe('INVALID_PARAMETER_VALUE');
        expect(e.message).toMatch(message);
      }
      expect(await registryCounts(env.ctx)).toEqual(before);
      const row = await env.ctx.store.db
        .selectFrom('registered_models')
        .select('last_version')
        .where('name', '=', 'existing')
        .executeTakeFirstOrThrow();
      expect(row.last_version).toBe(0);
      // The same model registers fine once the file is good: no number was burnt.
      const good = await createModelVersion(
        env.ctx,
        { name: 'existing', onnxSha256: await putBlob(env.ctx, logregOnnx()) },
        'alice',
      );
      expect(good.version).toBe(1);
    });

    it('names the file in the message', async () => {
      const { runId } = await trainingRun(env.ctx, { onnx: unsupportedOnnx() });
      const e = await keelError(
        createModelVersion(env.ctx, { name: 'm', runId, createModel: true }, 'alice'),
      );
      expect(e.message).toMatch(/^0\/\w+\/artifacts\/model\/model\.onnx: onnxruntime cannot load the model/);
    });

    it('unknown run, unknown model, missing blob, bad dataset ref, bad feature schema', async () => {
      const { runId } = await trainingRun(env.ctx, { onnx: logregOnnx() });
      const sha = await putBlob(env.ctx, logregOnnx());
      await createModel(env.ctx, { name: 'credit' }, 'alice');
      const before = await registryCounts(env.ctx);
      const expectations: [NewModelVersion, string, RegExp][] = [
        [{ name: 'credit', runId: 'nope' }, 'RESOURCE_DOES_NOT_EXIST', /Run with id=nope not found/],
        [
          { name: 'ghost', onnxSha256: sha },
          'RESOURCE_DOES_NOT_EXIST',
          /Registered Model with name=ghost not found/,
        ],
        [
          { name: 'credit', onnxSha256: 'a'.repeat(64) },
          'INVALID_PARAMETER_VALUE',
          /blob a{64} is not in the artifact store; upload the ONNX file first/,
        ],
        [
          { name: 'credit', runId, datasets: ['loans@9'] },
          'RESOURCE_DOES_NOT_EXIST',
          /Dataset version 'loans@9' does not exist/,
        ],
        [
          { name: 'credit', onnxSha256: sha, featureSchema: [{ name: 'a', type: 'float', min: 2, max: 1 }] },
          'INVALID_PARAMETER_VALUE',
          /feature 'a' has min 2 > max 1/,
        ],
        [
          { name: 'credit', runId: 'other', source: `runs:/${runId}/model` },
          'INVALID_PARAMETER_VALUE',
          /names run \w+, but run_id is other/,
        ],
        [{ name: 'credit' }, 'INVALID_PARAMETER_VALUE', /needs an ONNX file/],
      ];
      for (const [input, code, message] of expectations) {
        const e = await keelError(createModelVersion(env.ctx, input, 'alice'));
        expect([e.code, e.message]).toEqual([code, expect.stringMatching(message)]);
      }
      expect(await registryCounts(env.ctx)).toEqual(before);
    });
  });
});
