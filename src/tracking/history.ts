import type { Context } from '../context.js';
import { invalidParam } from '../core/errors.js';
import { metricValue, requireRunRow } from './run-read.js';
import { decodePageToken, encodePageToken } from './search/sql.js';
import type { Metric, Page } from './types.js';

/**
 * Every logged value of one metric, ordered by step, timestamp and insertion. Without
 * `maxResults` everything comes back in one page, as in MLflow.
 */
export async function getMetricHistory(
  ctx: Context,
  runId: string,
  key: string,
  opts: { maxResults?: number | undefined; pageToken?: string | undefined } = {},
): Promise<Page<Metric>> {
  const db = ctx.store.db;
  await requireRunRow(db, runId);
  if (opts.maxResults !== undefined && (!Number.isInteger(opts.maxResults) || opts.maxResults < 1)) {
    throw invalidParam(
      `Invalid value ${opts.maxResults} for parameter 'max_results' supplied`,
      'max_results',
    );
  }
  const offset = decodePageToken(opts.pageToken);
  let q = db
    .selectFrom('metrics')
    .select(['key', 'value', 'is_nan', 'timestamp', 'step'])
    .where('run_id', '=', runId)
    .where('key', '=', key)
    .orderBy('step')
    .orderBy('timestamp')
    .orderBy('id');
  // SQLite accepts OFFSET only after a LIMIT.
  if (opts.maxResults !== undefined) q = q.limit(opts.maxResults + 1).offset(offset);
  else if (offset > 0) q = q.limit(Number.MAX_SAFE_INTEGER).offset(offset);
  const rows = await q.execute();
  const more = opts.maxResults !== undefined && rows.length > opts.maxResults;
  const page = more ? rows.slice(0, opts.maxResults) : rows;
  return {
    items: page.map((r) => ({
      key: r.key,
      value: metricValue(r.value, r.is_nan),
      timestamp: r.timestamp,
      step: r.step,
    })),
    ...(more ? { nextPageToken: encodePageToken(offset + page.length) } : {}),
  };
}
