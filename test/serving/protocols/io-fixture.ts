/** Hand-built ModelIO objects for the protocol codec tests. */
import type { OnnxValue } from '../../../src/models/onnx/read.js';
import type { Dim, ElemTypeName } from '../../../src/models/onnx/types.js';
import type { FeatureSchemaEntry } from '../../../src/registry/types.js';
import type { ModelIO } from '../../../src/serving/types.js';

/** A tensor input or output. */
export function tensor(name: string, elemType: ElemTypeName, shape: Dim[] | null): OnnxValue {
  return {
    name,
    kind: 'tensor',
    elemType,
    shape,
    type: `tensor(${elemType})`,
    docString: '',
  };
}

export function modelIOOf(p: {
  inputs: OnnxValue[];
  outputs?: OnnxValue[];
  featureSchema?: FeatureSchemaEntry[] | null;
  packedFeatures?: string[] | null;
  classifier?: boolean;
}): ModelIO {
  const classifier = p.classifier ?? false;
  return {
    model: 'credit',
    version: 3,
    inputs: p.inputs,
    outputs: p.outputs ?? [tensor('label', 'int64', ['N']), tensor('probabilities', 'float', ['N', 2])],
    featureSchema: p.featureSchema ?? null,
    packedFeatures: p.packedFeatures ?? null,
    task: classifier ? 'binary' : null,
    classes: classifier ? [0, 1] : null,
    labelOutput: classifier ? 'label' : null,
    probabilitiesOutput: classifier ? 'probabilities' : null,
    valueOutput: null,
  };
}

/** A Keel-trained-like model: age, income (float [N,1]) and region (string [N,1]), a feature schema. */
export const KEEL_IO = modelIOOf({
  inputs: [
    tensor('age', 'float', ['N', 1]),
    tensor('income', 'float', ['N', 1]),
    tensor('region', 'string', ['N', 1]),
  ],
  featureSchema: [
    { name: 'age', type: 'integer' },
    { name: 'income', type: 'float' },
    { name: 'region', type: 'categorical', categories: ['north', 'south'] },
  ],
  classifier: true,
});

/** A packed model: one [N, 3] float input fed from features a, b, c. */
export const PACKED_IO = modelIOOf({
  inputs: [tensor('input', 'float', ['N', 3])],
  featureSchema: [
    { name: 'a', type: 'float' },
    { name: 'b', type: 'float' },
    { name: 'c', type: 'float' },
  ],
  packedFeatures: ['a', 'b', 'c'],
  outputs: [tensor('output', 'float', ['N', 1])],
});

/** A foreign model (say a PyTorch export): one [batch, 4] float input, no feature names. */
export const FOREIGN_IO = modelIOOf({
  inputs: [tensor('x', 'float', ['batch', 4])],
  outputs: [tensor('y', 'float', ['batch', 2])],
});

/** The KeelError-like fields of what `fn` throws. */
export function thrown(fn: () => unknown): {
  code: string;
  status: number;
  message: string;
  details?: unknown;
} {
  try {
    fn();
  } catch (e) {
    return e as { code: string; status: number; message: string };
  }
  throw new Error('expected an error');
}
