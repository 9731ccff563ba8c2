import { z } from 'zod';
import { encodeDouble } from '../../../core/doubles.js';
import type { ModelVersion } from '../../../registry/types.js';

/**
 * Wire schemas of the native registry API: camelCase, shaped like the domain types in
 * src/registry/types.ts. Non-finite metric values travel as "NaN", "Infinity", "-Infinity".
 */
const Ms = z.number().int().describe('Epoch milliseconds');
const WireDouble = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
const StringMap = z.record(z.string(), z.string());

/** `:version` path parameter: a positive integer. */
export const VersionNumber = z
  .string()
  .regex(/^[1-9]\d{0,14}$/, 'expected a version number ≥ 1')
  .transform(Number);

export const NameParam = z.object({ name: z.string().min(1) });
export const VersionParams = NameParam.extend({ version: VersionNumber });

export const FeatureSchemaEntrySchema = z.object({
  name: z.string().min(1),
  type: z.string().min(1),
  nullable: z.boolean().optional(),
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
  categories: z.array(z.string()).optional(),
});

const DimSchema = z.union([z.number(), z.string(), z.null()]);
const OnnxValueSchema = z.object({
  name: z.string(),
  kind: z.string(),
  elemType: z.string().nullable(),
  shape: z.array(DimSchema).nullable(),
  type: z.string(),
  docString: z.string(),
});

export const ModelSignatureSchema = z.object({
  inputs: z.array(OnnxValueSchema),
  outputs: z.array(OnnxValueSchema),
  opsets: z.array(z.object({ domain: z.string(), version: z.number().int() })),
  producerName: z.string(),
  producerVersion: z.string(),
  irVersion: z.number().int(),
  operators: z.array(z.string()),
  metadata: StringMap,
});

export const ApprovalSchema = z.object({
  status: z.enum(['pending', 'approved', 'rejected']),
  actor: z.string().nullable(),
  reason: z.string().nullable(),
  time: Ms.nullable(),
});

const OnnxBlobSchema = z.object({ sha256: z.string(), size: z.number().int() }).nullable();

export const RegisteredModelSchema = z.object({
  name: z.string(),
  description: z.string(),
  createdAt: Ms,
  updatedAt: Ms,
  createdBy: z.string(),
  tags: StringMap,
  aliases: z.record(z.string(), z.number().int()),
  latestVersion: z.number().int().nullable(),
});

export const ModelVersionSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  createdAt: Ms,
  updatedAt: Ms,
  createdBy: z.string(),
  description: z.string(),
  source: z.string(),
  runId: z.string().nullable(),
  runLink: z.string(),
  status: z.literal('READY'),
  stage: z.string(),
  onnx: OnnxBlobSchema,
  signature: ModelSignatureSchema.nullable(),
  featureSchema: z.array(FeatureSchemaEntrySchema).nullable(),
  datasets: z.array(
    z.object({ ref: z.string(), name: z.string(), version: z.number().int(), versionId: z.string() }),
  ),
  metrics: z.record(z.string(), WireDouble),
  params: StringMap,
  approval: ApprovalSchema,
  aliases: z.array(z.string()),
  tags: StringMap,
});

export const NewModelSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  tags: StringMap.optional(),
});

export const NewModelVersionSchema = z.object({
  onnxSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits')
    .optional()
    .describe('An ONNX file uploaded first with PUT /api/v1/blobs/{sha256}'),
  runId: z
    .string()
    .min(1)
    .optional()
    .describe('The run that produced the model (its metrics, params and datasets are copied)'),
  artifactPath: z
    .string()
    .min(1)
    .optional()
    .describe(
      "With runId: the model's artifact path, `<path>/model.onnx` or a `.onnx` file (default `model`)",
    ),
  source: z
    .string()
    .optional()
    .describe('A runs:/ or mlflow-artifacts:/ URI instead of runId + artifactPath'),
  runLink: z.string().optional(),
  createModel: z
    .boolean()
    .optional()
    .describe('Create the registered model, if missing, in the same transaction'),
  featureSchema: z.array(FeatureSchemaEntrySchema).optional(),
  datasets: z
    .array(z.string().min(1))
    .optional()
    .describe("Dataset version refs (name@N) besides the run's inputs"),
  description: z.string().optional(),
  tags: StringMap.optional(),
});

export const EvaluationSchema = z.object({
  evalId: z.string(),
  name: z.string(),
  version: z.number().int(),
  datasetRef: z.string().nullable(),
  datasetVersionId: z.string().nullable(),
  createdAt: Ms,
  createdBy: z.string(),
  result: z.unknown(),
});

export const ApprovalRecordSchema = z.object({
  status: z.enum(['approved', 'rejected']),
  actor: z.string(),
  reason: z.string(),
  time: Ms,
});

export const LineageSchema = z.object({
  datasets: z.array(
    z.object({
      ref: z.string(),
      name: z.string(),
      version: z.number().int(),
      contentHash: z.string(),
      rows: z.number().int(),
    }),
  ),
  run: z
    .object({
      runId: z.string(),
      runName: z.string(),
      experimentId: z.string(),
      experimentName: z.string(),
      params: StringMap,
      gitCommit: z.string().nullable(),
      sourceName: z.string().nullable(),
      startTime: Ms,
    })
    .nullable(),
  version: z.object({
    name: z.string(),
    version: z.number().int(),
    approval: ApprovalSchema,
    onnx: OnnxBlobSchema,
  }),
  aliases: z.array(z.string()),
  deployments: z.array(z.object({ name: z.string(), routes: z.array(z.string()) })),
});

/** A version ready for JSON: non-finite metric values as their names. */
export const versionOut = (v: ModelVersion) => ({
  ...v,
  metrics: Object.fromEntries(Object.entries(v.metrics).map(([k, x]) => [k, encodeDouble(x)])),
});
