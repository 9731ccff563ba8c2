import { z } from 'zod';

/**
 * Wire schemas of the native deployments API: camelCase, shaped like the domain types in
 * src/serving/types.ts. Inputs are strict objects: a misspelt key in a traffic change must not
 * silently change nothing. Ranges and route rules are checked by the domain, with its messages.
 */
const Ms = z.number().int().describe('Epoch milliseconds');

export const DeploymentNameParam = z.object({ name: z.string().min(1) });

const Batching = {
  maxBatchRows: z.number().describe('Rows per batch (1–65536)'),
  maxDelayUs: z.number().describe('How long the oldest request may wait for a fuller batch, µs (0–1e6)'),
  maxQueueRows: z.number().describe('Rows that may wait (≥ maxBatchRows); beyond it: 503 + Retry-After'),
  timeoutMs: z.number().describe('Per-request timeout, queueing plus compute (1–600000)'),
  workers: z.number().describe('onnxruntime sessions per loaded version (1–16)'),
  threads: z.number().describe('Intra-op threads per session (1–16)'),
};
const Log = {
  enabled: z.boolean(),
  windowSeconds: z.number().describe('Event-time window of profiles and samples, s (10–86400)'),
  sampleRows: z.number().describe('Raw rows sampled per window (0–1000000)'),
};

export const BatchingSchema = z.object(Batching);
export const LogSchema = z.object(Log);
export const BatchingPatchSchema = z.strictObject(Batching).partial();
export const LogPatchSchema = z.strictObject(Log).partial();

const StickySchema = z.union([
  z.strictObject({ header: z.string().describe('Request header whose value pins a caller to a route') }),
  z.strictObject({ field: z.string().describe('Record field whose value pins a row to a route') }),
]);

const Version = z.number().int();

export const DeploymentSpecSchema = z.object({
  model: z.string(),
  primary: Version,
  previous: Version.nullable().describe("The primary before the last promote or switch: rollback's target"),
  canary: z.object({ version: Version, weight: z.number().int() }).nullable(),
  variants: z.array(z.object({ name: z.string(), version: Version, weight: z.number().int() })),
  shadows: z.array(Version),
  sticky: z.union([z.object({ header: z.string() }), z.object({ field: z.string() })]).nullable(),
  batching: BatchingSchema,
  log: LogSchema,
});

const VersionStatusSchema = z.object({
  version: Version,
  routes: z.array(z.string()),
  state: z.enum(['loading', 'ready', 'failed', 'standby']),
  error: z.string().optional(),
});

export const DeploymentSchema = z.object({
  name: z.string(),
  description: z.string(),
  sourceRef: z.string().describe('The ref it was created from, e.g. credit@champion'),
  spec: DeploymentSpecSchema,
  revision: z.number().int().describe('Increments with every change'),
  createdAt: Ms,
  updatedAt: Ms,
  createdBy: z.string(),
  status: z
    .object({ ready: z.boolean(), versions: z.array(VersionStatusSchema) })
    .nullable()
    .optional()
    .describe('What this server has loaded (null when it serves none of it); reads only'),
});

export const NewDeploymentSchema = z.strictObject({
  name: z.string().describe('1–64 of [a-zA-Z0-9_.-], starting with a letter or digit'),
  model: z.string().describe('The primary: credit@3, credit@champion, or credit (latest approved)'),
  description: z.string().optional(),
  batching: BatchingPatchSchema.optional(),
  log: LogPatchSchema.optional(),
});

export const DeploymentPatchSchema = z.strictObject({
  description: z.string().optional(),
  batching: BatchingPatchSchema.optional(),
  log: LogPatchSchema.optional(),
});

const Ref = z
  .union([z.string(), z.number()])
  .describe("A version of the deployment's model: 3, '@challenger', 'credit@3', 'credit@challenger'");

export const TrafficChangeSchema = z.strictObject({
  canary: z
    .strictObject({
      ref: Ref.optional(),
      version: Version.optional(),
      weight: z.number().optional().describe('Percentage of traffic, 0–100'),
    })
    .nullable()
    .optional()
    .describe('null clears it; only a weight re-weights the current canary'),
  variants: z
    .array(
      z.strictObject({
        name: z.string(),
        ref: Ref.optional(),
        version: Version.optional(),
        weight: z.number(),
      }),
    )
    .nullable()
    .optional()
    .describe('An A/B split replacing the primary for traffic; weights sum to 100; null or [] clears it'),
  shadows: z
    .array(Ref)
    .nullable()
    .optional()
    .describe('Mirrored versions (replaces the list); null or [] clears'),
  sticky: StickySchema.nullable().optional(),
});

export const PrimarySchema = z.strictObject({ model: Ref.describe('The new primary') });
