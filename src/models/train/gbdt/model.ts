/** The trained ensemble and its scoring, identical to what the exported ONNX tree node computes. */
import { invalidParam } from '../../../core/errors.js';
import type { CoreModel, Matrix } from '../types.js';
import type { GbdtParams } from './params.js';
import { type GbdtTree, treeValue } from './tree.js';

export interface GbdtModel extends CoreModel {
  kind: 'gbdt';
  /** Columns of the training matrix. */
  nFeatures: number;
  /** Classes (2 for binary, K for multiclass); 1 for regression. */
  nClasses: number;
  /** Per score column, the float32 starting score: prior log-odds, log class prior, or mean. */
  baseScores: number[];
  /** Trees in boosting order; multiclass iterations contribute one tree per class (tree.target). */
  trees: GbdtTree[];
  /** Iterations kept: the best validation iteration under early stopping, else all that ran. */
  bestIteration: number;
  /** Per feature, its share of the total split gain in the kept trees (sums to 1; all 0 if no split). */
  featureImportance: number[];
  params: GbdtParams;
}

/** Assembles a model from its parts; raw() sums float32 leaf values per column, then adds the base. */
export function gbdtModel(
  parts: Omit<GbdtModel, 'kind' | 'outputs' | 'raw' | 'featureImportance'>,
): GbdtModel {
  const outputs = parts.baseScores.length;
  const { trees, baseScores, nFeatures } = parts;
  return {
    ...parts,
    kind: 'gbdt',
    outputs,
    featureImportance: gainImportance(trees, nFeatures),
    raw(X: Matrix): Float64Array {
      if (X.cols !== nFeatures) {
        throw invalidParam(`the model takes ${nFeatures} features, the matrix has ${X.cols}`, 'X');
      }
      const out = new Float64Array(X.rows * outputs);
      for (let r = 0; r < X.rows; r++) {
        const o = r * outputs;
        const off = r * X.cols;
        for (const t of trees) out[o + t.target]! += treeValue(t, X.data, off);
        for (let k = 0; k < outputs; k++) out[o + k]! += baseScores[k]!;
      }
      return out;
    },
  };
}

function gainImportance(trees: GbdtTree[], nFeatures: number): number[] {
  const gain = new Array<number>(nFeatures).fill(0);
  for (const t of trees) {
    t.feature.forEach((f, n) => {
      if (f >= 0) gain[f]! += t.gain[n]!;
    });
  }
  const total = gain.reduce((a, b) => a + b, 0);
  return total > 0 ? gain.map((g) => g / total) : gain;
}
