/**
 * `uses: evaluate`: scores a dataset version with a registered version and stores the evaluation
 * with it, like `keel eval`; the headline metrics become outputs a gate can compare.
 */
import { z } from 'zod';
import type { EvalResult } from '../../../models/eval/index.js';
import type { Evaluation, Keel } from '../../../sdk/index.js';
import type { Builtin, BuiltinContext, BuiltinResult, StepOutputs } from '../types.js';
import { evaluateAndStore, type StoredResult } from './evaluate-and-store.js';
import { madeBy, provenanceTags } from './provenance.js';
import { asWithError, boolean, parseWith, text } from './with.js';

const Schema = z.strictObject({
  model: text,
  data: text,
  target: text.optional(),
  slice_by: text.optional(),
  sensitive: text.optional(),
  positive: z
    .union([z.string().min(1), z.number(), z.boolean()], { error: 'must be one of the classes' })
    .transform(String)
    .optional(),
  store: boolean.optional(),
});

export type EvaluateWith = {
  /** A model ref: `credit@3`, `credit@champion`, `credit`. */
  model: string;
  data: string;
  target?: string | undefined;
  slice_by?: string | undefined;
  sensitive?: string | undefined;
  positive?: string | undefined;
  /** Store the evaluation with the version (default true). */
  store?: boolean | undefined;
};

const NAMES = { target: 'with.target', positive: 'with.positive' };
/** Fields the scoring code names in its errors → the `with:` argument they come from. */
const FIELDS: Record<string, string> = {
  target: 'target',
  'slice-by': 'slice_by',
  sensitive: 'sensitive',
  positive: 'positive',
};

function result(model: string, data: string, r: EvalResult, evalId: string | null): BuiltinResult {
  const outputs: StepOutputs = { model, data, eval_id: evalId, rows: r.rows };
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.metrics)) {
    outputs[k] = v;
    if (v !== null && Number.isFinite(v)) metrics[k] = v;
  }
  if (r.fairness) {
    outputs['demographic_parity_difference'] = r.fairness.demographicParityDifference;
    outputs['equal_opportunity_difference'] = r.fairness.equalOpportunityDifference;
  }
  return { outputs, metrics };
}

/** The evaluation this step stored in an earlier attempt, if any. */
async function storedBefore(
  keel: Keel,
  b: BuiltinContext & { with: EvaluateWith },
): Promise<{ model: string; evaluation: Evaluation } | undefined> {
  const v = await keel.models.resolve(b.with.model);
  const found = (await keel.models.listEvaluations(v.name, v.version)).find((e) =>
    madeBy((e.result as StoredResult | null)?.tags, b),
  );
  return found ? { model: `${v.name}@${v.version}`, evaluation: found } : undefined;
}

export const evaluateStep: Builtin<EvaluateWith> = {
  name: 'evaluate',
  description: 'Evaluate a model version on a dataset version and store the evaluation with the version',

  parse(withArgs, opts) {
    return parseWith('evaluate', Schema, withArgs, opts).value as EvaluateWith;
  },

  async fingerprint(b) {
    // Refs like `credit@champion` and `loans` move: key on what they name now.
    const [v, d] = await Promise.all([b.keel.models.resolve(b.with.model), b.keel.datasets.get(b.with.data)]);
    return `model:${v.name}@${v.version}:${v.onnx?.sha256 ?? ''};data:${d.contentHash}`;
  },

  async run(b) {
    const { keel, with: w } = b;
    const store = w.store ?? true;
    if (store) {
      const before = await storedBefore(keel, b);
      if (before) {
        const e = before.evaluation;
        b.log(`an earlier attempt already stored evaluation ${e.evalId} of ${before.model}: reusing it`);
        if (e.datasetRef) await keel.datasets.logInput(b.trackedRunId, e.datasetRef, 'evaluation');
        return result(before.model, e.datasetRef ?? w.data, e.result as EvalResult, e.evalId);
      }
    }
    const { data, evaluations } = await evaluateAndStore(keel, [w.model], w.data, {
      read: w.target ? { target: w.target } : {},
      sliceBy: w.slice_by,
      sensitive: w.sensitive,
      positive: w.positive,
      store: store ? { tags: provenanceTags(b) } : false,
      names: NAMES,
    }).catch((e: unknown) => {
      const field = (e as { details?: { field?: string } }).details?.field;
      throw field && Object.hasOwn(FIELDS, field) ? asWithError('evaluate', FIELDS[field]!, e) : e;
    });
    const e = evaluations[0]!;
    const model = `${e.scored.version.name}@${e.scored.version.version}`;
    b.signal.throwIfAborted();
    await keel.datasets.logInput(b.trackedRunId, data.ref, 'evaluation');
    const headline = Object.entries(e.result.metrics)
      .filter(([, v]) => v !== null)
      .slice(0, 6)
      .map(([k, v]) => `${k} ${Number(v).toFixed(4)}`)
      .join(', ');
    b.log(`${model} on ${data.ref} (${e.result.rows} rows): ${headline}`);
    if (e.stored) b.log(`stored as evaluation ${e.stored.evalId} of ${model}`);
    return result(model, data.ref, e.result, e.stored?.evalId ?? null);
  },
};
