import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectOnnx } from '../../src/models/onnx/read.js';
import { loadModel, predict } from '../../src/models/onnx/runtime.js';
import { attr, model, node, valueInfo, valueInfoOfType } from '../../src/models/onnx/write.js';
import { withoutZipMap } from '../../src/models/onnx/zipmap.js';
import { scoreTable } from '../../src/models/score.js';

const W = [1.5, -2];
const B = 0.25;
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** The layout skl2onnx gives a binary LogisticRegression: LinearClassifier → ZipMap. */
function sklearnStyle(): Uint8Array {
  return model({
    producer: 'skl2onnx',
    graph: {
      name: 'sklearn_logreg',
      nodes: [
        node(
          'LinearClassifier',
          ['input'],
          ['label', 'probability_tensor'],
          {
            classlabels_ints: attr.ints([0, 1]),
            coefficients: attr.floats([-W[0]!, -W[1]!, W[0]!, W[1]!]),
            intercepts: attr.floats([-B, B]),
            post_transform: attr.string('LOGISTIC'),
          },
          'ai.onnx.ml',
        ),
        node(
          'ZipMap',
          ['probability_tensor'],
          ['output_probability'],
          { classlabels_int64s: attr.ints([0, 1]) },
          'ai.onnx.ml',
        ),
      ],
      inputs: [valueInfo('input', 'float', [null, 2])],
      outputs: [
        valueInfo('label', 'int64', [null]),
        valueInfoOfType('output_probability', {
          kind: 'sequence',
          elem: { kind: 'map', keyType: 'int64', value: { kind: 'tensor', elemType: 'float', shape: null } },
        }),
      ],
    },
    opsets: [
      { domain: '', version: 13 },
      { domain: 'ai.onnx.ml', version: 1 },
    ],
  });
}

const table = {
  rows: 4,
  columns: { a: [0.5, 3, -1, null], b: [1, 0.1, -1, 2], y: [0, 1, 1, 0] },
};

describe('ZipMap outputs', () => {
  it('onnxruntime-node cannot return them as they are', async () => {
    const s = await loadModel(sklearnStyle());
    await expect(predict(s, { input: { type: 'float32', data: [1, 2], dims: [1, 2] } })).rejects.toThrow(
      /tensor outputs/,
    );
  });

  it('are replaced by the probability tensor, with ZipMap’s classes', async () => {
    const u = withoutZipMap(sklearnStyle());
    expect(u).not.toBeNull();
    expect(u!.classes).toEqual([0, 1]);
    expect(u!.replaced).toEqual({ output_probability: 'probability_tensor' });
    const info = inspectOnnx(u!.bytes);
    expect(info.outputs.map((o) => `${o.name}:${o.type}`)).toEqual([
      'label:tensor(int64)',
      'probability_tensor:tensor(float)',
    ]);
    expect(withoutZipMap(u!.bytes)).toBeNull();
  });

  it('a sklearn-style model scores a table fed from named columns', async () => {
    const u = withoutZipMap(sklearnStyle())!;
    const s = await loadModel(u.bytes);
    const out = await scoreTable(s, inspectOnnx(u.bytes), table, {
      features: ['a', 'b'],
      classes: u.classes!,
    });
    expect(out.task).toBe('binary');
    for (let i = 0; i < 3; i++) {
      const p = sigmoid(W[0]! * (table.columns.a[i] as number) + W[1]! * table.columns.b[i]! + B);
      expect(out.probabilities![i * 2 + 1]).toBeCloseTo(p, 6);
      expect(out.labels![i]).toBe(p > 0.5 ? 1 : 0);
    }
  });
});

describe('scoreTable', () => {
  it('feeds a PyTorch export’s single [N, 4] input from named features, in small batches', async () => {
    const bytes = fs.readFileSync(new URL('../fixtures/onnx/torch_mlp.onnx', import.meta.url));
    const expected = JSON.parse(
      fs.readFileSync(new URL('../fixtures/onnx/torch_mlp.expected.json', import.meta.url), 'utf8'),
    ) as { inputs: number[][]; probabilities: number[][] };
    const names = ['f0', 'f1', 'f2', 'f3'];
    const columns = Object.fromEntries(names.map((n, j) => [n, expected.inputs.map((r) => r[j]!)]));
    const s = await loadModel(bytes);
    const out = await scoreTable(
      s,
      inspectOnnx(bytes),
      { rows: 5, columns },
      { features: names, classes: ['no', 'yes'], batchRows: 2 },
    );
    expect(Array.from(out.probabilities!)).toEqual(
      expected.probabilities.flat().map((p) => expect.closeTo(p, 6) as unknown as number),
    );
    expect(out.labels).toEqual(expected.probabilities.map((p) => (p[1]! > p[0]! ? 'yes' : 'no')));
  });

  it('names the problem when features are not given for a multi-feature input', async () => {
    const bytes = fs.readFileSync(new URL('../fixtures/onnx/torch_mlp.onnx', import.meta.url));
    const s = await loadModel(bytes);
    await expect(scoreTable(s, inspectOnnx(bytes), table, { classes: [0, 1] })).rejects.toThrow(
      /takes 4 features in one tensor/,
    );
  });

  it('asks for class names when a foreign model only gives probabilities', async () => {
    const bytes = fs.readFileSync(new URL('../fixtures/onnx/torch_mlp.onnx', import.meta.url));
    const s = await loadModel(bytes);
    await expect(
      scoreTable(s, inspectOnnx(bytes), table, { features: ['a', 'b', 'a', 'b'] }),
    ).rejects.toThrow(/does not name its classes/);
  });
});
