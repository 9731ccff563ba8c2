import { describe, expect, it } from 'vitest';
import { KeelError } from '../../src/core/errors.js';
import { type Onnx, onnx, toInt64 } from '../../src/models/onnx/proto.js';
import { decodeModel, inspectOnnx, tensorValues } from '../../src/models/onnx/read.js';
import { errMessage, loadModel, predict } from '../../src/models/onnx/runtime.js';
import { attr, model, node, tensor, valueInfo, valueInfoOfType } from '../../src/models/onnx/write.js';

const W = [0.8, -1.2, 0.35];
const B = -0.1;
const OFFSET = [1, 2, 3];
const SCALE = [0.5, 0.25, 2];
const X = [
  [0.5, 1.5, -2],
  [3, 0.1, 0.7],
  [-1, -1, 4],
  [0, 2, 3],
];
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
const feeds = { X: { type: 'float32' as const, data: X.flat(), dims: [X.length, 3] } };

/** (a) logistic regression in the default domain: Sigmoid(X·W + b). */
function logregModel(): Uint8Array {
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
      initializers: [tensor('W', [3, 1], new Float32Array(W)), tensor('B', [1], [B])],
    },
    opsets: [{ domain: '', version: 17 }],
    producer: 'keel',
    producerVersion: '0.1.0',
    metadata: { task: 'binary', features: 'a,b,c' },
  });
}

/** (b) the same classifier with ai.onnx.ml operators: Scaler then LinearClassifier. */
function mlModel(): Uint8Array {
  return model({
    graph: {
      name: 'logreg_ml',
      nodes: [
        node(
          'Scaler',
          ['X'],
          ['Xs'],
          { offset: attr.floats(OFFSET), scale: attr.floats(SCALE) },
          'ai.onnx.ml',
        ),
        node(
          'LinearClassifier',
          ['Xs'],
          ['label', 'probabilities'],
          {
            coefficients: attr.floats(W),
            intercepts: attr.floats([B]),
            classlabels_ints: attr.ints([0, 1]),
            post_transform: attr.string('LOGISTIC'),
          },
          'ai.onnx.ml',
        ),
      ],
      inputs: [valueInfo('X', 'float', ['N', 3])],
      outputs: [valueInfo('label', 'int64', ['N']), valueInfo('probabilities', 'float', ['N', 2])],
    },
    opsets: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    metadata: { task: 'binary' },
  });
}

async function expectKeelError(p: Promise<unknown> | (() => unknown), message: RegExp): Promise<void> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeelError);
  expect((err as KeelError).code).toBe('INVALID_PARAMETER_VALUE');
  expect((err as KeelError).message).toMatch(message);
}

describe('ONNX write + onnxruntime', () => {
  it('runs a default-domain logistic regression like the JS computation', async () => {
    const session = await loadModel(logregModel());
    expect(session.inputNames).toEqual(['X']);
    const out = await predict(session, feeds);
    expect(out.prob!.dims).toEqual([4, 1]);
    const want = X.map((x) => sigmoid(dot(x, W) + B));
    out.prob!.data.forEach((p, i) => {
      expect(p as number).toBeCloseTo(want[i]!, 6);
    });
  });

  it('runs Scaler + LinearClassifier (ai.onnx.ml, LOGISTIC) like the JS computation', async () => {
    const out = await predict(await loadModel(mlModel(), { threads: 1 }), feeds);
    const p = X.map((x) =>
      sigmoid(
        dot(
          x.map((v, j) => (v - OFFSET[j]!) * SCALE[j]!),
          W,
        ) + B,
      ),
    );
    expect(out.label!.type).toBe('int64');
    expect(out.label!.data).toEqual(p.map((q) => (q > 0.5 ? 1 : 0)));
    expect(out.probabilities!.dims).toEqual([4, 2]);
    const probs = out.probabilities!.data as number[];
    p.forEach((q, i) => {
      expect(probs[2 * i]).toBeCloseTo(1 - q, 6);
      expect(probs[2 * i + 1]).toBeCloseTo(q, 6);
    });
  });
});

