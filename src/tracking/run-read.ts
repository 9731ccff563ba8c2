import { notFound } from '../core/errors.js';
import type { Db } from '../store/db.js';
import type { RunsTable } from '../store/schema.js';
import type { DatasetInput, Metric, Param, Run, RunInfo, Tag } from './types.js';

export const toRunInfo = (r: RunsTable): RunInfo => ({
  runId: r.run_id,
  runName: r.run_name,
  experimentId: r.experiment_id,
  userId: r.user_id,
  status: r.status as RunInfo['status'],
  startTime: r.start_time,
  endTime: r.end_time,
  artifactUri: r.artifact_uri,
  lifecycleStage: r.lifecycle_stage as RunInfo['lifecycleStage'],
});

/** A stored metric value back to a number: NaN is a flag because SQLite stores NaN as NULL. */
export const metricValue = (value: number, isNan: number): number => (isNan ? Number.NaN : value);

/** Loads a run row or fails with RESOURCE_DOES_NOT_EXIST. */
export async function requireRunRow(db: Db, runId: string): Promise<RunsTable> {
  const row = await db.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
  if (!row) throw notFound(`Run with id=${runId} not found`);
  return row;
}

/**
 * Loads full runs (latest metrics, params, tags, dataset inputs) for a list of run rows with one
 * query per child table, preserving the rows' order.
 */
export async function loadRuns(db: Db, rows: RunsTable[]): Promise<Run[]> {
  if (rows.length <= LOAD_CHUNK) return loadChunk(db, rows);
  const out: Run[] = [];
  // Keeps each IN (...) list well under SQLite's bind-parameter limit.
  for (let i = 0; i < rows.length; i += LOAD_CHUNK)
    out.push(...(await loadChunk(db, rows.slice(i, i + LOAD_CHUNK))));
  return out;
}

const LOAD_CHUNK = 5000;

async function loadChunk(db: Db, rows: RunsTable[]): Promise<Run[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.run_id);
  const [metrics, params, tags, inputs] = await Promise.all([
    db.selectFrom('latest_metrics').selectAll().where('run_id', 'in', ids).execute(),
    db.selectFrom('params').selectAll().where('run_id', 'in', ids).execute(),
    db.selectFrom('run_tags').selectAll().where('run_id', 'in', ids).execute(),
    db
      .selectFrom('run_inputs as i')
      .innerJoin('datasets as d', 'd.dataset_id', 'i.dataset_id')
      .select([
        'i.run_id',
        'i.tags',
        'd.name',
        'd.digest',
        'd.source_type',
        'd.source',
        'd.schema',
        'd.profile',
      ])
      .where('i.run_id', 'in', ids)
      .execute(),
  ]);
  const byRun = new Map<string, Run>();
  const out = rows.map((r) => {
    const run: Run = {
      info: toRunInfo(r),
      data: { metrics: [] as Metric[], params: [] as Param[], tags: [] as Tag[] },
      inputs: { datasetInputs: [] as DatasetInput[] },
    };
    byRun.set(r.run_id, run);
    return run;
  });
  for (const m of metrics) {
    byRun.get(m.run_id)?.data.metrics.push({
      key: m.key,
      value: metricValue(m.value, m.is_nan),
      timestamp: m.timestamp,
      step: m.step,
    });
  }
  for (const p of params) byRun.get(p.run_id)?.data.params.push({ key: p.key, value: p.value });
  for (const t of tags) byRun.get(t.run_id)?.data.tags.push({ key: t.key, value: t.value });
  for (const i of inputs) {
    byRun.get(i.run_id)?.inputs.datasetInputs.push({
      tags: JSON.parse(i.tags) as Tag[],
      dataset: {
        name: i.name,
        digest: i.digest,
        sourceType: i.source_type,
        source: i.source,
        ...(i.schema !== null ? { schema: i.schema } : {}),
        ...(i.profile !== null ? { profile: i.profile } : {}),
      },
    });
  }
  for (const run of out) {
    run.data.metrics.sort((a, b) => a.key.localeCompare(b.key));
    run.data.params.sort((a, b) => a.key.localeCompare(b.key));
    run.data.tags.sort((a, b) => a.key.localeCompare(b.key));
  }
  return out;
}

/** One full run by id. */
export async function getRun(db: Db, runId: string): Promise<Run> {
  const [run] = await loadRuns(db, [await requireRunRow(db, runId)]);
  return run!;
}
