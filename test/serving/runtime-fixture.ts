/** A real model pair for the serving runtime tests: a GBDT and a logistic model on the same inputs. */

// Types come from the sources; the runtime itself is imported from dist/ (workers need compiled JS).
import type { Tensors } from '../../dist/serving/runtime/index.js';
import { loadModel, predict } from '../../src/models/onnx/runtime.js';
import { onnxFeeds, type TrainedPipeline, type TrainTable, train } from '../../src/models/train/index.js';
import { mixedTable } from '../models/train/mixed-table.js';

export const FEATURES = ['age', 'income', 'score', 'member', 'region', 'plan'];
export const SCORE = mixedTable({ rows: 400, seed: 99, unseen: 0.1 });

export interface Fixture {
  pipeline: TrainedPipeline;
  bytes: Uint8Array;
  /** In-process predict() probabilities for every SCORE row, flat [rows, 2]. */
  expected: number[];
}

export async function fixture(kind: 'gbdt' | 'logistic'): Promise<Fixture> {
  const table = mixedTable({ rows: 1500, seed: 7 });
  const params = kind === 'gbdt' ? 'trees=30,depth=4,early_stopping=false' : undefined;
  const pipeline = train(table, {
    kind,
    target: 'approved',
    features: FEATURES,
    ...(params ? { params } : {}),
  });
  const bytes = pipeline.toOnnx();
  const session = await loadModel(bytes);
  const out = await predict(session, onnxFeeds(pipeline.features, SCORE), { outputs: ['probabilities'] });
  return { pipeline, bytes, expected: out.probabilities!.data as number[] };
}

/** Rows `from`..`from + n` of `table` as wire feeds ([n, 1] per input). */
export function feedsFor(p: TrainedPipeline, table: TrainTable, from: number, n = 1): Tensors {
  const rows = Array.from({ length: n }, (_, i) => from + i);
  const feeds: Tensors = {};
  for (const [name, f] of Object.entries(onnxFeeds(p.features, table, rows))) {
    feeds[name] = { type: f.type, dims: [...f.dims], data: f.data as Float32Array | string[] };
  }
  return feeds;
}

/** Largest |a − b| between a result's probabilities and the expected rows. */
export function diff(got: ArrayLike<number>, expected: number[], fromRow: number): number {
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - expected[fromRow * 2 + i]!));
  return d;
}
