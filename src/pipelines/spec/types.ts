import type { ParamValue } from '../steps/types.js';

/** How a declared param's values are typed: by its default's type, or by an explicit `type:`. */
export type ParamType = 'string' | 'number' | 'integer' | 'boolean';

/** A param a pipeline declares (`params:`); `--param k=v` may only set declared params. */
export interface ParamDecl {
  name: string;
  type: ParamType;
  default: Exclude<ParamValue, null>;
  /** Allowed values, when restricted. */
  enum?: Exclude<ParamValue, null>[];
  description?: string;
}

/** A cron schedule (5 fields) evaluated in an IANA timezone. */
export interface ScheduleTrigger {
  kind: 'schedule';
  /** The cron expression, fields separated by single spaces. */
  schedule: string;
  timezone: string;
}

/** An alert matching every filter given (at least one of monitor, rule, deployment). */
export interface AlertTrigger {
  kind: 'alert';
  monitor?: string;
  rule?: string;
  deployment?: string;
  /** A deployment route (primary, canary, variant:<name>): e.g. only the primary's alerts retrain. */
  route?: string;
  /** `opened` (default): when the alert opens; `updated`: also each time it changes. */
  on: 'opened' | 'updated';
}

/** A new version of a dataset. */
export interface DatasetTrigger {
  kind: 'dataset';
  dataset: string;
}

export type Trigger = ScheduleTrigger | AlertTrigger | DatasetTrigger;

/**
 * What every step has, whatever runs it. Paths are workspace-relative, normalised (`./a//b` → `a/b`),
 * never escaping the workspace; a trailing `/` marks a directory (one without it is detected when
 * hashed). Built-ins may have `deps` (workspace files they read); their other file fields are empty.
 */
interface StepBase {
  name: string;
  /** Line of the step's name in the pipeline file. */
  line: number;
  /** Explicit upstream steps (`after:`). */
  after: string[];
  deps: string[];
  outs: string[];
  /** Declared params the step reads (part of its cache key). */
  params: string[];
  /** JSON `{name: number}` files the step writes, logged as metrics. */
  metrics: string[];
  env: Record<string, string>;
  /** null: no timeout. */
  timeoutMs: number | null;
  retries: number;
  cache: boolean;
}

/** A command step. */
export interface CmdStep extends StepBase {
  kind: 'cmd';
  /** Shell command lines, run in order; the first failure stops the step. */
  cmd: string[];
  uses?: undefined;
  with?: undefined;
}

/** A built-in step (`uses:`); `with` is as written, `${…}` references still unresolved. */
export interface UsesStep extends StepBase {
  kind: 'uses';
  uses: string;
  with: Record<string, unknown>;
  cmd?: undefined;
}

export type StepSpec = CmdStep | UsesStep;

/** One pipeline of a pipeline file, validated and normalised. */
export interface PipelineSpec {
  name: string;
  /** The file it was read from (as given to the parser) and the line of its name. */
  file: string;
  line: number;
  description: string;
  params: Record<string, ParamDecl>;
  /** Most runs of this pipeline at once; the others wait queued. */
  concurrency: number;
  triggers: Trigger[];
  /** By name, in file order (step names never look like integers, so JSON keeps the order). */
  steps: Record<string, StepSpec>;
  /** Each step's direct upstream steps (see dag.ts for what makes an edge), in file order. */
  upstream: Record<string, string[]>;
}
