import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverConfigFrom } from '../../src/core/config.js';
import { sha256Hex } from '../../src/core/ids.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { startS3rver } from '../artifacts/helpers.js';

/**
 * `keel server` configured the way an operator would (KEEL_ARTIFACTS=s3://… plus AWS_* variables),
 * against a real S3-protocol server: MLflow's artifact proxy stores blobs in the bucket.
 */
describe('keel server with KEEL_ARTIFACTS=s3://', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let server: RunningServer;
  let dir: string;

  beforeAll(async () => {
    s3 = await startS3rver();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-s3srv-'));
    const endpoint = s3.location('').endpoint!;
    server = await startServer(
      serverConfigFrom(
        { dataDir: dir, port: '0', logLevel: 'silent' },
        {
          KEEL_ARTIFACTS: 's3://keel-test/team/keel',
          AWS_ENDPOINT_URL_S3: endpoint,
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
          AWS_REGION: 'us-east-1',
        },
      ),
    );
  });
  afterAll(async () => {
    await server?.close();
    await s3?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const api = (p: string) => `${server.url}/api/2.0${p}`;
  const postJson = async (p: string, body: unknown) => {
    const r = await fetch(api(p), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(200);
    return r.json() as Promise<{
      experiment_id: string;
      run: { info: { run_id: string; artifact_uri: string } };
    }>;
  };

  it('uploads, lists, downloads and deletes run artifacts through the proxy, stored by sha256 in the bucket', async () => {
    const { experiment_id } = await postJson('/mlflow/experiments/create', { name: 's3' });
    const { run } = await postJson('/mlflow/runs/create', { experiment_id });
    const root = run.info.artifact_uri.replace('mlflow-artifacts:/', '');
    const model = Buffer.alloc(3 * 1024 * 1024, 7);
    const put = await fetch(api(`/mlflow-artifacts/artifacts/${root}/model/model.onnx`), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: model,
    });
    expect(put.status).toBe(200);
    // The same bytes under a second name are stored once.
    await fetch(api(`/mlflow-artifacts/artifacts/${root}/model/copy.onnx`), { method: 'PUT', body: model });

    const digest = sha256Hex(model);
    const keys = await s3.rawKeys('team/keel/');
    expect(keys).toEqual([`team/keel/sha256/${digest.slice(0, 2)}/${digest.slice(2, 4)}/${digest}`]);

    const list = await (
      await fetch(api(`/mlflow/artifacts/list?run_id=${run.info.run_id}&path=model`))
    ).json();
    expect(list).toEqual({
      root_uri: run.info.artifact_uri,
      files: [
        { path: 'model/copy.onnx', is_dir: false, file_size: model.length },
        { path: 'model/model.onnx', is_dir: false, file_size: model.length },
      ],
    });
    const got = Buffer.from(
      await (await fetch(api(`/mlflow-artifacts/artifacts/${root}/model/model.onnx`))).arrayBuffer(),
    );
    expect(got.equals(model)).toBe(true);

    // Deleting one name keeps the shared blob; deleting the last one removes it from the bucket.
    await fetch(api(`/mlflow-artifacts/artifacts/${root}/model/copy.onnx`), { method: 'DELETE' });
    expect(await s3.rawKeys('team/keel/sha256/')).toHaveLength(1);
    await fetch(api(`/mlflow-artifacts/artifacts/${root}/model`), { method: 'DELETE' });
    expect(await s3.rawKeys('team/keel/sha256/')).toEqual([]);
    const gone = await fetch(api(`/mlflow-artifacts/artifacts/${root}/model/model.onnx`));
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('/ready reports the S3 artifact store', async () => {
    expect(await (await fetch(`${server.url}/ready`)).json()).toMatchObject({ ready: true, artifacts: 's3' });
  });
});
