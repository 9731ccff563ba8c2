/** Synthetic prediction events for the prediction log and feedback suites (tensors built by hand). */
import type { Context } from '../../src/context.js';
import type { LogSpec, ModelIO, PredictionEvent, RouteName } from '../../src/serving/types.js';

/** 2024-01-01T00:00:00Z: a multiple of every window size the suites use. */
export const T0 = Date.UTC(2024, 0, 1);
export const AGE_EDGES = [0, 20, 40, 60, 80, 100];

/** A binary classifier over a float `age` and a string `region`, both [N, 1]. */
export const creditIO = (version = 1): ModelIO => ({
  model: 'credit',
  version,
  inputs: [
    {
      name: 'age',
      kind: 'tensor',
      elemType: 'float',
      shape: [null, 1],
      type: 'tensor(float)',
      docString: '',
    },
    {
      name: 'region',
      kind: 'tensor',
      elemType: 'string',
      shape: [null, 1],
      type: 'tensor(string)',
      docString: '',
    },
  ] as ModelIO['inputs'],
  outputs: [
    { name: 'label', kind: 'tensor', elemType: 'int64', shape: [null], type: 'tensor(int64)', docString: '' },
    {
      name: 'probabilities',
      kind: 'tensor',
      elemType: 'float',
      shape: [null, 2],
      type: 'tensor(float)',
      docString: '',
    },
  ] as ModelIO['outputs'],
  featureSchema: [
    { name: 'age', type: 'float' },
    { name: 'region', type: 'categorical' },
  ],
  packedFeatures: null,
  task: 'binary',
  classes: [0, 1],
  labelOutput: 'label',
  probabilitiesOutput: 'probabilities',
  valueOutput: null,
});

export const SPEC: LogSpec = { enabled: true, windowSeconds: 60, sampleRows: 5 };

export interface EventOptions {
  requestId: string;
  ages: number[];
  regions?: string[];
  version?: number;
  route?: RouteName;
  eventTime?: number;
  deployment?: string;
}

/** An event of `ages.length` rows; row i predicts class 1 with probability ages[i] / 100. */
export function creditEvent(o: EventOptions): PredictionEvent {
  const n = o.ages.length;
  const probs = new Float32Array(n * 2);
  const labels = new BigInt64Array(n);
  o.ages.forEach((a, i) => {
    const p = Math.fround(a / 100);
    probs[i * 2] = 1 - p;
    probs[i * 2 + 1] = p;
    labels[i] = p >= 0.5 ? 1n : 0n;
  });
  return {
    deployment: o.deployment ?? 'credit-api',
    model: 'credit',
    version: o.version ?? 1,
    route: o.route ?? 'primary',
    requestId: o.requestId,
    eventTime: o.eventTime ?? T0 + 1000,
    latencyUs: 250,
    inputs: {
      age: { type: 'float32', dims: [n, 1], data: Float32Array.from(o.ages) },
      region: {
        type: 'string',
        dims: [n, 1],
        data: o.regions ?? o.ages.map((_, i) => (i % 2 ? 'north' : 'south')),
      },
    },
    outputs: {
      label: { type: 'int64', dims: [n], data: labels },
      probabilities: { type: 'float32', dims: [n, 2], data: probs },
    },
  };
}

/** A deployments row (the log itself does not need one; feedback and the read API do). */
export async function insertDeployment(ctx: Context, name = 'credit-api'): Promise<void> {
  await ctx.store.db
    .insertInto('deployments')
    .values({
      name,
      description: '',
      model: 'credit',
      source_ref: 'credit@1',
      spec: '{}',
      revision: 1,
      created_at: T0,
      updated_at: T0,
      created_by: 'alice',
    })
    .execute();
}

/**
 * Registers credit v1 with a training dataset whose stored profile has `age` histogram edges
 * AGE_EDGES: the log must bin windows on them.
 */
export async function insertModelWithReference(ctx: Context): Promise<void> {
  const db = ctx.store.db;
  const profile = {
    rows: 100,
    badRows: 0,
    columns: [
      {
        name: 'age',
        type: 'float',
        count: 100,
        missing: 0,
        hll: '',
        distinctEstimate: 50,
        histogram: { edges: AGE_EDGES, counts: [20, 20, 20, 20, 20], underflow: 0, overflow: 0 },
      },
    ],
  };
  await db
    .insertInto('dataset_versions')
    .values({
      version_id: 'dv1',
      name: 'loans',
      version: 1,
      content_hash: 'a'.repeat(64),
      rows: 100,
      bad_rows: 0,
      file_count: 0,
      bytes: 0,
      schema: null,
      profile: JSON.stringify(profile),
      message: '',
      created_by: 'alice',
      created_at: T0,
    })
    .execute();
  await db
    .insertInto('registered_models')
    .values({
      name: 'credit',
      description: '',
      created_at: T0,
      updated_at: T0,
      created_by: 'alice',
      last_version: 1,
    })
    .execute();
  await db
    .insertInto('model_versions')
    .values({
      name: 'credit',
      version: 1,
      created_at: T0,
      updated_at: T0,
      created_by: 'alice',
      description: '',
      source: '',
      run_id: null,
      run_link: '',
      status: 'READY',
      current_stage: 'None',
      onnx_sha256: null,
      onnx_size: null,
      signature: null,
      feature_schema: JSON.stringify(creditIO().featureSchema),
      datasets: JSON.stringify([{ ref: 'loans@1', name: 'loans', version: 1, versionId: 'dv1' }]),
      metrics: '{}',
      params: '{}',
      approval_status: 'pending',
      approval_actor: null,
      approval_reason: null,
      approval_time: null,
    })
    .execute();
}

/** Rows of a table (counted in SQL). */
export async function countRows(
  ctx: Context,
  table: 'prediction_records' | 'prediction_windows' | 'prediction_segments' | 'prediction_feedback',
): Promise<number> {
  const r = await ctx.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
