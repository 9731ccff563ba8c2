/**
 * The ONNX form of a GbdtModel: one ai.onnx.ml TreeEnsembleClassifier (binary: LOGISTIC,
 * multiclass: SOFTMAX) or TreeEnsembleRegressor node. Thresholds and leaf values are the model's
 * float32 numbers and the split mode is BRANCH_LEQ, so onnxruntime's sums equal `raw()` up to
 * float32 summation.
 */
import { invalidParam } from '../../../core/errors.js';
import type { Onnx } from '../../onnx/proto.js';
import { type AttrValue, attr, node } from '../../onnx/write.js';
import type { GbdtModel } from './model.js';

/** The opset import the node needs (TreeEnsemble* exist since ai.onnx.ml 1; 3 is current). */
export const GBDT_ONNX_OPSET = { domain: 'ai.onnx.ml', version: 3 } as const;

type Outputs = { label: string; scores: string } | { prediction: string };
type ClassLabels = { ints: number[] } | { strings: string[] };

/**
 * A TreeEnsemble node reading float [N, F] from `input`. Classifiers output `label` [N] (int64, or
 * string with string labels) and `scores` [N, K] probabilities (binary: [1 − p, p]); the regressor
 * outputs `prediction` [N, 1]. Class labels default to 0..K−1.
 */
export function treeEnsembleNode(
  model: GbdtModel,
  input: string,
  outputs: Outputs,
  classLabels?: ClassLabels,
): Onnx.INodeProto {
  const regression = model.task === 'regression';
  if (regression !== 'prediction' in outputs) {
    const want = regression ? '{ prediction }' : '{ label, scores }';
    throw invalidParam(`a ${model.task} model's tree node needs outputs ${want}`, 'outputs');
  }
  const t = flatten(model);
  if (model.task === 'binary' && !t.leafWeight.some((w) => w < 0)) addLabelGuard(t, model.trees.length);
  const nodes: Record<string, AttrValue> = {
    nodes_treeids: attr.ints(t.treeIds),
    nodes_nodeids: attr.ints(t.nodeIds),
    nodes_featureids: attr.ints(t.featureIds),
    nodes_values: attr.floats(t.values),
    nodes_modes: attr.strings(t.modes),
    nodes_truenodeids: attr.ints(t.trueIds),
    nodes_falsenodeids: attr.ints(t.falseIds),
    base_values: attr.floats(model.baseScores),
  };
  if ('prediction' in outputs) {
    return node(
      'TreeEnsembleRegressor',
      [input],
      [outputs.prediction],
      {
        ...nodes,
        n_targets: attr.int(1),
        aggregate_function: attr.string('SUM'),
        post_transform: attr.string('NONE'),
        target_treeids: attr.ints(t.leafTree),
        target_nodeids: attr.ints(t.leafNode),
        target_ids: attr.ints(t.leafTarget),
        target_weights: attr.floats(t.leafWeight),
      },
      GBDT_ONNX_OPSET.domain,
    );
  }
  return node(
    'TreeEnsembleClassifier',
    [input],
    [outputs.label, outputs.scores],
    {
      ...nodes,
      ...labelsAttr(model, classLabels),
      post_transform: attr.string(model.task === 'binary' ? 'LOGISTIC' : 'SOFTMAX'),
      class_treeids: attr.ints(t.leafTree),
      class_nodeids: attr.ints(t.leafNode),
      class_ids: attr.ints(t.leafTarget),
      class_weights: attr.floats(t.leafWeight),
    },
    GBDT_ONNX_OPSET.domain,
  );
}

function labelsAttr(model: GbdtModel, labels: ClassLabels | undefined): Record<string, AttrValue> {
  const k = model.nClasses;
  if (!labels) return { classlabels_int64s: attr.ints(Array.from({ length: k }, (_, i) => i)) };
  const n = 'ints' in labels ? labels.ints.length : labels.strings.length;
  if (n !== k) throw invalidParam(`${n} class labels for a model of ${k} classes`, 'classLabels');
  return 'ints' in labels
    ? { classlabels_int64s: attr.ints(labels.ints) }
    : { classlabels_strings: attr.strings(labels.strings) };
}

/**
 * onnxruntime (checked with 1.30) decides a binary TreeEnsembleClassifier's label by `score > 0` only
 * when some leaf weight is negative; when none is, it uses `score > 0.5` on the raw margin — wrong
 * for LOGISTIC, although the probabilities it outputs are right. A model whose leaves are all ≥ 0
 * (e.g. trees that found no split) gets one extra single-leaf tree with weight −2⁻¹²⁶, the smallest
 * normal float32: it flips onnxruntime into the `score > 0` rule and leaves every sum unchanged
 * except an exact 0, whose label stays the negative class either way.
 */
const LABEL_GUARD_WEIGHT = -(2 ** -126);

function addLabelGuard(f: Flat, treeId: number): void {
  f.treeIds.push(treeId);
  f.nodeIds.push(0);
  f.featureIds.push(0);
  f.values.push(0);
  f.modes.push('LEAF');
  f.trueIds.push(0);
  f.falseIds.push(0);
  f.leafTree.push(treeId);
  f.leafNode.push(0);
  f.leafTarget.push(0);
  f.leafWeight.push(LABEL_GUARD_WEIGHT);
}

type Flat = ReturnType<typeof flatten>;

/** The ensemble as the parallel arrays TreeEnsemble* attributes want. */
function flatten(model: GbdtModel) {
  const f = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    values: [] as number[],
    modes: [] as string[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    leafTree: [] as number[],
    leafNode: [] as number[],
    leafTarget: [] as number[],
    leafWeight: [] as number[],
  };
  model.trees.forEach((tree, ti) => {
    tree.feature.forEach((feat, n) => {
      const leaf = feat < 0;
      f.treeIds.push(ti);
      f.nodeIds.push(n);
      f.featureIds.push(leaf ? 0 : feat);
      f.values.push(leaf ? 0 : tree.threshold[n]!);
      f.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      f.trueIds.push(leaf ? 0 : tree.left[n]!);
      f.falseIds.push(leaf ? 0 : tree.right[n]!);
      if (leaf) {
        f.leafTree.push(ti);
        f.leafNode.push(n);
        f.leafTarget.push(tree.target);
        f.leafWeight.push(tree.value[n]!);
      }
    });
  });
  return f;
}
