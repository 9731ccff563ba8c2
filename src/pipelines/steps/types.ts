import type { Context } from '../../context.js';
import type { Keel } from '../../sdk/index.js';

/** A pipeline parameter's value after parsing (`--param k=v`, the spec's defaults, a trigger's context). */
export type ParamValue = string | number | boolean | null;

/** What a step hands downstream: `${steps.<step>.outputs.<key>}` in a later step's `with:` or `cmd`. */
export type StepOutputs = Record<string, ParamValue>;

/** Everything a built-in step gets when it runs (in a worker, for one attempt). */
export interface BuiltinContext {
  ctx: Context;
  /** The in-process API acting as `pipeline:<name>`: every change a step makes is authorised and audited like a user's. */
  keel: Keel;
  pipeline: string;
  /** The pipeline run's id. */
  runId: number;
  step: string;
  /** The step's `with:` arguments, with `${params.x}` and `${steps.s.outputs.k}` already substituted. */
  with: Record<string, unknown>;
  params: Record<string, ParamValue>;
  /**
   * A fresh folder holding the step's `deps` (workspace files and upstream outputs): resolve the
   * relative paths a step is given (`path:`, `policy:`, `expect:`) here, never against the worker's
   * own working directory.
   */
  workDir: string;
  /** The tracked (MLflow) run recording this step: log params/metrics/artifacts into it. */
  trackedRunId: string;
  /** Appends a line to the step's log (kept with the step, shown by `keel pipeline logs`). */
  log(line: string): void;
  /** Aborted when the job's lease is lost or its timeout passes: stop and throw. */
  signal: AbortSignal;
}

export interface BuiltinResult {
  outputs: StepOutputs;
  /** Figures to show with the step and log on its tracked run. */
  metrics?: Record<string, number>;
}

/**
 * A built-in step type (`uses: train`). `with` is validated by `parse` when the pipeline is applied
 * (values still holding `${…}` references are checked again at run time).
 */
export interface Builtin<W = Record<string, unknown>> {
  readonly name: string;
  /** One line for `keel pipeline steps` and the README. */
  readonly description: string;
  /** Validates and normalises `with:`; throws KeelError INVALID_PARAMETER_VALUE naming the field. */
  parse(withArgs: Record<string, unknown>, opts: { resolved: boolean }): W;
  /**
   * Extra cache-key material for inputs the step reads that are not content-addressed (e.g. "the
   * labels received so far"); `false` = never cached (its effect must happen every run).
   */
  fingerprint?(b: BuiltinContext & { with: W }): Promise<string | false>;
  /**
   * Runs the step. Must be idempotent per (runId, step): a worker killed mid-step means it runs
   * again, and it must then reuse what the first attempt already created (find it by tags
   * `keel.pipeline.run` / `keel.pipeline.step`) rather than create a second one.
   */
  run(b: BuiltinContext & { with: W }): Promise<BuiltinResult>;
}
