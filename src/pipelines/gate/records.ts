/**
 * Gate results as stored: an evaluation record of the candidate whose result is its evaluation on
 * the held-out rows (so model cards show it like any other) with the whole gate result under `gate`.
 */
import type { Context } from '../../context.js';
import type { EvalResult } from '../../models/eval/index.js';
import { listEvaluations } from '../../registry/evaluations.js';
import type { Evaluation } from '../../registry/types.js';
import type { GateOrigin, GateResult } from './types.js';

/**
 * What a gate stores as the evaluation's result. A pipeline step's record also carries the tags
 * every step's stored results carry (`keel.pipeline.run`, `keel.pipeline.step`).
 */
export type GateRecord = EvalResult & {
  gate: Omit<GateResult, 'evaluationId'>;
  tags?: Record<string, string>;
};

/** Whether an evaluation's result was written by a gate. */
export const isGateRecord = (result: unknown): result is GateRecord =>
  typeof result === 'object' &&
  result !== null &&
  typeof (result as { gate?: unknown }).gate === 'object' &&
  (result as { gate: unknown }).gate !== null;

/** The gate result an evaluation holds, or null when it is not a gate's. */
export function gateResultOf(e: Evaluation): GateResult | null {
  return isGateRecord(e.result) ? { ...e.result.gate, evaluationId: e.evalId } : null;
}

/** Every gate run on a version, oldest first. */
export async function listGateResults(ctx: Context, name: string, version: number): Promise<GateResult[]> {
  return (await listEvaluations(ctx, name, version))
    .map(gateResultOf)
    .filter((g): g is GateResult => g !== null);
}

/** The latest result a pipeline step's gate recorded on a version, if it ran before. */
export async function findGateResult(
  ctx: Context,
  name: string,
  version: number,
  origin: GateOrigin,
): Promise<GateResult | null> {
  const same = (o: GateOrigin | null) =>
    o !== null && o.pipeline === origin.pipeline && o.runId === origin.runId && o.step === origin.step;
  return (await listGateResults(ctx, name, version)).filter((g) => same(g.origin)).at(-1) ?? null;
}
