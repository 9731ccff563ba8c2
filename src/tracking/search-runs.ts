import { type SelectQueryBuilder, sql } from 'kysely';
import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';
import type { Schema } from '../store/schema.js';
import { LIMITS } from './limits.js';
import { loadRuns } from './run-read.js';
import { type Clause, parseRunFilter, parseRunOrderBy } from './search/filter.js';
import { compare, decodePageToken, encodePageToken } from './search/sql.js';
import type { Page, Run, ViewType } from './types.js';

export interface RunSearch {
  experimentIds: string[];
  filter?: string | undefined;
  runViewType?: ViewType | undefined;
  maxResults?: number | undefined;
  orderBy?: string[] | undefined;
  pageToken?: string | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: the query gains aliased joins as clauses are added
type RunQuery = SelectQueryBuilder<Schema & Record<string, any>, 'r', object>;

const RUN_COLUMNS: Record<string, string> = {
  run_id: 'run_id',
  run_name: 'run_name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  lifecycle_stage: 'lifecycle_stage',
  start_time: 'start_time',
  end_time: 'end_time',
  experiment_id: 'experiment_id',
};

/** Adds one parsed filter clause; each metric/param/tag clause joins on its (run, key) row. */
function applyClause(q: RunQuery, c: Clause, i: number): RunQuery {
  const a = `f${i}`;
  switch (c.kind) {
    case 'attribute': {
      const col = RUN_COLUMNS[c.key];
      if (!col) throw invalidParam(`Invalid attribute key '${c.key}' specified.`, 'filter');
      return q.where((eb) => compare(eb, `r.${col}`, c.comparator, c.value));
    }
    case 'metric':
      return q.innerJoin(`latest_metrics as ${a}`, (j) =>
        j
          .onRef(`${a}.run_id`, '=', 'r.run_id')
          .on(`${a}.key`, '=', c.key)
          // NaN is stored as 0 with a flag; it satisfies only `!=`.
          .on((eb) =>
            c.comparator === '!='
              ? eb.or([eb(`${a}.is_nan`, '=', 1), compare(eb, `${a}.value`, c.comparator, c.value)])
              : eb.and([eb(`${a}.is_nan`, '=', 0), compare(eb, `${a}.value`, c.comparator, c.value)]),
          ),
      );
    case 'param':
    case 'tag': {
      const table = c.kind === 'param' ? 'params' : 'run_tags';
      return q.innerJoin(`${table} as ${a}`, (j) =>
        j
          .onRef(`${a}.run_id`, '=', 'r.run_id')
          .on(`${a}.key`, '=', c.key)
          .on((eb) => compare(eb, `${a}.value`, c.comparator, c.value)),
      );
    }
    case 'dataset': {
      const col = c.key === 'context' ? 'i.context' : `d.${c.key}`;
      return q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('run_inputs as i')
            .innerJoin('datasets as d', 'd.dataset_id', 'i.dataset_id')
            .select(eb.lit(1).as('one'))
            .whereRef('i.run_id', '=', 'r.run_id')
            .where((eb2) => compare(eb2, col, c.comparator, c.value)),
        ),
      );
    }
  }
}

/** Adds one order_by term. Runs lacking the value sort last either way, as in MLflow. */
function applyOrder(q: RunQuery, clause: string, i: number): RunQuery {
  const o = parseRunOrderBy(clause);
  const dir = o.ascending ? 'asc' : 'desc';
  const a = `o${i}`;
  switch (o.kind) {
    case 'attribute': {
      const col = RUN_COLUMNS[o.key];
      if (!col) throw invalidParam(`Invalid order_by clause '${clause}'.`, 'order_by');
      return q
        .orderBy(sql`case when ${sql.ref(`r.${col}`)} is null then 1 else 0 end`)
        .orderBy(`r.${col}`, dir);
    }
    case 'metric':
      return q
        .leftJoin(`latest_metrics as ${a}`, (j) =>
          j.onRef(`${a}.run_id`, '=', 'r.run_id').on(`${a}.key`, '=', o.key),
        )
        .orderBy(
          sql`case when ${sql.ref(`${a}.value`)} is null then 2 when ${sql.ref(`${a}.is_nan`)} = 1 then 1 else 0 end`,
        )
        .orderBy(`${a}.value`, dir);
    case 'param':
    case 'tag': {
      const table = o.kind === 'param' ? 'params' : 'run_tags';
      return q
        .leftJoin(`${table} as ${a}`, (j) =>
          j.onRef(`${a}.run_id`, '=', 'r.run_id').on(`${a}.key`, '=', o.key),
        )
        .orderBy(sql`case when ${sql.ref(`${a}.value`)} is null then 1 else 0 end`)
        .orderBy(`${a}.value`, dir);
    }
    case 'dataset':
      throw invalidParam(`Invalid order_by clause '${clause}': datasets cannot be ordered by.`, 'order_by');
  }
}

/**
 * MLflow's runs/search. The filter narrows runs with joins on the (run, key) rows of the
 * latest-metric, param and tag tables, so one query returns the page's run ids; full runs are
 * then loaded for that page only.
 */
export async function searchRuns(ctx: Context, s: RunSearch): Promise<Page<Run>> {
  const max = s.maxResults ?? LIMITS.defaultSearchResults;
  if (!Number.isInteger(max) || max < 1 || max > LIMITS.maxSearchResults) {
    throw invalidParam(
      `Invalid value ${max} for parameter 'max_results' supplied. It must be at most ${LIMITS.maxSearchResults}`,
      'max_results',
    );
  }
  const offset = decodePageToken(s.pageToken);
  const clauses = parseRunFilter(s.filter);
  if (s.experimentIds.length === 0) return { items: [] };
  let q = (ctx.store.db.selectFrom('runs as r') as unknown as RunQuery).where(
    'r.experiment_id',
    'in',
    s.experimentIds,
  );
  const view = s.runViewType ?? 'ACTIVE_ONLY';
  if (view !== 'ALL') q = q.where('r.lifecycle_stage', '=', view === 'ACTIVE_ONLY' ? 'active' : 'deleted');
  clauses.forEach((c, i) => {
    q = applyClause(q, c, i);
  });
  (s.orderBy ?? []).forEach((o, i) => {
    q = applyOrder(q, o, i);
  });
  q = q.orderBy('r.start_time', 'desc').orderBy('r.run_id');
  const rows = await q
    .selectAll('r')
    .limit(max + 1)
    .offset(offset)
    .execute();
  const page = rows.slice(0, max) as Schema['runs'][];
  return {
    items: await loadRuns(ctx.store.db, page),
    ...(rows.length > max ? { nextPageToken: encodePageToken(offset + max) } : {}),
  };
}
