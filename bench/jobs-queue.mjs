// Job queue (issue 7): enqueue-to-completion throughput of no-op jobs, target ≥ 1,000 jobs/s with 4
// workers on SQLite. Setup, untimed: a migrated store (temp SQLite file, or a fresh PostgreSQL
// schema) and 4 workers that are up and idle, each running up to 100 handlers and claiming up to
// 100 jobs per transaction. Timed: `enqueueMany` of N jobs (one call: chunks of 500 rows, one
// transaction), then the workers are told to go, until every job is `succeeded` (the parent probes
// for an unfinished job every 10 ms). Headline: 4 worker *processes* on one SQLite file, as `keel worker` × 4
// would run; also 4 workers in one process (one connection), and 4 processes on PostgreSQL.
// KEEL_BENCH_JOBS sets N (default 20,000).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropSchema, PG_URL, report, tempDir } from './lib.mjs';

const N = Number(process.env.KEEL_BENCH_JOBS ?? 20_000);
const WORKERS = 4;
const WORKER_OPTS = { concurrency: 100, batch: 100, pollMs: 50 };
const KIND = 'bench.noop';
const SELF = fileURLToPath(import.meta.url);

const noop = { [KIND]: { run: async () => undefined } };

async function load() {
  const [{ openContext, closeContext }, jobs] = await Promise.all([
    import('../dist/context.js'),
    import('../dist/jobs/index.js'),
  ]);
  return { openContext, closeContext, ...jobs };
}

function storage(dialect, dir) {
  const artifacts = { kind: 'fs', root: path.join(dir, 'artifacts') };
  if (dialect === 'sqlite')
    return { dataDir: dir, database: { kind: 'sqlite', file: path.join(dir, 'keel.db') }, artifacts };
  const schema = `keel_bench_jobs_${process.pid}`;
  return { dataDir: dir, database: { kind: 'postgres', url: PG_URL, schema }, artifacts };
}

// An index probe, not a count: the parent's polling should cost the workers next to nothing.
const unfinished = async (db) =>
  (await db.selectFrom('jobs').select('id').where('status', 'in', ['queued', 'running']).limit(1).execute())
    .length > 0;

async function untilAllDone(db) {
  while (await unfinished(db)) await new Promise((r) => setTimeout(r, 10));
}

/** Enqueues N no-op jobs, starts the workers (`go()`), and times until all have succeeded. */
async function timed(ctx, enqueueMany, go) {
  const jobs = Array.from({ length: N }, (_, i) => ({ kind: KIND, payload: { i } }));
  const t0 = performance.now();
  await enqueueMany(ctx.store.db, jobs);
  const t1 = performance.now();
  await go();
  await untilAllDone(ctx.store.db);
  const t2 = performance.now();
  return { enqueueMs: t1 - t0, drainMs: t2 - t1, totalMs: t2 - t0 };
}

function describe(label, t) {
  console.log(
    `  ${label}: enqueue ${N} in ${t.enqueueMs.toFixed(0)} ms (${((N / t.enqueueMs) * 1000).toFixed(0)} jobs/s), ` +
      `run in ${t.drainMs.toFixed(0)} ms (${((N / t.drainMs) * 1000).toFixed(0)} jobs/s)`,
  );
}

async function processes(dialect) {
  const { openContext, closeContext, enqueueMany } = await load();
  const dir = tempDir('jobs');
  const config = storage(dialect, dir);
  const ctx = await openContext(config);
  const children = [];
  try {
    for (let i = 0; i < WORKERS; i++) {
      const child = fork(SELF, ['--jobs-worker', JSON.stringify(config)], { stdio: 'inherit' });
      children.push(child);
      await new Promise((resolve, reject) => {
        child.once('message', resolve);
        child.once('exit', (code) => reject(new Error(`bench worker exited ${code}`)));
      });
    }
    const t = await timed(ctx, enqueueMany, async () => {
      for (const c of children) c.send('go');
    });
    const stats = await Promise.all(
      children.map(
        (c) =>
          new Promise((resolve) => {
            c.once('message', resolve);
            c.send('stop');
          }),
      ),
    );
    describe(`${WORKERS} worker processes on ${dialect}`, t);
    console.log(`  jobs per worker: ${stats.map((s) => s.succeeded).join(', ')}`);
    return t;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await closeContext(ctx);
    if (dialect === 'postgres') await dropSchema(config.database.schema);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function inProcess() {
  const { openContext, closeContext, enqueueMany, Worker } = await load();
  const dir = tempDir('jobs');
  const ctx = await openContext(storage('sqlite', dir));
  const workers = Array.from({ length: WORKERS }, () => new Worker(ctx, { ...WORKER_OPTS, handlers: noop }));
  try {
    const t = await timed(ctx, enqueueMany, async () => {
      for (const w of workers) w.start();
    });
    describe(`${WORKERS} workers in one process on sqlite`, t);
    return t;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await closeContext(ctx);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A bench worker process: idle until told to go, like a `keel worker` waiting on an empty queue. */
async function child(configJson) {
  const { openContext, closeContext, Worker } = await load();
  const ctx = await openContext(JSON.parse(configJson));
  const worker = new Worker(ctx, { ...WORKER_OPTS, handlers: noop });
  process.on('message', async (m) => {
    if (m === 'go') worker.start();
    if (m === 'stop') {
      await worker.stop();
      await closeContext(ctx);
      process.send(worker.stats(), () => process.exit(0));
    }
  });
  process.send('ready');
}

const rate = (t) => (N / t.totalMs) * 1000;

export async function benchJobs() {
  const dialects = (process.env.KEEL_BENCH_DIALECTS ?? 'sqlite,postgres').split(',');
  console.log(`job queue: ${N} no-op jobs, enqueue then run to completion`);
  const results = [];
  const sqlite = await processes('sqlite');
  results.push(
    report(
      `jobs: ${WORKERS} worker processes, sqlite, enqueue-to-completion`,
      rate(sqlite),
      'jobs/s',
      1000,
      true,
    ),
  );
  const local = await inProcess();
  results.push(report(`jobs: ${WORKERS} workers in one process, sqlite`, rate(local), 'jobs/s', 1000, true));
  if (dialects.includes('postgres')) {
    const pg = await processes('postgres');
    results.push(report(`jobs: ${WORKERS} worker processes, postgres`, rate(pg), 'jobs/s', 1000, true));
  }
  return results;
}

if (process.argv[2] === '--jobs-worker') await child(process.argv[3]);
else if (process.argv[1] === SELF) await benchJobs();