describe('ZipMap outputs', () => {
  const zipmap = () =>
    model({
      graph: {
        name: 'zip',
        nodes: [
          node('Identity', ['p'], ['probs']),
          node('ZipMap', ['p'], ['dicts'], { classlabels_int64s: attr.ints([0, 1]) }, 'ai.onnx.ml'),
        ],
        inputs: [valueInfo('p', 'float', ['N', 2])],
        outputs: [
          valueInfo('probs', 'float', ['N', 2]),
          valueInfoOfType('dicts', {
            kind: 'sequence',
            elem: {
              kind: 'map',
              keyType: 'int64',
              value: { kind: 'tensor', elemType: 'float', shape: null },
            },
          }),
        ],
      },
      opsets: [
        { domain: '', version: 17 },
        { domain: 'ai.onnx.ml', version: 3 },
      ],
    });
  const p = { p: { type: 'float32' as const, data: [0.25, 0.75], dims: [1, 2] } };

  it('are a typed error from onnxruntime-node, and the tensor outputs can still be fetched', async () => {
    const session = await loadModel(zipmap());
    await expectKeelError(predict(session, p), /Non tensor type .*tensor outputs only/);
    const out = await predict(session, p, { outputs: ['probs'] });
    expect(Object.keys(out)).toEqual(['probs']);
    expect(out.probs!.data).toEqual([0.25, 0.75]);
    await expectKeelError(predict(session, p, { outputs: ['nope'] }), /unknown model output\(s\): nope/);
  });
});

describe('inspectOnnx', () => {
  it('reports header, opsets, signature with the symbolic batch dim, metadata and operators', () => {
    const info = inspectOnnx(mlModel());
    expect(info).toMatchObject({
      irVersion: 8,
      opsetImports: [
        { domain: '', version: 17 },
        { domain: 'ai.onnx.ml', version: 3 },
      ],
      producerName: 'keel',
      graphName: 'logreg_ml',
      metadataProps: { task: 'binary' },
      nodeCount: 2,
      operators: ['ai.onnx.ml::LinearClassifier', 'ai.onnx.ml::Scaler'],
    });
    expect(info.inputs).toEqual([
      { name: 'X', kind: 'tensor', elemType: 'float', shape: ['N', 3], type: 'tensor(float)', docString: '' },
    ]);
    expect(info.outputs.map((o) => [o.name, o.elemType, o.shape])).toEqual([
      ['label', 'int64', ['N']],
      ['probabilities', 'float', ['N', 2]],
    ]);
  });

  it('lists default-domain operators as ai.onnx:: and hides initializers from inputs', () => {
    const info = inspectOnnx(logregModel());
    expect(info.operators).toEqual(['ai.onnx::Add', 'ai.onnx::MatMul', 'ai.onnx::Sigmoid']);
    expect(info.producerVersion).toBe('0.1.0');
    expect(info.metadataProps).toEqual({ task: 'binary', features: 'a,b,c' });
    expect(info.inputs.map((i) => i.name)).toEqual(['X']);
  });

  it('describes ZipMap-style seq(map(int64,float)) outputs and unknown dims', () => {
    const bytes = model({
      graph: {
        name: 'zip',
        nodes: [
          node(
            'ZipMap',
            ['probabilities'],
            ['output_probability'],
            { classlabels_int64s: attr.ints([0, 1]) },
            'ai.onnx.ml',
          ),
        ],
        inputs: [valueInfo('probabilities', 'float', [null, 2])],
        outputs: [
          valueInfoOfType('output_probability', {
            kind: 'sequence',
            elem: {
              kind: 'map',
              keyType: 'int64',
              value: { kind: 'tensor', elemType: 'float', shape: null },
            },
          }),
        ],
      },
      opsets: [{ domain: 'ai.onnx.ml', version: 3 }],
    });
    const info = inspectOnnx(bytes);
    expect(info.inputs[0]!.shape).toEqual([null, 2]);
    expect(info.outputs[0]).toMatchObject({
      kind: 'sequence',
      type: 'seq(map(int64,tensor(float)))',
      elemType: null,
    });
  });
});

