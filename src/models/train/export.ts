/**
 * The exported ONNX model of a trained pipeline: preprocessing and model in one graph whose inputs
 * are the raw named features, so a served model takes the dataset's own columns.
 *
 *   numeric inputs  tensor(float) [N,1] ─ Concat ─ Imputer(median) ─ [Scaler (linear models)] ─┐
 *   categorical     tensor(string) [N,1] ─ OneHotEncoder(zeros=1) ─ Flatten  (linear models)   ├─ Concat ─ model
 *                                        └ LabelEncoder(→ float code, unseen -1) (trees)       ┘
 *
 * The model node is LinearClassifier / LinearRegressor or the GBDT's TreeEnsemble node (binary GBDT:
 * a margin TreeEnsembleRegressor with a Sigmoid head, see binaryTreeHead). Outputs:
 * classifiers `label` [N] (int64 when every class is an integer, else string) and `probabilities`
 * [N,C] float; regressors `prediction` [N,1] float. No ZipMap: onnxruntime-node returns tensors only.
 * Missing numeric values are fed as NaN, missing categories as '' (read as unseen).
 */
import { createRequire } from 'node:module';
import { invalidParam } from '../../core/errors.js';
import { type Onnx, onnx } from '../onnx/proto.js';
import type { OnnxInfo } from '../onnx/read.js';
import type { Feed } from '../onnx/runtime.js';
import { type AttrValue, attr, model, node, tensor, valueInfo } from '../onnx/write.js';
import { type GbdtModel, treeEnsembleNode } from './gbdt/index.js';
import type { LinearModel } from './linear.js';
import {
  categoricalValue,
  type Encoding,
  encodingFor,
  numericValue,
  orderedFeatures,
  scalerMultiplier,
} from './preprocess.js';
import { type TrainTable, tableColumn } from './table.js';
import type { CoreModel, FittedFeature, Task, TrainerKind } from './types.js';

const ML = 'ai.onnx.ml';
/** Default-domain opset 17 and ai.onnx.ml 3 (LabelEncoder needs ≥ 2); onnxruntime-node 1.30 runs both. */
export const OPSETS = [
  { domain: '', version: 17 },
  { domain: ML, version: 3 },
];

/** Output names of the exported graph. */
export const OUTPUTS = { label: 'label', probabilities: 'probabilities', prediction: 'prediction' } as const;
/** Intermediate values are named under this prefix, which feature names may not use. */
const INTERNAL = 'keel/';
const FEATURES = `${INTERNAL}features`;

const PRODUCER_VERSION = ((): string => {
  try {
    // src/models/train and dist/models/train both sit three levels below the package root.
    return (createRequire(import.meta.url)('../../../package.json') as { version?: string }).version ?? '';
  } catch {
    return '';
  }
})();

/** What the exporter needs from a trained pipeline. */
export interface ExportSpec {
  trainer: TrainerKind;
  task: Task;
  target: string;
  features: FittedFeature[];
  classes: (string | number)[] | null;
  params: Record<string, number | string | boolean>;
  model: CoreModel;
}

/** The keel.* metadata of an exported model, parsed back. */
export interface OnnxMeta {
  trainer: TrainerKind;
  task: Task;
  target: string;
  classes: (string | number)[] | null;
  features: FittedFeature[];
  params: Record<string, number | string | boolean>;
}

/** Feature names the graph cannot take as inputs (they would collide with its own values). */
export function checkFeatureNames(features: { name: string }[]): void {
  const reserved = new Set<string>(Object.values(OUTPUTS));
  for (const { name } of features) {
    if (reserved.has(name) || name.startsWith(INTERNAL)) {
      throw invalidParam(
        `feature '${name}' collides with a name the exported model uses (${[...reserved].join(', ')}, ${INTERNAL}*); ` +
          'rename the column or leave it out of the features',
        'features',
      );
    }
  }
}

/** Encodes the pipeline as one ONNX model (deterministic: the same pipeline gives the same bytes). */
export function exportOnnx(spec: ExportSpec): Uint8Array {
  checkFeatureNames(spec.features);
  const encoding = encodingFor(spec.trainer);
  const { nodes, width } = preprocessNodes(spec.features, encoding);
  const isClassifier = spec.task !== 'regression';
  const classes = spec.classes ?? [];
  const intLabels = classes.every((c) => typeof c === 'number' && Number.isInteger(c));
  const outputs = isClassifier
    ? [
        valueInfo(OUTPUTS.label, intLabels ? 'int64' : 'string', ['N']),
        valueInfo(OUTPUTS.probabilities, 'float', ['N', classes.length]),
      ]
    : [valueInfo(OUTPUTS.prediction, 'float', ['N', 1])];
  const head = modelNodes(spec, width, intLabels);
  return model({
    graph: {
      name: `keel_${spec.trainer}`,
      nodes: [...nodes, ...head.nodes],
      initializers: head.initializers,
      inputs: spec.features.map((f) =>
        valueInfo(f.name, f.kind === 'numeric' ? 'float' : 'string', ['N', 1]),
      ),
      outputs,
      docString: `${spec.trainer} ${spec.task} model of '${spec.target}' trained by Keel`,
    },
    opsets: OPSETS,
    producer: 'keel',
    producerVersion: PRODUCER_VERSION,
    metadata: {
      'keel.trainer': spec.trainer,
      'keel.task': spec.task,
      'keel.target': spec.target,
      'keel.classes': JSON.stringify(spec.classes),
      'keel.features': JSON.stringify(spec.features),
      'keel.params': JSON.stringify(spec.params),
    },
  });
}

