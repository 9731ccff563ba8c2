import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Actor } from '../../src/audit/tx.js';
import type { Context } from '../../src/context.js';
import { KeelError } from '../../src/core/errors.js';
import { sha256Hex } from '../../src/core/ids.js';
import { createVersion } from '../../src/data/versions.js';
import { model, node, tensor, valueInfo } from '../../src/models/onnx/write.js';
import { putArtifact, runArtifactRoot } from '../../src/tracking/artifacts.js';
import { logBatch, logInputs } from '../../src/tracking/logging.js';
import { createRun } from '../../src/tracking/runs.js';

/** What a Keel trainer writes into `keel.features`. */
export const FEATURES = [
  { name: 'x1', kind: 'numeric', sourceType: 'float', min: -3, max: 4 },
  { name: 'x2', kind: 'numeric', sourceType: 'integer', min: 0, max: 10 },
  { name: 'x3', kind: 'numeric', sourceType: 'float' },
];

/** Logistic regression Sigmoid(X·W + b) over three features; `seed` varies the weights (and hash). */
export function logregOnnx(seed = 1, metadata: Record<string, string> = {}): Uint8Array {
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
      initializers: [
        tensor('W', [3, 1], new Float32Array([0.8 * seed, -1.2, 0.35])),
        tensor('B', [1], [-0.1]),
      ],
    },
    opsets: [{ domain: '', version: 17 }],
    producer: 'keel',
    producerVersion: '0.1.0',
    metadata: { 'keel.features': JSON.stringify(FEATURES), ...metadata },
  });
}

/** A well-formed ONNX model whose operator (com.example::Foo) onnxruntime does not implement. */
export function unsupportedOnnx(): Uint8Array {
  return model({
    graph: {
      name: 'custom',
      nodes: [node('Foo', ['X'], ['Y'], {}, 'com.example')],
      inputs: [valueInfo('X', 'float', ['N', 3])],
      outputs: [valueInfo('Y', 'float', ['N', 3])],
    },
    opsets: [
      { domain: '', version: 17 },
      { domain: 'com.example', version: 1 },
    ],
  });
}

/** A real PyTorch export (test/fixtures/onnx/make_torch_mlp.py). */
export const torchOnnx = (): Uint8Array =>
  new Uint8Array(fs.readFileSync(path.resolve('test/fixtures/onnx/torch_mlp.onnx')));

/** Stores bytes as a blob, as PUT /api/v1/blobs does. */
export async function putBlob(ctx: Context, bytes: Uint8Array): Promise<string> {
  return (await ctx.blobs.put(bytes, { expectedSha256: sha256Hex(bytes) })).sha256;
}

/** A dataset version `name@N` made of one small CSV. */
export async function datasetVersion(ctx: Context, name: string, csv: string, actor: Actor = 'alice') {
  const sha = await putBlob(ctx, new TextEncoder().encode(csv));
  const { version } = await createVersion(
    ctx,
    {
      name,
      files: [{ path: 'train.csv', sha256: sha, size: Buffer.byteLength(csv) }],
      rows: csv.trim().split('\n').length - 1,
      badRows: 0,
      schema: null,
      profile: null,
    },
    actor,
  );
  return version;
}

/**
 * A finished training run as `keel train` leaves it: params, metrics, a git commit tag, a dataset
 * version declared as input, and the model logged at `<artifactPath>` (model/model.onnx).
 */
export async function trainingRun(
  ctx: Context,
  opts: { onnx?: Uint8Array; artifact?: string; dataset?: string } = {},
): Promise<{ runId: string; datasetRef: string | null }> {
  const run = await createRun(
    ctx,
    { runName: 'train-credit', tags: [{ key: 'mlflow.source.git.commit', value: 'abc123def' }] },
    'alice',
  );
  await logBatch(
    ctx,
    run.runId,
    {
      params: [
        { key: 'lr', value: '0.1' },
        { key: 'trainer', value: 'logistic' },
      ],
      metrics: [
        { key: 'auc', value: 0.7, timestamp: 1, step: 0 },
        { key: 'auc', value: 0.83, timestamp: 2, step: 1 },
        { key: 'loss', value: Number.NaN, timestamp: 2, step: 1 },
      ],
    },
    'alice',
  );
  let datasetRef: string | null = null;
  if (opts.dataset !== undefined) {
    const v = await datasetVersion(ctx, opts.dataset, 'x1,x2,x3,y\n1,2,3,0\n2,3,4,1\n');
    datasetRef = v.ref;
    await logInputs(
      ctx,
      run.runId,
      [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: { name: v.name, digest: v.contentHash, sourceType: 'keel', source: `keel://${v.ref}` },
        },
      ],
      'alice',
    );
  }
  if (opts.onnx) {
    const { root } = await runArtifactRoot(ctx, run.runId);
    await putArtifact(ctx, `${root}/${opts.artifact ?? 'model/model.onnx'}`, opts.onnx, 'alice');
  }
  return { runId: run.runId, datasetRef };
}

/** Resolves with the KeelError `p` rejects with (fails when it resolves or throws something else). */
export async function keelError(p: Promise<unknown>): Promise<KeelError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(KeelError);
  return e as KeelError;
}

/** Row counts of every registry table plus the audit log: "nothing written" means none changed. */
export async function registryCounts(ctx: Context): Promise<Record<string, number>> {
  const tables = [
    'registered_models',
    'registered_model_tags',
    'model_versions',
    'model_version_tags',
    'model_aliases',
    'model_approvals',
    'model_evaluations',
    'audit_log',
  ] as const;
  const out: Record<string, number> = {};
  for (const t of tables) {
    const r = await ctx.store.db
      .selectFrom(t)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}
