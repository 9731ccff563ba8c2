// Ingestion: REST runs/log-batch with 1000 metrics per call from 4 concurrent clients on loopback.
// Target (issue 2): ≥ 100,000 metric points per second on SQLite; PostgreSQL reported too.
import fs from 'node:fs';
import { dialectEnv, dropSchema, post, report, startServer, tempDir } from './lib.mjs';

const CLIENTS = 4;
const PER_CALL = 1000;
const SECONDS = Number(process.env.KEEL_BENCH_SECONDS ?? 10);

/** Pre-serialised bodies so the measurement is the server's, as with clients on other machines. */
function bodies(runId, n) {
  const out = [];
  for (let b = 0; b < n; b++) {
    const metrics = [];
    for (let i = 0; i < PER_CALL; i++) {
      const step = b * 100 + (i % 100);
      metrics.push({
        key: `m${Math.floor(i / 100)}`,
        value: Math.random(),
        timestamp: 1_700_000_000_000 + step,
        step,
      });
    }
    out.push(JSON.stringify({ run_id: runId, metrics }));
  }
  return out;
}

export async function benchIngest(dialect) {
  const dir = tempDir('ingest');
  const env = dialectEnv(dialect, 'ingest');
  const server = await startServer(dir, env);
  try {
    const api = `${server.url}/api/2.0/mlflow`;
    const { experiment_id } = await post(`${api}/experiments/create`, { name: 'ingest' });
    const runs = [];
    for (let c = 0; c < CLIENTS; c++)
      runs.push((await post(`${api}/runs/create`, { experiment_id })).run.info.run_id);
    const payloads = runs.map((r) => bodies(r, 20));
    // Warm-up: one batch per client.
    await Promise.all(payloads.map((p) => post(`${api}/runs/log-batch`, p[0])));
    let points = 0;
    const start = performance.now();
    const end = start + SECONDS * 1000;
    await Promise.all(
      payloads.map(async (p) => {
        let i = 0;
        while (performance.now() < end) {
          await post(`${api}/runs/log-batch`, p[i++ % p.length]);
          points += PER_CALL;
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    return report(
      `ingest ${dialect} (log-batch 1000 metrics × ${CLIENTS} clients, ${SECONDS}s)`,
      points / elapsed,
      'points/s',
      100_000,
      true,
    );
  } finally {
    await server.stop();
    await dropSchema(env.schema);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
