// Serving over HTTP (the serving issue's targets): a real `keel server` child process serves a GBDT
// of 100 trees / depth 6 over 9 features; autocannon drives it on loopback from this process
// (both share the machine's cores, so figures are conservative).
//  - single-row requests at 32 connections over OIP v2, /predict and /invocations: req/s and p99
//  - the HTTP path's cost per single-row request (1 / throughput) against an in-process session.run
//  - 1,000-row OIP requests: rows/s
//  - a 10% canary plus a shadow: throughput relative to the primary alone
//  - 100 hot swaps (set-primary across three versions) under load: failed requests, server RSS growth
// Run: npm run build && node bench/serving-http.mjs (KEEL_BENCH_SERVING_SECONDS, default 8 s per run).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Tensor } from 'onnxruntime-node';
import { seededRandom } from '../dist/core/random.js';
import { loadModel } from '../dist/models/onnx/runtime.js';
import { train } from '../dist/models/train/index.js';
import { Keel } from '../dist/sdk/index.js';
import { median, post, report, startServer, tempDir } from './lib.mjs';

const FEATURES = 9;
const SECONDS = Number(process.env.KEEL_BENCH_SERVING_SECONDS ?? 8);
const NAMES = Array.from({ length: FEATURES }, (_, f) => `f${f}`);

function table(rows, seed) {
  const rnd = seededRandom(seed);
  const columns = { y: new Array(rows) };
  for (const n of NAMES) columns[n] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let f = 0; f < FEATURES; f++) {
      const v = rnd() * 2 - 1;
      columns[NAMES[f]][i] = v;
      z += (f % 2 ? 1 : -0.6) * v + Math.sin(3 * v) * 0.3;
    }
    columns.y[i] = z + (rnd() - 0.5) > 0;
  }
  const schema = [
    ...NAMES.map((name) => ({ name, type: 'float', nullable: false })),
    { name: 'y', type: 'boolean', nullable: false },
  ];
  return { rows, schema: { columns: schema }, columns };
}

function model(seed) {
  const p = train(table(20_000, seed), {
    kind: 'gbdt',
    target: 'y',
    features: NAMES,
    params: 'trees=100,depth=6,early_stopping=false',
    seed,
  });
  return p.toOnnx();
}

const row = (rnd) => NAMES.map(() => Math.round((rnd() * 2 - 1) * 1e4) / 1e4);

function oipBody(rows) {
  return JSON.stringify({
    inputs: NAMES.map((name, f) => ({
      name,
      shape: [rows.length, 1],
      datatype: 'FP32',
      data: rows.map((r) => r[f]),
    })),
  });
}
const predictBody = (r) => JSON.stringify({ records: [Object.fromEntries(NAMES.map((n, f) => [n, r[f]]))] });
const invocationsBody = (r) => JSON.stringify({ dataframe_split: { columns: NAMES, data: [r] } });

/** Median session.run time (µs) for one row, in-process on one intra-op thread. */
async function directRun(bytes) {
  const session = await loadModel(bytes, { threads: 1 });
  const rnd = seededRandom(3);
  const feeds = () =>
    Object.fromEntries(
      NAMES.map((n) => [n, new Tensor('float32', new Float32Array([rnd() * 2 - 1]), [1, 1])]),
    );
  for (let i = 0; i < 2000; i++) await session.run(feeds());
  const times = [];
  for (let i = 0; i < 20_000; i++) {
    const f = feeds();
    const t = performance.now();
    await session.run(f);
    times.push((performance.now() - t) * 1000);
  }
  return median(times);
}

/**
 * The load generator: wrk (C, one thread) when installed — it leaves most of a core to the server —
 * else autocannon (Node, heavier on the shared cores). Either keeps `connections` requests in flight
 * over a rotating set of bodies; returns req/s, p50/p99 (ms) and failed requests.
 */
const HAS_WRK = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return e.status === 1; // wrk --version exits 1 after printing its version
  }
})();
export const loadGenerator = HAS_WRK ? 'wrk (1 thread)' : 'autocannon';

