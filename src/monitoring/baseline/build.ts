/**
 * Building a monitor's baseline for one model version: the reference rows (the training dataset
 * by default, or a chosen dataset version) scored through that version with onnxruntime, profiled
 * on the same histogram edges the prediction log bins windows on, plus the calibration and the
 * reference's own metrics. A past-windows reference merges the deployment's logged profiles.
 */
import type { Context } from '../../context.js';
import { invalidParam } from '../../core/errors.js';
import type { Table } from '../../data/table.js';
import { inspectOnnx } from '../../models/onnx/read.js';
import { loadModel } from '../../models/onnx/runtime.js';
import { withoutZipMap } from '../../models/onnx/zipmap.js';
import { type Scored, scoreTable } from '../../models/score.js';
import { readBlob } from '../../registry/onnx.js';
import type { ModelVersion } from '../../registry/types.js';
import { getModelVersion } from '../../registry/versions.js';
import { CONFIDENCE_COLUMN, LABEL_COLUMN, SCORE_COLUMN, VALUE_COLUMN } from '../../serving/log/layout.js';
import { referenceEdges, trainingData } from '../../serving/log/reference.js';
import { modelIO } from '../../serving/model-io.js';
import type { ModelIO, RowPrediction } from '../../serving/types.js';
import { type CellValue, DatasetProfiler } from '../../stats/profile.js';
import type { ColumnType, DatasetProfile } from '../../stats/types.js';
import { estimateBinary, estimateMulticlass } from '../checks/estimate.js';
import { realisedMetrics } from '../checks/performance.js';
import type { Baseline, MetricMap, MonitorSpec } from '../types.js';
import { fitCalibration } from './calibration.js';
import { readVersionTable, versionById } from './data.js';
import { windowBaseline } from './windows.js';

const COLUMN_TYPES = new Set(['integer', 'float', 'boolean', 'categorical', 'datetime', 'text']);

/** The model's features as monitoring sees them: the training feature schema, else its inputs. */
export function featuresOf(v: ModelVersion, io: ModelIO): { name: string; type: ColumnType }[] {
  if (v.featureSchema?.length) {
    return v.featureSchema.map((f) => ({
      name: f.name,
      type: (COLUMN_TYPES.has(f.type) ? f.type : 'float') as ColumnType,
    }));
  }
  return io.inputs.map((i) => ({
    name: i.name,
    type: i.elemType === 'string' ? 'categorical' : i.elemType === 'bool' ? 'boolean' : 'float',
  }));
}

/** The prediction columns a version's windows carry (as the log's layout names them). */
export function predictionColumns(io: ModelIO): { name: string; type: ColumnType }[] {
  if (io.task === 'regression') return [{ name: VALUE_COLUMN, type: 'float' }];
  if (io.task === null) return [];
  const cols: { name: string; type: ColumnType }[] = [{ name: LABEL_COLUMN, type: 'categorical' }];
  const n = io.classes?.length ?? 0;
  if (io.probabilitiesOutput && n === 2) cols.push({ name: SCORE_COLUMN, type: 'float' });
  if (io.probabilitiesOutput && n > 2) cols.push({ name: CONFIDENCE_COLUMN, type: 'float' });
  return cols;
}

/** Identifies the reference a baseline was built from (a spec change rebuilds it). */
export function referenceKey(spec: MonitorSpec): string {
  const r = spec.reference;
  const pos = spec.checks.positiveClass === undefined ? '' : `|pos=${String(spec.checks.positiveClass)}`;
  if (r.kind === 'training') return `training${pos}`;
  if (r.kind === 'dataset') return `dataset:${r.versionId}${pos}`;
  return `window:${r.from}/${r.to}${pos}`;
}

/** Label-free estimates from a profile's score (binary) or confidence (multiclass) column. */
export function estimatesOf(
  profile: DatasetProfile,
  io: Pick<ModelIO, 'classes'>,
  calibration: number[] | null,
  positiveClass?: string | number,
): MetricMap | null {
  const col = (name: string) => profile.columns.find((c) => c.name === name && c.count > c.missing);
  const n = io.classes?.length ?? 0;
  if (n === 2) {
    const score = col(SCORE_COLUMN);
    const first = positiveClass !== undefined && String(positiveClass) === String(io.classes![0]);
    return score ? estimateBinary(score, calibration, !first) : null;
  }
  if (n > 2) {
    const conf = col(CONFIDENCE_COLUMN);
    return conf ? estimateMulticlass(conf, calibration) : null;
  }
  return null;
}

/** The prediction columns' cells for every scored row, as the log's layout fills them. */
export function predictionCells(
  preds: { name: string }[],
  scored: Scored,
  n: number,
  width: number,
): { columns: (ArrayLike<CellValue> | undefined)[]; confidence: Float64Array } {
  const confidence = new Float64Array(n);
  const columns: (ArrayLike<CellValue> | undefined)[] = [];
  for (const p of preds) {
    if (p.name === LABEL_COLUMN) columns.push(scored.labels?.map((l) => String(l)) ?? undefined);
    else if (p.name === VALUE_COLUMN) columns.push(scored.values ?? undefined);
    else if (p.name === SCORE_COLUMN)
      columns.push(
        scored.probabilities
          ? Float64Array.from({ length: n }, (_, i) => scored.probabilities![i * 2 + 1]!)
          : undefined,
      );
    else {
      for (let i = 0; i < n; i++) {
        let m = 0;
        for (let j = 0; j < width; j++) m = Math.max(m, scored.probabilities?.[i * width + j] ?? 0);
        confidence[i] = m;
      }
      columns.push(confidence);
    }
  }
  return { columns, confidence };
}

