import { z } from 'zod';
import type { Metric, Run } from '../../../tracking/types.js';
import { double, int64, TagSchema, wireDouble } from '../mlflow/wire.js';

/**
 * The native API's wire conventions: camelCase JSON shaped like the domain types, with the one
 * exception JSON forces on us: non-finite doubles travel as "NaN", "Infinity", "-Infinity".
 * The zod schemas below document responses in the OpenAPI document; inputs reuse MLflow's parsers.
 */
/** `Metric` with its value ready for JSON.stringify (which would turn NaN into null). */
export const metricOut = (m: Metric) => ({ ...m, value: wireDouble(m.value) });

/** `Run` with its latest metric values ready for JSON. */
export const runOut = (r: Run) => ({ ...r, data: { ...r.data, metrics: r.data.metrics.map(metricOut) } });

/** Path parameter `:id`. */
export const IdParam = z.object({ id: z.string().min(1) });

/** Acknowledgement of a write that returns nothing else. */
export const Empty = z.object({});

const Stage = z.enum(['active', 'deleted']);
const Ms = z.number().int().describe('Epoch milliseconds');
const WireDouble = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

export const ExperimentSchema = z.object({
  experimentId: z.string(),
  name: z.string(),
  artifactLocation: z.string(),
  lifecycleStage: Stage,
  creationTime: Ms,
  lastUpdateTime: Ms,
  tags: z.array(TagSchema),
});

export const MetricSchema = z.object({
  key: z.string(),
  value: WireDouble,
  timestamp: Ms,
  step: z.number().int(),
});

export const RunStatusSchema = z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

export const RunInfoSchema = z.object({
  runId: z.string(),
  runName: z.string(),
  experimentId: z.string(),
  userId: z.string(),
  status: RunStatusSchema,
  startTime: Ms,
  endTime: Ms.nullable(),
  artifactUri: z.string(),
  lifecycleStage: Stage,
});

/** A dataset as logged with a run (input side; the response uses the same shape). */
export const DatasetInputSchema = z.object({
  tags: z.array(TagSchema).optional(),
  dataset: z.object({
    name: z.string(),
    digest: z.string(),
    sourceType: z.string(),
    source: z.string(),
    schema: z.string().optional(),
    profile: z.string().optional(),
  }),
});

export const RunSchema = z.object({
  info: RunInfoSchema,
  data: z.object({ metrics: z.array(MetricSchema), params: z.array(TagSchema), tags: z.array(TagSchema) }),
  inputs: z.object({ datasetInputs: z.array(DatasetInputSchema) }),
});

export const FileInfoSchema = z.object({
  path: z.string(),
  isDir: z.boolean(),
  fileSize: z.number().int().optional(),
});

/** Metric as a client logs it: timestamp defaults to the server's now, step to 0. */
export const MetricInputSchema = z.object({
  key: z.string(),
  value: double,
  timestamp: int64.optional(),
  step: int64.optional(),
});