describe('int64 round-trip', () => {
  const big = [0n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n];

  it('keeps int64 tensors and attributes exact, including beyond 2^53', () => {
    const bytes = model({
      graph: {
        name: 'ints',
        nodes: [
          node('Constant', [], ['c'], { value: attr.tensor(tensor('c', [5], big)) }),
          node('Identity', ['c'], ['y'], {
            some_int: attr.int(-(2n ** 40n) - 7n),
            some_ints: attr.ints([...big, -3, 12345678901]),
          }),
        ],
        inputs: [],
        outputs: [valueInfo('y', 'int64', [5])],
        initializers: [tensor('k', [2, 2], new BigInt64Array([1n, -2n, 2n ** 62n, -(2n ** 62n)]))],
      },
      opsets: [{ domain: '', version: 17 }],
      modelVersion: 2 ** 40,
    });
    const m = decodeModel(bytes);
    const g = m.graph;
    // Decoded sub-messages are class instances: their repeated fields are arrays.
    const nodes = g.node as Onnx.NodeProto[];
    expect(inspectOnnx(bytes).modelVersion).toBe(2 ** 40);
    expect(tensorValues(g.initializer[0]!)).toEqual([1n, -2n, 2n ** 62n, -(2n ** 62n)]);
    expect(tensorValues(nodes[0]!.attribute[0]!.t!)).toEqual(big);
    const [i, ints] = nodes[1]!.attribute as Onnx.AttributeProto[];
    expect(String(i!.i)).toBe(String(-(2n ** 40n) - 7n));
    expect(ints!.ints.map(String)).toEqual([...big, -3n, 12345678901n].map(String));
  });

  it('reads int64_data tensors written by other exporters', () => {
    const t = onnx.TensorProto.decode(
      onnx.TensorProto.encode({
        dataType: 7,
        dims: [2],
        int64Data: [toInt64(-5), toInt64(2n ** 60n)],
      }).finish(),
    );
    expect(tensorValues(t)).toEqual([-5n, 2n ** 60n]);
  });

  it('runs an int64 Constant through onnxruntime exactly', async () => {
    const vals = [-(2n ** 62n), 7n, 2n ** 53n + 1n];
    const bytes = model({
      graph: {
        name: 'c',
        nodes: [node('Constant', [], ['y'], { value: attr.tensor(tensor('v', [3], vals)) })],
        inputs: [],
        outputs: [valueInfo('y', 'int64', [3])],
      },
      opsets: [{ domain: '', version: 17 }],
    });
    const out = await predict(await loadModel(bytes), {});
    expect(out.y!.data).toEqual(vals);
  });
});

describe('errors', () => {
  it('rejects random bytes and empty input as not an ONNX model', async () => {
    const rnd = new Uint8Array(256).map((_, i) => (i * 7919 + 13) % 251);
    await expectKeelError(() => inspectOnnx(rnd), /^file is not an ONNX model: /);
    await expectKeelError(() => inspectOnnx(new Uint8Array(0)), /not an ONNX model: it has no graph/);
  });

  it('rejects a truncated model', async () => {
    const bytes = logregModel();
    await expectKeelError(
      () => inspectOnnx(bytes.subarray(0, Math.floor(bytes.length / 2))),
      /not an ONNX model: .*index out of range/,
    );
  });

  it('names an operator onnxruntime does not know', async () => {
    const bytes = model({
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
    expect(inspectOnnx(bytes).operators).toEqual(['com.example::Foo']);
    await expectKeelError(loadModel(bytes), /^onnxruntime cannot load the model: .*Foo/);
  });

  it('rejects bad feeds with a typed error', async () => {
    const session = await loadModel(logregModel());
    await expectKeelError(predict(session, {}), /missing model input\(s\): X/);
    await expectKeelError(
      predict(session, { X: { type: 'float32', data: [1, 2], dims: [1, 3] } }),
      /do not fill dims/,
    );
    await expectKeelError(
      predict(session, { X: { type: 'float32', data: [1, 2, 3], dims: [3] } }),
      /^prediction failed: /,
    );
  });

  it('strips the C++ location and signature from onnxruntime messages', () => {
    const raw =
      '/onnxruntime_src/onnxruntime/core/graph/model_load_utils.h:46 void onnxruntime::model_load_utils::' +
      'ValidateOpsetForDomain(const std::unordered_map<std::string, int>&, bool, int) ONNX Runtime only ' +
      '*guarantees* support for models stamped with official released onnx opset versions.';
    expect(errMessage(new Error(raw))).toMatch(/^ONNX Runtime only \*guarantees\* support/);
    expect(errMessage(new Error('plain (message)'))).toBe('plain (message)');
  });

  it('rejects tensors whose data does not fill the shape', async () => {
    await expectKeelError(() => tensor('w', [2, 2], [1, 2, 3]), /3 values do not fill shape \[2, 2\]/);
  });
});