/** Nodes from the raw inputs to the feature matrix `keel/features`, and its width. */
function preprocessNodes(
  features: FittedFeature[],
  encoding: Encoding,
): { nodes: Onnx.INodeProto[]; width: number } {
  const nodes: Onnx.INodeProto[] = [];
  const blocks: string[] = [];
  let width = 0;
  const ordered = orderedFeatures(features);
  const numeric = ordered.filter((f) => f.kind === 'numeric');
  if (numeric.length > 0) {
    const raw = `${INTERNAL}numeric_raw`;
    const imputed = `${INTERNAL}numeric_imputed`;
    nodes.push(
      node(
        'Concat',
        numeric.map((f) => f.name),
        [raw],
        { axis: attr.int(1) },
      ),
    );
    nodes.push(
      node(
        'Imputer',
        [raw],
        [imputed],
        {
          imputed_value_floats: attr.floats(numeric.map((f) => Math.fround(f.impute ?? 0))),
          replaced_value_float: attr.float(Number.NaN),
        },
        ML,
      ),
    );
    let out = imputed;
    if (encoding === 'onehot') {
      out = `${INTERNAL}numeric_scaled`;
      const offset = numeric.map((f) => Math.fround(f.mean ?? 0));
      const scale = numeric.map((f) => scalerMultiplier(f));
      nodes.push(
        node('Scaler', [imputed], [out], { offset: attr.floats(offset), scale: attr.floats(scale) }, ML),
      );
    }
    blocks.push(out);
    width += numeric.length;
  }
  for (const f of ordered) {
    if (f.kind !== 'categorical') continue;
    const cats = f.categories ?? [];
    const out = `${INTERNAL}${f.name}_${encoding}`;
    if (encoding === 'onehot') {
      const cube = `${out}_3d`;
      nodes.push(
        node('OneHotEncoder', [f.name], [cube], { cats_strings: attr.strings(cats), zeros: attr.int(1) }, ML),
      );
      nodes.push(node('Flatten', [cube], [out], { axis: attr.int(1) }));
      width += cats.length;
    } else {
      nodes.push(
        node(
          'LabelEncoder',
          [f.name],
          [out],
          {
            keys_strings: attr.strings(cats),
            values_floats: attr.floats(cats.map((_, j) => j)),
            default_float: attr.float(-1),
          },
          ML,
        ),
      );
      width += 1;
    }
    blocks.push(out);
  }
  if (blocks.length === 0) throw invalidParam('the model has no features to export', 'features');
  nodes.push(node('Concat', blocks, [FEATURES], { axis: attr.int(1) }));
  return { nodes, width };
}

/** The model node(s) over `keel/features`, and the constants they use. */
function modelNodes(
  spec: ExportSpec,
  width: number,
  intLabels: boolean,
): { nodes: Onnx.INodeProto[]; initializers: Onnx.ITensorProto[] } {
  const classes = spec.classes ?? [];
  if (spec.trainer === 'gbdt') {
    const m = spec.model as GbdtModel;
    if (spec.task === 'regression') {
      return { nodes: [treeEnsembleNode(m, FEATURES, { prediction: OUTPUTS.prediction })], initializers: [] };
    }
    if (spec.task === 'binary') return binaryTreeHead(m, classes, intLabels);
    const labels = intLabels ? { ints: classes as number[] } : { strings: classes.map(String) };
    const node = treeEnsembleNode(
      m,
      FEATURES,
      { label: OUTPUTS.label, scores: OUTPUTS.probabilities },
      labels,
    );
    return { nodes: [node], initializers: [] };
  }
  return { nodes: [linearNode(spec, width, intLabels)], initializers: [] };
}

/**
 * Binary GBDT: the ensemble as a TreeEnsembleRegressor of the margin z, then p = Sigmoid(z),
 * probabilities = [1 − p, p] and label = classes[z > 0]. onnxruntime walks a single-target
 * regressor ~8% faster than the two-class TreeEnsembleClassifier (its multi-output path), which is
 * most of the scoring time, and the label rule is exactly the trainer's.
 */
