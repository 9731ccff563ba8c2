import { z } from 'zod';

/** zod mirror of src/stats/types.ts: profiles arrive from clients (the CLI profiles locally). */
const ColumnType = z.enum(['integer', 'float', 'boolean', 'categorical', 'datetime', 'text']);
const finite = z.number().finite();

export const ColumnProfileSchema = z.object({
  name: z.string(),
  type: ColumnType,
  count: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  hll: z.string(),
  distinctEstimate: z.number().nonnegative(),
  moments: z.object({ count: finite, mean: finite, m2: finite, min: finite, max: finite }).optional(),
  sketch: z.string().optional(),
  quantileAccuracy: z.number().optional(),
  histogram: z
    .object({
      edges: z.array(finite),
      counts: z.array(z.number().nonnegative()),
      underflow: z.number().nonnegative(),
      overflow: z.number().nonnegative(),
    })
    .optional(),
  top: z
    .object({
      items: z.array(z.tuple([z.string(), z.number().nonnegative()])),
      other: z.number(),
      exact: z.boolean(),
    })
    .optional(),
});

export const DatasetProfileSchema = z.object({
  rows: z.number().int().nonnegative(),
  badRows: z.number().int().nonnegative(),
  columns: z.array(ColumnProfileSchema),
});

export const DataSchemaSchema = z.object({
  columns: z.array(z.object({ name: z.string().min(1), type: ColumnType, nullable: z.boolean() })),
});

export const DatasetFileSchema = z.object({
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
});

export const NewVersionSchema = z.object({
  files: z.array(DatasetFileSchema).min(1),
  rows: z.number().int().nonnegative(),
  badRows: z.number().int().nonnegative(),
  schema: DataSchemaSchema.nullable(),
  profile: DatasetProfileSchema.nullable(),
  message: z.string().max(10_000).optional(),
});

/** A stored version as the API returns it. */
export const DatasetVersionSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  ref: z.string(),
  contentHash: z.string(),
  rows: z.number().int(),
  badRows: z.number().int(),
  fileCount: z.number().int(),
  bytes: z.number().int(),
  schema: DataSchemaSchema.nullable(),
  profile: DatasetProfileSchema.nullable(),
  message: z.string(),
  createdBy: z.string(),
  createdAt: z.number().int(),
  files: z.array(DatasetFileSchema).optional(),
});

export const VersionDetailSchema = DatasetVersionSchema.extend({
  runs: z.array(z.object({ runId: z.string(), runName: z.string(), context: z.string().nullable() })),
});

const ColumnTypeOut = z.enum(['integer', 'float', 'boolean', 'categorical', 'datetime', 'text']);

export const DataDiffSchema = z.object({
  from: z.string(),
  to: z.string(),
  rows: z.object({ from: z.number(), to: z.number() }),
  schema: z.object({
    added: z.array(z.object({ name: z.string(), type: ColumnTypeOut })),
    removed: z.array(z.object({ name: z.string(), type: ColumnTypeOut })),
    changed: z.array(z.object({ name: z.string(), from: ColumnTypeOut, to: ColumnTypeOut })),
  }),
  columns: z.array(
    z.object({
      column: z.string(),
      type: ColumnTypeOut,
      method: z.string(),
      statistic: z.number(),
      pValue: z.number().optional(),
      threshold: z.number(),
      drifted: z.boolean(),
      approximate: z.boolean(),
      bins: z.object({
        labels: z.array(z.string()),
        reference: z.array(z.number()),
        current: z.array(z.number()),
      }),
    }),
  ),
  dataset: z.object({
    driftedColumns: z.number(),
    totalColumns: z.number(),
    share: z.number(),
    threshold: z.number(),
    drifted: z.boolean(),
  }),
});
