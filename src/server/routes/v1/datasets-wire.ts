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