function binaryTreeHead(
  m: GbdtModel,
  classes: (string | number)[],
  intLabels: boolean,
): { nodes: Onnx.INodeProto[]; initializers: Onnx.ITensorProto[] } {
  const v = (name: string) => `${INTERNAL}${name}`;
  const margin = treeEnsembleNode({ ...m, task: 'regression' }, FEATURES, { prediction: v('margin') });
  return {
    nodes: [
      margin,
      node('Sigmoid', [v('margin')], [v('p1')]),
      node('Sub', [v('one'), v('p1')], [v('p0')]),
      node('Concat', [v('p0'), v('p1')], [OUTPUTS.probabilities], { axis: attr.int(1) }),
      node('Greater', [v('margin'), v('zero')], [v('positive')]),
      node('Cast', [v('positive')], [v('class_index_2d')], { to: attr.int(onnx.TensorProto.DataType.INT64) }),
      node('Reshape', [v('class_index_2d'), v('flat')], [v('class_index')]),
      node('Gather', [v('classes'), v('class_index')], [OUTPUTS.label], { axis: attr.int(0) }),
    ],
    initializers: [
      tensor(v('one'), [], new Float32Array([1])),
      tensor(v('zero'), [], new Float32Array([0])),
      tensor(v('flat'), [1], new BigInt64Array([-1n])),
      intLabels
        ? tensor(
            v('classes'),
            [2],
            BigInt64Array.from(classes as number[], (c) => BigInt(c)),
          )
        : tensor(v('classes'), [2], classes.map(String)),
    ],
  };
}

/** LinearClassifier / LinearRegressor over `keel/features`. */
function linearNode(spec: ExportSpec, width: number, intLabels: boolean): Onnx.INodeProto {
  const classes = spec.classes ?? [];
  const labelAttr: Record<string, AttrValue> = intLabels
    ? { classlabels_ints: attr.ints(classes as number[]) }
    : { classlabels_strings: attr.strings(classes.map(String)) };
  const m = spec.model as LinearModel;
  if (m.cols !== width)
    throw invalidParam(`the model takes ${m.cols} columns; preprocessing gives ${width}`, 'model');
  const w = Array.from(m.coefficients);
  const b = Array.from(m.intercepts);
  if (spec.task === 'regression') {
    return node(
      'LinearRegressor',
      [FEATURES],
      [OUTPUTS.prediction],
      { coefficients: attr.floats(w), intercepts: attr.floats(b), targets: attr.int(1) },
      ML,
    );
  }
  // Binary: one logit z becomes two rows of scores (−z, z); LOGISTIC maps them to [1 − p, p].
  const binary = spec.task === 'binary';
  const coefficients = binary ? [...w.map((v) => -v), ...w] : w;
  const intercepts = binary ? [-b[0]!, b[0]!] : b;
  return node(
    'LinearClassifier',
    [FEATURES],
    [OUTPUTS.label, OUTPUTS.probabilities],
    {
      coefficients: attr.floats(coefficients),
      intercepts: attr.floats(intercepts),
      ...labelAttr,
      post_transform: attr.string(binary ? 'LOGISTIC' : 'SOFTMAX'),
    },
    ML,
  );
}

/**
 * The exported model's feeds for `table`'s rows at `rows` (all when omitted): numeric features as
 * float32 [N,1] (NaN when missing), categorical ones as string [N,1] ('' when missing).
 */
export function onnxFeeds(
  features: FittedFeature[],
  table: TrainTable,
  rows?: number[],
): Record<string, Feed> {
  const n = rows ? rows.length : table.rows;
  const feeds: Record<string, Feed> = {};
  for (const f of features) {
    const values = tableColumn(table, f.name, 'features');
    if (f.kind === 'numeric') {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = numericValue(values[rows ? rows[i]! : i]);
      feeds[f.name] = { type: 'float32', data, dims: [n, 1] };
    } else {
      const data = new Array<string>(n);
      for (let i = 0; i < n; i++) data[i] = categoricalValue(values[rows ? rows[i]! : i]);
      feeds[f.name] = { type: 'string', data, dims: [n, 1] };
    }
  }
  return feeds;
}

/** The keel.* metadata of a model Keel exported, or null for any other model. */
export function readOnnxMeta(info: OnnxInfo): OnnxMeta | null {
  const m = info.metadataProps;
  if (m['keel.trainer'] === undefined) return null;
  const json = <T>(key: string): T => {
    try {
      return JSON.parse(m[key] ?? 'null') as T;
    } catch {
      throw invalidParam(`model metadata ${key} is not valid JSON`, 'file');
    }
  };
  return {
    trainer: m['keel.trainer'] as TrainerKind,
    task: (m['keel.task'] ?? '') as Task,
    target: m['keel.target'] ?? '',
    classes: json<(string | number)[] | null>('keel.classes'),
    features: json<FittedFeature[] | null>('keel.features') ?? [],
    params: json<Record<string, number | string | boolean> | null>('keel.params') ?? {},
  };
}
