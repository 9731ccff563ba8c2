import { invalidParam } from '../../../core/errors.js';

/** Hyper-parameters of the histogram gradient-boosting trainer. */
export interface GbdtParams {
  /** Boosting iterations (one tree per iteration, or one per class for multiclass). */
  trees: number;
  /** Shrinkage applied to every leaf value, in (0, 1]. */
  learningRate: number;
  /** Maximum tree depth (the root is depth 0), 1..16. */
  maxDepth: number;
  /** Minimum training rows on each side of a split. */
  minSamplesLeaf: number;
  /** Maximum histogram bins per feature, 2..255. */
  maxBins: number;
  /** L2 regularisation on leaf values (λ in G²/(H+λ)). */
  l2: number;
  /** Early-stopping patience in iterations; used only when a validation split is given. */
  nIterNoChange: number;
  /** Minimum gain a split must exceed (default 0: any positive gain). */
  minGainToSplit?: number;
}

/** Defaults close to scikit-learn's HistGradientBoosting (but depth-limited rather than leaf-limited). */
export const GBDT_DEFAULTS: GbdtParams = {
  trees: 100,
  learningRate: 0.1,
  maxDepth: 6,
  minSamplesLeaf: 20,
  maxBins: 255,
  l2: 0,
  nIterNoChange: 10,
};

const isInt = (v: number): boolean => Number.isInteger(v);

/** Throws an invalidParam error naming the first parameter out of range. */
export function validateGbdtParams(p: GbdtParams): void {
  const check = (ok: boolean, name: keyof GbdtParams, rule: string, v: unknown): void => {
    if (!ok) throw invalidParam(`gbdt parameter ${name} must be ${rule} (got ${String(v)})`, name);
  };
  check(isInt(p.trees) && p.trees >= 1, 'trees', 'an integer ≥ 1', p.trees);
  check(
    Number.isFinite(p.learningRate) && p.learningRate > 0 && p.learningRate <= 1,
    'learningRate',
    'in (0, 1]',
    p.learningRate,
  );
  check(
    isInt(p.maxDepth) && p.maxDepth >= 1 && p.maxDepth <= 16,
    'maxDepth',
    'an integer in 1..16',
    p.maxDepth,
  );
  check(
    isInt(p.minSamplesLeaf) && p.minSamplesLeaf >= 1,
    'minSamplesLeaf',
    'an integer ≥ 1',
    p.minSamplesLeaf,
  );
  check(isInt(p.maxBins) && p.maxBins >= 2 && p.maxBins <= 255, 'maxBins', 'an integer in 2..255', p.maxBins);
  check(Number.isFinite(p.l2) && p.l2 >= 0, 'l2', 'a finite number ≥ 0', p.l2);
  check(isInt(p.nIterNoChange) && p.nIterNoChange >= 1, 'nIterNoChange', 'an integer ≥ 1', p.nIterNoChange);
  const g = p.minGainToSplit;
  check(g === undefined || (Number.isFinite(g) && g >= 0), 'minGainToSplit', 'a finite number ≥ 0', g);
}
