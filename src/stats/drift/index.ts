/** Drift detection: Evidently's tests on raw values and their approximate variants on profiles. */
export { type AlignedCounts, alignCounts, binCounts, sturgesEdges, type Value } from './bins.js';
export {
  type ChiSquareResult,
  chiSquare,
  chiSquareFromCounts,
  chiSquareFromProfiles,
  chiSquareTest,
} from './chisquare.js';
export {
  type JensenShannonOptions,
  jensenShannon,
  jensenShannonDistance,
  jensenShannonFromProfiles,
} from './jensenshannon.js';
export { KS_EXACT_MAX_CELLS, type KsMethod, type KsResult, ksFromProfiles, ksPValue, ksTest } from './ks.js';
export {
  PSI_BANDS,
  type PsiOptions,
  profileQuantileCuts,
  psi,
  psiBand,
  psiFromCounts,
  psiFromProfiles,
  quantileCuts,
} from './psi.js';
export {
  type ColumnDriftOptions,
  type ColumnDriftResult,
  columnDrift,
  columnDriftFromProfiles,
  type DatasetDriftResult,
  DEFAULT_THRESHOLDS,
  type DriftMethod,
  datasetDrift,
  defaultMethod,
  isDrift,
  MAX_CATEGORICAL_NUMERIC_DISTINCT,
  SMALL_REFERENCE_ROWS,
} from './select.js';
export {
  chiSquareSf,
  erfc,
  gammaP,
  gammaQ,
  kolmogorovSf,
  ksAsymptoticSf,
  ksExactSf,
  logGamma,
  normalCdf,
} from './special.js';
export {
  MIN_STD,
  wassersteinDistance,
  wassersteinFromProfiles,
  wassersteinNormed,
  wassersteinProfileErrorBound,
} from './wasserstein.js';
export { type ZTestResult, zTest, zTestFromCounts, zTestFromProfiles } from './ztest.js';
