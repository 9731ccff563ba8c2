import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobReferenced } from '../../src/artifacts/references.js';
import { createModelVersion, deleteModelVersion } from '../../src/registry/versions.js';
import { deleteArtifact, runArtifactRoot } from '../../src/tracking/artifacts.js';
import { DIALECTS, type TestEnv, testEnv } from '../helpers/context.js';
import { logregOnnx, trainingRun } from './fixtures.js';

describe.each(DIALECTS)('a registered version keeps its ONNX blob (%s)', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await testEnv(dialect);
  });
  afterEach(async () => env.cleanup());

  it("deleting the run's model artifact leaves the registered ONNX in the blob store", async () => {
    const { runId } = await trainingRun(env.ctx, { onnx: logregOnnx() });
    const v = await createModelVersion(
      env.ctx,
      { name: 'credit', runId, createModel: true, requireOnnx: true },
      'alice',
    );
    const sha = v.onnx!.sha256;
    const { root } = await runArtifactRoot(env.ctx, runId);
    await deleteArtifact(env.ctx, `${root}/model`, 'alice');
    expect(await blobReferenced(env.ctx.store.db, sha)).toBe(true);
    expect(await env.ctx.blobs.head(sha)).not.toBeNull();
    // Once the version is gone too, nothing refers to the blob any more.
    await deleteModelVersion(env.ctx, 'credit', 1, 'alice');
    expect(await blobReferenced(env.ctx.store.db, sha)).toBe(false);
  });
});
