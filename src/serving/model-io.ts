/**
 * ModelIO: what serving needs to know about one model version, read once from its registry entry —
 * typed inputs and outputs, the training feature schema, and which outputs are the prediction.
 */
import { outputPlan } from '../models/score.js';
import type { ModelVersion } from '../registry/types.js';
import type { Tensors } from './runtime/types.js';
import type { ModelIO, RowPrediction } from './types.js';

export function modelIO(v: ModelVersion): ModelIO {
  const sig = v.signature;
  const inputs = sig?.inputs ?? [];
  const outputs = sig?.outputs ?? [];
  const featureSchema = v.featureSchema;
  const only = inputs.length === 1 ? inputs[0]! : null;
  const width = only?.shape?.length === 2 && typeof only.shape[1] === 'number' ? only.shape[1] : null;
  const packedFeatures =
    width !== null &&
    featureSchema &&
    featureSchema.length === width &&
    !featureSchema.some((f) => f.name === only!.name)
      ? featureSchema.map((f) => f.name)
      : null;
  let plan: ReturnType<typeof outputPlan> | null = null;
  try {
    plan = outputPlan({ outputs, metadataProps: sig?.metadata ?? {} }, {});
  } catch {
    // A foreign model whose outputs do not say what they are: served as raw tensors, logged as such.
    plan = null;
  }
  return {
    model: v.name,
    version: v.version,
    inputs,
    outputs,
    featureSchema,
    packedFeatures,
    task: plan?.task ?? null,
    classes: plan?.classes ?? null,
    labelOutput: plan?.label ?? null,
    probabilitiesOutput: plan?.probs ?? null,
    valueOutput: plan?.value ?? null,
  };
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

/** Each row's prediction from a request's outputs: label, positive score, probabilities or value. */
export function rowPredictions(io: ModelIO, outputs: Tensors, rows: number): RowPrediction[] {
  const res: RowPrediction[] = Array.from({ length: rows }, () => ({}));
  const label = io.labelOutput ? outputs[io.labelOutput] : undefined;
  const probs = io.probabilitiesOutput ? outputs[io.probabilitiesOutput] : undefined;
  const value = io.valueOutput ? outputs[io.valueOutput] : undefined;
  if (label) {
    const d = label.data as ArrayLike<unknown>;
    for (let i = 0; i < rows; i++) {
      const x = d[i];
      res[i]!.label = typeof x === 'string' ? x : num(x);
    }
  }
  if (probs && io.classes) {
    const w = io.classes.length;
    const d = probs.data as ArrayLike<number>;
    if (d.length === rows * w) {
      for (let i = 0; i < rows; i++) {
        const p: Record<string, number> = {};
        let best = 0;
        for (let j = 0; j < w; j++) {
          p[String(io.classes[j])] = d[i * w + j]!;
          if (d[i * w + j]! > d[i * w + best]!) best = j;
        }
        res[i]!.probabilities = p;
        if (w === 2) res[i]!.score = d[i * w + 1]!;
        if (res[i]!.label === undefined) res[i]!.label = io.classes[best]!;
      }
    }
  }
  if (value) {
    const d = value.data as ArrayLike<unknown>;
    const per = d.length / rows;
    for (let i = 0; i < rows; i++) res[i]!.value = num(d[i * per]);
  }
  return res;
}
