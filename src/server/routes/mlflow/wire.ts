import { z } from 'zod';
import { encodeDouble, SPECIAL_DOUBLES } from '../../../core/doubles.js';
import type { FileInfo } from '../../../tracking/artifacts.js';
import type { DatasetInput, Experiment, Metric, Run, RunInfo, Tag } from '../../../tracking/types.js';

/**
 * MLflow's wire conventions (protobuf JSON): snake_case, enums by name, int64 as JSON numbers,
 * unset fields omitted, and doubles that may arrive or leave as "NaN", "Infinity", "-Infinity".
 */
/** A double as protobuf JSON accepts it: a number, a numeric string, or a special-value name. */
export const double = z.union([
  z.number(),
  z
    .string()
    .refine(
      (s) => s in SPECIAL_DOUBLES || (s.trim() !== '' && Number.isFinite(Number(s))),
      'expected a number',
    )
    .transform((s) => (s in SPECIAL_DOUBLES ? SPECIAL_DOUBLES[s]! : Number(s))),
]);

/** An int64 as protobuf JSON accepts it: an integer or a decimal string. */
export const int64 = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/, 'expected an integer')
    .transform((s) => Number(s)),
]);

/** Query-string booleans/ints arrive as strings; repeated keys as arrays. */
export const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]), z.array(item));

export const TagSchema = z.object({ key: z.string(), value: z.string() });

/** A double for the wire: non-finite values as the names protobuf JSON uses. */
export const wireDouble = encodeDouble;

export const experimentToWire = (e: Experiment) => ({
  experiment_id: e.experimentId,
  name: e.name,
  artifact_location: e.artifactLocation,
  lifecycle_stage: e.lifecycleStage,
  last_update_time: e.lastUpdateTime,
  creation_time: e.creationTime,
  ...(e.tags.length ? { tags: e.tags } : {}),
});

export const runInfoToWire = (i: RunInfo) => ({
  run_id: i.runId,
  run_uuid: i.runId,
  run_name: i.runName,
  experiment_id: i.experimentId,
  user_id: i.userId,
  status: i.status,
  start_time: i.startTime,
  ...(i.endTime !== null ? { end_time: i.endTime } : {}),
  artifact_uri: i.artifactUri,
  lifecycle_stage: i.lifecycleStage,
});

export const metricToWire = (m: Metric) => ({
  key: m.key,
  value: wireDouble(m.value),
  timestamp: m.timestamp,
  step: m.step,
});

const datasetInputToWire = (d: DatasetInput) => ({
  ...(d.tags.length ? { tags: d.tags } : {}),
  dataset: {
    name: d.dataset.name,
    digest: d.dataset.digest,
    source_type: d.dataset.sourceType,
    source: d.dataset.source,
    ...(d.dataset.schema !== undefined ? { schema: d.dataset.schema } : {}),
    ...(d.dataset.profile !== undefined ? { profile: d.dataset.profile } : {}),
  },
});

const nonEmpty = <K extends string, T>(key: K, items: T[]): Partial<Record<K, T[]>> =>
  (items.length ? { [key]: items } : {}) as Partial<Record<K, T[]>>;

export const runToWire = (r: Run) => ({
  info: runInfoToWire(r.info),
  data: {
    ...nonEmpty('metrics', r.data.metrics.map(metricToWire)),
    ...nonEmpty('params', r.data.params),
    ...nonEmpty('tags', r.data.tags as Tag[]),
  },
  inputs: { ...nonEmpty('dataset_inputs', r.inputs.datasetInputs.map(datasetInputToWire)) },
});

export const fileToWire = (f: FileInfo) => ({
  path: f.path,
  is_dir: f.isDir,
  ...(f.fileSize !== undefined ? { file_size: f.fileSize } : {}),
});

export const ViewTypeSchema = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);
