/** A logistic model Keel trained on the mixed table, as serving sees it: a ModelIO via modelIO(). */
import { inspectOnnx } from '../../../src/models/onnx/read.js';
import { type TrainedPipeline, train } from '../../../src/models/train/index.js';
import { featuresFromMetadata } from '../../../src/registry/onnx.js';
import type { ModelVersion } from '../../../src/registry/types.js';
import { modelIO } from '../../../src/serving/model-io.js';
import type { ModelIO } from '../../../src/serving/types.js';
import { mixedTable } from '../../models/train/mixed-table.js';

export const FEATURES = ['age', 'income', 'score', 'member', 'region', 'plan'];

export function trained(): { io: ModelIO; pipeline: TrainedPipeline; bytes: Uint8Array } {
  const pipeline = train(mixedTable({ rows: 400, seed: 3 }), {
    kind: 'logistic',
    target: 'approved',
    features: FEATURES,
  });
  const bytes = pipeline.toOnnx();
  const info = inspectOnnx(bytes);
  const version: ModelVersion = {
    name: 'credit',
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    createdBy: 'test',
    description: '',
    source: '',
    runId: null,
    runLink: '',
    status: 'READY',
    stage: 'None',
    onnx: null,
    signature: {
      inputs: info.inputs,
      outputs: info.outputs,
      opsets: info.opsetImports,
      producerName: info.producerName,
      producerVersion: info.producerVersion,
      irVersion: info.irVersion,
      operators: info.operators,
      metadata: info.metadataProps,
    },
    featureSchema: featuresFromMetadata(info.metadataProps['keel.features']!, 'test'),
    datasets: [],
    metrics: {},
    params: {},
    approval: { status: 'pending', actor: null, reason: null, time: null },
    aliases: [],
    tags: {},
  };
  return { io: modelIO(version), pipeline, bytes };
}
