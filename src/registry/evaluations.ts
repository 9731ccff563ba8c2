import { type Actor, audited } from '../audit/tx.js';
import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { resolveVersion as resolveDatasetVersion } from '../data/versions.js';
import type { ModelEvaluationsTable } from '../store/schema.js';
import { requireVersionRow, validateModelName } from './rows.js';
import type { Evaluation } from './types.js';

/** Evaluation results are summaries (metrics, slices, a confusion matrix), not raw predictions. */
export const MAX_RESULT_BYTES = 1_000_000;

const toEvaluation = (r: ModelEvaluationsTable): Evaluation => ({
  evalId: r.eval_id,
  name: r.name,
  version: r.version,
  datasetRef: r.dataset_ref,
  datasetVersionId: r.dataset_version_id,
  createdAt: r.created_at,
  createdBy: r.created_by,
  result: JSON.parse(r.result) as unknown,
});

/**
 * Records an evaluation of a version. A `datasetRef` that is a Keel dataset ref (`name@3`) is
 * resolved, so the evaluation points at the exact dataset version it ran on.
 */
export async function addEvaluation(
  ctx: Context,
  name: string,
  version: number,
  input: { datasetRef?: string | null | undefined; datasetVersionId?: string | undefined; result: unknown },
  actor: Actor,
): Promise<Evaluation> {
  validateModelName(name);
  await requireVersionRow(ctx.store.db, name, version);
  if (input.result === undefined)
    throw invalidParam("Missing value for required parameter 'result'", 'result');
  const result = JSON.stringify(input.result);
  if (result.length > MAX_RESULT_BYTES) {
    throw invalidParam(
      `result is ${result.length} bytes of JSON, more than the limit of ${MAX_RESULT_BYTES}`,
      'result',
    );
  }
  let datasetRef = input.datasetRef ?? null;
  let datasetVersionId = input.datasetVersionId ?? null;
  if (datasetRef !== null && datasetVersionId === null) {
    const v = await resolveDatasetVersion(ctx.store.db, datasetRef);
    datasetRef = v.ref;
    datasetVersionId = v.id;
  }
  const row: ModelEvaluationsTable = {
    eval_id: newId(),
    name,
    version,
    dataset_ref: datasetRef,
    dataset_version_id: datasetVersionId,
    created_at: ctx.clock.now(),
    created_by: actor,
    result,
  };
  await audited(
    ctx,
    async (trx) => {
      await requireVersionRow(trx, name, version);
      await trx.insertInto('model_evaluations').values(row).execute();
      return {
        result: undefined,
        audit: {
          action: 'model_evaluation.add',
          objectType: 'model_version',
          objectId: `${name}@${version}`,
          after: { evalId: row.eval_id, datasetRef },
        },
      };
    },
    actor,
  );
  return toEvaluation(row);
}

/** A version's evaluations, oldest first. */
export async function listEvaluations(ctx: Context, name: string, version: number): Promise<Evaluation[]> {
  validateModelName(name);
  await requireVersionRow(ctx.store.db, name, version);
  const rows = await ctx.store.db
    .selectFrom('model_evaluations')
    .selectAll()
    .where('name', '=', name)
    .where('version', '=', version)
    .orderBy('created_at')
    .orderBy('eval_id')
    .execute();
  return rows.map(toEvaluation);
}
