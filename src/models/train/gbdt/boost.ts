/** The boosting loop: gradients, one tree per score column per iteration, early stopping. */
import { invalidParam } from '../../../core/errors.js';
import type { IterationMetrics, Matrix, Task } from '../types.js';
import { binMatrix } from './binning.js';
import { objectiveFor } from './losses.js';
import { type GbdtModel, gbdtModel } from './model.js';
import { type GbdtParams, validateGbdtParams } from './params.js';
import { type GbdtTree, TreeGrower, treeValue } from './tree.js';

/** Validation loss must improve by more than this to count as progress. */
const EARLY_STOP_TOL = 1e-7;
/** scikit-learn's min_hessian_to_split. */
const MIN_HESSIAN = 1e-3;

export interface GbdtOptions {
  /** A validation split: its loss is reported per iteration and drives early stopping. */
  valid?: { X: Matrix; y: Float64Array };
  /** Called after every iteration (numbered from 1: the model with that many trees per class). */
  onIteration?: (m: IterationMetrics) => void;
}

/**
 * Trains a histogram gradient-boosted tree ensemble. `y` holds class indices 0..K-1 (as floats) for
 * binary/multiclass, the target value for regression. Deterministic: same inputs, same model.
 */
export function trainGbdt(
  X: Matrix,
  y: Float64Array,
  task: Task,
  nClasses: number,
  params: GbdtParams,
  opts: GbdtOptions = {},
): GbdtModel {
  validateGbdtParams(params);
  checkData(X, y, task, nClasses, { X: 'X', y: 'y' });
  const valid = opts.valid;
  if (valid) {
    if (valid.X.cols !== X.cols) {
      throw invalidParam(`validation matrix has ${valid.X.cols} columns, training has ${X.cols}`, 'valid');
    }
    checkData(valid.X, valid.y, task, nClasses, { X: 'valid', y: 'valid' });
  }
  const objective = objectiveFor(task, nClasses);
  const K = objective.outputs;
  const n = X.rows;
  const base = objective.baseScores(y);
  const binned = binMatrix(X, params.maxBins);
  const grower = new TreeGrower(binned, {
    maxDepth: params.maxDepth,
    learningRate: params.learningRate,
    minSamplesLeaf: params.minSamplesLeaf,
    l2: params.l2,
    minGain: params.minGainToSplit ?? 0,
    minHessian: MIN_HESSIAN,
  });
  const scores = initialScores(n, base);
  const vScores = valid ? initialScores(valid.X.rows, base) : null;
  const grad = new Float64Array(n * K);
  const hess = new Float64Array(n * K);
  const trees: GbdtTree[] = [];
  let bestIteration = 0;
  let bestLoss = Infinity;
  for (let it = 1; it <= params.trees; it++) {
    objective.gradients(scores, y, grad, hess);
    for (let k = 0; k < K; k++) {
      const g = grad.subarray(k * n, (k + 1) * n);
      const h = hess.subarray(k * n, (k + 1) * n);
      const tree = grower.grow(g, h, scores, K, k);
      trees.push(tree);
      if (valid && vScores) addTree(tree, valid.X, vScores, K);
    }
    const m: IterationMetrics = { iteration: it, trainLoss: objective.loss(scores, y) };
    if (valid && vScores) m.validLoss = objective.loss(vScores, valid.y);
    opts.onIteration?.(m);
    if (m.validLoss === undefined) {
      bestIteration = it;
    } else if (m.validLoss < bestLoss - EARLY_STOP_TOL) {
      bestLoss = m.validLoss;
      bestIteration = it;
    } else if (it - bestIteration >= params.nIterNoChange) {
      break;
    }
  }
  return gbdtModel({
    task,
    nFeatures: X.cols,
    nClasses: task === 'regression' ? 1 : nClasses,
    baseScores: base,
    trees: trees.slice(0, bestIteration * K),
    bestIteration,
    params: { ...params },
  });
}

function initialScores(rows: number, base: number[]): Float64Array {
  const k = base.length;
  const s = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) s[r * k + c] = base[c]!;
  return s;
}

function addTree(tree: GbdtTree, X: Matrix, scores: Float64Array, stride: number): void {
  for (let r = 0; r < X.rows; r++) scores[r * stride + tree.target]! += treeValue(tree, X.data, r * X.cols);
}

function checkData(
  X: Matrix,
  y: Float64Array,
  task: Task,
  nClasses: number,
  field: { X: string; y: string },
): void {
  if (X.rows < 1) throw invalidParam('gbdt needs at least one training row', field.X);
  if (X.data.length !== X.rows * X.cols || X.cols < 1) {
    throw invalidParam(`matrix data (${X.data.length}) does not fill ${X.rows}×${X.cols}`, field.X);
  }
  if (y.length !== X.rows) throw invalidParam(`${y.length} targets for ${X.rows} rows`, field.y);
  for (let i = 0; i < X.data.length; i++) {
    if (!Number.isFinite(X.data[i]))
      throw invalidParam(`feature values must be finite (row ${Math.floor(i / X.cols)})`, field.X);
  }
  if (task === 'regression') {
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) throw invalidParam(`regression targets must be finite (row ${i})`, field.y);
    }
    return;
  }
  const min = task === 'binary' ? 2 : 3;
  if (!Number.isInteger(nClasses) || nClasses < min || (task === 'binary' && nClasses !== 2)) {
    const want = task === 'binary' ? 'exactly 2' : 'an integer ≥ 3';
    throw invalidParam(`${task} needs ${want} classes (got ${nClasses})`, 'nClasses');
  }
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= nClasses) {
      throw invalidParam(`class labels must be integers in 0..${nClasses - 1} (row ${i}: ${c})`, field.y);
    }
  }
}
