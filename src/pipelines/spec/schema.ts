/** The shape of a pipeline file, checked before the rules that need more than one field. */
import { z } from 'zod';

const str = z.string({ error: 'expected a string' });
const nonEmpty = str.min(1, { error: 'must not be empty' });
/** A string or a list of strings; one string is a list of one. */
const list = z
  .union([nonEmpty, z.array(nonEmpty)], { error: 'expected a string or a list of strings' })
  .transform((v) => (typeof v === 'string' ? [v] : v));
const map = z.record(z.string(), z.unknown(), { error: 'expected a map' });

export const RawStep = z.strictObject(
  {
    cmd: list.optional(),
    uses: nonEmpty.optional(),
    with: map.optional(),
    deps: list.optional(),
    outs: list.optional(),
    params: list.optional(),
    metrics: list.optional(),
    after: list.optional(),
    env: z
      .record(
        z.string(),
        z
          .union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' })
          .transform(String),
        { error: 'expected a map of variable → value' },
      )
      .optional(),
    timeout: z.union([z.string(), z.number()], { error: 'expected a duration such as 10m' }).optional(),
    retries: z
      .int({ error: 'expected a whole number' })
      .min(0, { error: 'must be 0 or more' })
      .max(100, { error: 'must be at most 100' })
      .optional(),
    cache: z.boolean({ error: 'expected true or false' }).optional(),
  },
  { error: 'expected a map of step fields' },
);

export const RawPipeline = z.strictObject(
  {
    description: str.optional(),
    params: map.optional(),
    concurrency: z
      .int({ error: 'expected a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(1000, { error: 'must be at most 1000' })
      .optional(),
    triggers: z.array(z.unknown(), { error: 'expected a list of triggers' }).optional(),
    steps: z.record(z.string(), RawStep, { error: 'expected a map of steps' }),
  },
  { error: 'expected a map of pipeline fields' },
);

export const RawFile = z.strictObject(
  { pipelines: z.record(z.string(), RawPipeline, { error: 'expected a map of pipelines' }) },
  { error: "expected a top-level 'pipelines:' map" },
);

export type RawStepT = z.infer<typeof RawStep>;
export type RawPipelineT = z.infer<typeof RawPipeline>;

/** The fields a map at this depth may hold, for "unknown field" errors. */
export const FIELDS = {
  file: Object.keys(RawFile.shape),
  pipeline: Object.keys(RawPipeline.shape),
  step: Object.keys(RawStep.shape),
};
