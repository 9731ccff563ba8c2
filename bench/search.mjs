// Search: 50,000 runs in one experiment (10 params, 10 metrics, 5 tags each); runs/search with a
// filter on a metric and a param, order_by a metric, 100 results. Target: median under 100 ms.
import fs from 'node:fs';
import { sql } from 'kysely';
import { closeContext, openContext } from '../dist/context.js';
import { storageConfigFrom } from '../dist/core/config.js';
import { dialectEnv, dropSchema, median, post, report, startServer, tempDir } from './lib.mjs';

const RUNS = Number(process.env.KEEL_BENCH_RUNS ?? 50_000);
const QUERIES = 30;

/** Seeds directly through the store (creating 50k runs over HTTP would benchmark the seeding). */
async function seed(dir, env) {
  const ctx = await openContext(storageConfigFrom({ dataDir: dir }, { ...process.env, ...env }));
  const db = ctx.store.db;
  const expId = '1';
  const now = Date.now();
  await db
    .insertInto('experiments')
    .values({
      experiment_id: expId,
      name: 'search-bench',
      artifact_location: 'mlflow-artifacts:/1',
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
    })
    .execute();
  // A seeded LCG: the same data set on every run and dialect.
  let rnd = 42;
  const rand = () => {
    rnd = (rnd * 1103515245 + 12345) % 2147483648;
    return rnd / 2147483648;
  };
  const CHUNK = 500;
  for (let start = 0; start < RUNS; start += CHUNK) {
    const runs = [],
      params = [],
      metrics = [],
      tags = [];
    for (let i = start; i < Math.min(RUNS, start + CHUNK); i++) {
      const runId = `run${String(i).padStart(28, '0')}`;
      runs.push({
        run_id: runId,
        experiment_id: expId,
        run_name: `r${i}`,
        user_id: 'bench',
        status: 'FINISHED',
        start_time: now - i * 1000,
        end_time: now - i * 1000 + 500,
        lifecycle_stage: 'active',
        artifact_uri: `mlflow-artifacts:/1/${runId}/artifacts`,
        deleted_time: null,
      });
      for (let k = 0; k < 10; k++)
        params.push({ run_id: runId, key: `p${k}`, value: `v${Math.floor(rand() * 10)}` });
      for (let k = 0; k < 10; k++)
        metrics.push({ run_id: runId, key: `m${k}`, value: rand(), is_nan: 0, timestamp: now, step: 0 });
      for (let k = 0; k < 5; k++)
        tags.push({ run_id: runId, key: `t${k}`, value: `tag${Math.floor(rand() * 100)}` });
    }
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('runs').values(runs).execute();
      for (let i = 0; i < params.length; i += 2000)
        await trx
          .insertInto('params')
          .values(params.slice(i, i + 2000))
          .execute();
      for (let i = 0; i < metrics.length; i += 2000) {
        await trx
          .insertInto('metrics')
          .values(metrics.slice(i, i + 2000))
          .execute();
        await trx
          .insertInto('latest_metrics')
          .values(metrics.slice(i, i + 2000))
          .execute();
      }
      for (let i = 0; i < tags.length; i += 2000)
        await trx
          .insertInto('run_tags')
          .values(tags.slice(i, i + 2000))
          .execute();
    });
  }
  // Fresh planner statistics, as a long-lived database would have.
  await sql`analyze`.execute(db);
  await closeContext(ctx);
  return expId;
}

export async function benchSearch(dialect) {
  const dir = tempDir('search');
  const env = dialectEnv(dialect, 'search');
  const t0 = performance.now();
  const expId = await seed(dir, env);
  console.log(`  seeded ${RUNS} runs on ${dialect} in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  const server = await startServer(dir, env);
  try {
    const body = {
      experiment_ids: [expId],
      filter: "metrics.m0 > 0.5 and params.p0 = 'v3'",
      order_by: ['metrics.m1 DESC'],
      max_results: 100,
    };
    const url = `${server.url}/api/2.0/mlflow/runs/search`;
    const first = await post(url, body);
    if (first.runs?.length !== 100) throw new Error(`expected 100 runs, got ${first.runs?.length}`);
    const times = [];
    for (let i = 0; i < QUERIES; i++) {
      const t = performance.now();
      await post(url, body);
      times.push(performance.now() - t);
    }
    return report(
      `search ${dialect} (${RUNS} runs, metric+param filter, order by metric, 100 results)`,
      median(times),
      'ms (median)',
      100,
      false,
    );
  } finally {
    await server.stop();
    await dropSchema(env.schema);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