function load(url, bodies, opts = {}) {
  return HAS_WRK ? wrkLoad(url, bodies, opts) : autocannonLoad(url, bodies, opts);
}

function wrkLoad(url, bodies, { connections = 32, seconds = SECONDS } = {}) {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'keel-wrk-'));
  const script = path.join(dir, 'bodies.lua');
  const lua = bodies.map((b) => `[==[${b}]==]`).join(',\n');
  fs.writeFileSync(
    script,
    `local bodies = {${lua}}\nlocal i = 0\nwrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n` +
      `request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', () => {
      fs.rmSync(dir, { recursive: true, force: true });
      const ms = (label) => {
        const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
        if (!m) return Number.NaN;
        return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
      };
      const num = (re) => Number(re.exec(out)?.[1] ?? 0);
      const total = num(/(\d+) requests in/);
      const failed =
        num(/Non-2xx or 3xx responses: (\d+)/) +
        num(/Socket errors: connect (\d+)/) +
        num(/read \d+, write \d+, timeout (\d+)/);
      resolve({ rps: num(/Requests\/sec:\s+([\d.]+)/), p50: ms('50%'), p99: ms('99%'), failed, total });
    });
  });
}

function autocannonLoad(url, bodies, { connections = 32, seconds = SECONDS } = {}) {
  let i = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
      },
      (err, r) => {
        if (err) return reject(err);
        resolve({
          rps: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          failed: r.non2xx + r.errors + r.timeouts,
          total: r.requests.total,
        });
      },
    );
  });
}

const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

export async function benchServing() {
  const results = [];
  const dir = tempDir('serving');
  const bytes = [model(1), model(2), model(3)];
  const server = await startServer(dir);
  try {
    const keel = new Keel({ url: server.url });
    await keel.models.registerVersion({ name: 'gbdt', onnx: bytes[0], createModel: true });
    await keel.models.registerVersion({ name: 'gbdt', onnx: bytes[1] });
    await keel.models.registerVersion({ name: 'gbdt', onnx: bytes[2] });
    await post(`${server.url}/api/v1/deployments`, { name: 'bench', model: 'gbdt@1' });
    await post(`${server.url}/api/v1/deployments`, {
      name: 'nolog',
      model: 'gbdt@1',
      log: { enabled: false },
    });
    console.log(`load generator: ${loadGenerator}, on the same machine as the server`);

    const rnd = seededRandom(11);
    const rows = Array.from({ length: 512 }, () => row(rnd));
    const oip = rows.map((r) => oipBody([r]));
    const inferUrl = `${server.url}/v2/models/bench/infer`;
    await load(inferUrl, oip, { seconds: 2 }); // warm-up: JIT, connections, batch sizes

    const runUs = await directRun(bytes[0]);
    console.log(`direct in-process session.run, 1 row: median ${runUs.toFixed(1)} µs`);

    const n = await load(`${server.url}/v2/models/nolog/infer`, oip);
    console.log(
      `OIP v2 single-row, 32 connections, prediction log off: ${n.rps.toFixed(0)} req/s, p50 ${n.p50} ms, p99 ${n.p99} ms, failed ${n.failed}`,
    );
    const o = await load(inferUrl, oip);
    console.log(
      `OIP v2 single-row, 32 connections, prediction log on: ${o.rps.toFixed(0)} req/s, p50 ${o.p50} ms, p99 ${o.p99} ms, failed ${o.failed}`,
    );
    results.push(report('serving OIP single-row throughput (log off)', n.rps, 'req/s', 10_000, true));
    results.push(report('serving OIP single-row p99 (log off)', n.p99, 'ms', 10, false));
    results.push(report('serving OIP single-row throughput', o.rps, 'req/s', 10_000, true));
    results.push(report('serving OIP single-row p99', o.p99, 'ms', 10, false));
    const costUs = 1e6 / n.rps;
    console.log(
      `HTTP path cost per single-row request (1 / throughput, log off): ${costUs.toFixed(1)} µs = ${(costUs / runUs).toFixed(2)}× session.run`,
    );
    results.push(report('serving HTTP cost / session.run', costUs / runUs, '×', 3, false));

    const p = await load(`${server.url}/api/v1/deployments/bench/predict`, rows.map(predictBody));
    console.log(
      `/predict single-row, 32 connections: ${p.rps.toFixed(0)} req/s, p50 ${p.p50} ms, p99 ${p.p99} ms, failed ${p.failed}`,
    );
    results.push(report('serving /predict single-row throughput', p.rps, 'req/s', 10_000, true));
    const inv = await load(`${server.url}/deployments/bench/invocations`, rows.map(invocationsBody));
    console.log(
      `/invocations single-row, 32 connections: ${inv.rps.toFixed(0)} req/s, p50 ${inv.p50} ms, p99 ${inv.p99} ms, failed ${inv.failed}`,
    );
    results.push(report('serving /invocations single-row throughput', inv.rps, 'req/s', 10_000, true));

    const big = Array.from({ length: 4 }, (_, k) =>
      oipBody(Array.from({ length: 1000 }, (_, i) => rows[(i + k) % rows.length])),
    );
    const b = await load(inferUrl, big, { connections: 8 });
    console.log(
      `OIP 1,000-row requests, 8 connections: ${b.rps.toFixed(1)} req/s = ${(b.rps * 1000).toFixed(0)} rows/s, p99 ${b.p99} ms, failed ${b.failed}`,
    );
    results.push(report('serving 1,000-row requests', b.rps * 1000, 'rows/s', 300_000, true));

    await post(`${server.url}/api/v1/deployments/bench/traffic`, {
      canary: { ref: 2, weight: 10 },
      shadows: [3],
    });
    const c = await load(inferUrl, oip);
    const cost = 1 - c.rps / o.rps;
    console.log(
      `10% canary + shadow: ${c.rps.toFixed(0)} req/s (${(cost * 100).toFixed(1)}% below the primary alone), p99 ${c.p99} ms, failed ${c.failed}`,
    );
    results.push(report('serving canary+shadow throughput cost', Math.max(cost * 100, 0.01), '%', 15, false));
    await post(`${server.url}/api/v1/deployments/bench/traffic`, { canary: null, shadows: [] });

    // 100 hot swaps under load: each set-primary loads and warms a version, switches, drains the old one.
    // One cycle first, so the primary and its warm standby are both loaded when RSS is first read.
    for (const v of [2, 3, 1]) await post(`${server.url}/api/v1/deployments/bench/primary`, { model: v });
    await load(inferUrl, oip, { connections: 16, seconds: 2 });
    const before = rssMb(server.pid);
    const swapsDone = (async () => {
      const times = [];
      for (let i = 0; i < 100; i++) {
        const t = performance.now();
        await post(`${server.url}/api/v1/deployments/bench/primary`, { model: ((i + 1) % 3) + 1 });
        times.push(performance.now() - t);
      }
      return times;
    })();
    let failed = 0;
    let total = 0;
    let finished = false;
    swapsDone.then(() => {
      finished = true;
    });
    while (!finished) {
      const r = await load(inferUrl, oip, { connections: 16, seconds: 2 });
      failed += r.failed;
      total += r.total;
    }
    const swapTimes = await swapsDone;
    await new Promise((r) => setTimeout(r, 1000));
    const after = rssMb(server.pid);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const drops = [
      ...metrics.matchAll(/^keel_prediction_log_dropped_total\{[^}]*reason="([^"]+)"\} (\d+)/gm),
    ];
    console.log(
      `prediction log drops over the run: ${drops.map((m) => `${m[1]} ${m[2]}`).join(', ') || 'none'}`,
    );
    console.log(
      `100 hot swaps under load: ${total} requests, ${failed} failed; swap median ${median(swapTimes).toFixed(0)} ms; server RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB`,
    );
    console.log(`serving hot swaps: ${failed} failed requests (target 0) ${failed === 0 ? 'PASS' : 'FAIL'}`);
    results.push({
      name: 'serving hot swaps: failed requests',
      value: failed,
      unit: 'failed',
      target: 0,
      ok: failed === 0,
    });
    results.push(report('serving hot swaps: RSS growth', Math.max(after - before, 0.01), 'MB', 50, false));
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchServing();
}