/** Row `i` of a scored table as the prediction log records it. */
export function scoredRow(scored: Scored, classes: (string | number)[] | null, i: number): RowPrediction {
  const width = classes?.length ?? 0;
  return {
    ...(scored.labels ? { label: scored.labels[i]! } : {}),
    ...(scored.values ? { value: scored.values[i]! } : {}),
    ...(scored.probabilities && width === 2 ? { score: scored.probabilities[i * 2 + 1]! } : {}),
    ...(scored.probabilities && classes
      ? {
          probabilities: Object.fromEntries(
            classes.map((c, j) => [String(c), scored.probabilities![i * width + j]!]),
          ),
        }
      : {}),
  };
}

/** Reads the version's ONNX and scores a table's rows. */
export async function scoreRows(ctx: Context, v: ModelVersion, io: ModelIO, table: Table) {
  if (!v.onnx) throw invalidParam(`${v.name}@${v.version} has no ONNX model`, 'model');
  const onnx = await readBlob(ctx, v.onnx.sha256);
  const unzipped = withoutZipMap(onnx);
  const runnable = unzipped?.bytes ?? onnx;
  const session = await loadModel(runnable, { threads: 1 });
  try {
    const features = io.packedFeatures ?? undefined;
    return await scoreTable(session, inspectOnnx(runnable), table, {
      ...(features ? { features } : {}),
      ...(io.task ? { task: io.task } : {}),
      ...(io.classes ? { classes: io.classes } : {}),
    });
  } finally {
    await session.release();
  }
}

/** Builds the baseline of `version` for a monitor's reference. */
export async function buildBaseline(
  ctx: Context,
  deployment: string,
  spec: MonitorSpec,
  model: string,
  version: number,
): Promise<Baseline> {
  const v = await getModelVersion(ctx, model, version);
  const io = modelIO(v);
  const features = featuresOf(v, io);
  const ref = spec.reference;
  const pos = spec.checks.positiveClass;
  if (ref.kind === 'window') return windowBaseline(ctx, deployment, ref, io, features, pos);
  let versionId: string;
  if (ref.kind === 'dataset') versionId = ref.versionId;
  else {
    const td = await trainingData(ctx.store.db, model, version);
    if (!td) {
      throw invalidParam(
        `${model}@${version} records no training dataset to compare with: give the monitor a reference ` +
          '(--reference <dataset>@<version>, or --reference window:<from>/<to> for past traffic)',
        'reference',
      );
    }
    versionId = td.versionId;
  }
  const dataset = await versionById(ctx, versionId);
  const table = await readVersionTable(ctx, dataset);
  const missing = features.filter((f) => !(f.name in table.columns)).map((f) => f.name);
  if (missing.length > 0) {
    throw invalidParam(
      `reference ${dataset.ref} does not match ${model}@${version}: it lacks feature column(s) ${missing.join(', ')}`,
      'reference',
    );
  }
  const scored = await scoreRows(ctx, v, io, table);
  const preds = predictionColumns(io);
  const n = table.rows;
  const classes = scored.classes ?? io.classes;
  const width = classes?.length ?? 0;
  const { columns: predCols, confidence: conf } = predictionCells(preds, scored, n, width);
  const cols: (ArrayLike<CellValue> | undefined)[] = [
    ...features.map((f) => table.columns[f.name] as CellValue[]),
    ...predCols,
  ];
  const profiler = new DatasetProfiler([...features, ...preds], {
    edges: await referenceEdges(ctx.store.db, model, version),
  });
  profiler.addColumns(cols, n);
  const profile = profiler.finish();
  const target = v.signature?.metadata?.['keel.target'];
  const actual = target ? table.columns[target] : undefined;
  let calibration: number[] | null = null;
  let realised: MetricMap | null = null;
  if (actual && io.task && io.task !== 'regression' && classes && scored.probabilities) {
    const scores =
      width === 2 ? Float64Array.from({ length: n }, (_, i) => scored.probabilities![i * 2 + 1]!) : conf;
    const hits = Float64Array.from({ length: n }, (_, i) =>
      width === 2
        ? Number(String(actual[i]) === String(classes[1]) || actual[i] === true)
        : Number(String(actual[i]) === String(scored.labels?.[i])),
    );
    calibration = fitCalibration(scores, hits);
  }
  if (actual && io.task) {
    const rows = [];
    for (let i = 0; i < n; i++) {
      const a = actual[i];
      if (a === null || a === undefined) continue;
      rows.push({ prediction: scoredRow(scored, classes, i), label: a });
    }
    realised = realisedMetrics(rows, { task: io.task, classes, positiveClass: pos });
  }
  const estimated = estimatesOf(profile, io, calibration, pos);
  return {
    source: `${dataset.ref}${ref.kind === 'training' ? ` (training data of ${model}@${version})` : ''}`,
    profile,
    features,
    task: io.task,
    classes,
    calibration,
    metrics: { rows: n, ...(realised ?? {}), ...(estimated ?? {}) },
  };
}
