import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectOnnx } from '../../src/models/onnx/read.js';
import { loadModel, predict } from '../../src/models/onnx/runtime.js';

const DIR = path.resolve('test/fixtures/onnx');

/**
 * A model exported by PyTorch itself (torch.onnx.export; see make_torch_mlp.py), not by Keel's
 * writer: Keel must read it and onnxruntime-node must reproduce PyTorch's own predictions.
 */
describe('a PyTorch-exported ONNX model', () => {
  const bytes = new Uint8Array(fs.readFileSync(path.join(DIR, 'torch_mlp.onnx')));
  const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'torch_mlp.expected.json'), 'utf8')) as {
    inputs: number[][];
    probabilities: number[][];
  };

  it('is inspected: producer, opset, typed inputs/outputs with the dynamic batch dimension, operators', () => {
    const info = inspectOnnx(bytes);
    expect(info.producerName).toBe('pytorch');
    expect(info.opsetImports).toContainEqual({ domain: '', version: 13 });
    expect(info.inputs).toMatchObject([
      { name: 'features', kind: 'tensor', elemType: 'float', shape: ['batch', 4] },
    ]);
    expect(info.outputs).toMatchObject([
      { name: 'probabilities', kind: 'tensor', elemType: 'float', shape: ['batch', 2] },
    ]);
    expect(info.operators).toEqual(
      expect.arrayContaining(['ai.onnx::Gemm', 'ai.onnx::Relu', 'ai.onnx::Softmax']),
    );
  });

  it('predicts what PyTorch predicted, within float32 precision', async () => {
    const session = await loadModel(bytes);
    const out = await predict(session, {
      features: { type: 'float32', data: expected.inputs.flat(), dims: [expected.inputs.length, 4] },
    });
    const probs = out.probabilities!;
    expect(probs.dims).toEqual([expected.inputs.length, 2]);
    const got = probs.data as number[];
    for (const [i, p] of expected.probabilities.flat().entries()) {
      expect(Math.abs((got[i] as number) - p)).toBeLessThan(1e-6);
    }
  });
});
