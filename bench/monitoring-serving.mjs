// Monitoring (d): what monitoring costs serving. A real `keel server` child process serves the GBDT
// of bench/serving-http.mjs (100 trees of depth 6 over 9 features) under three deployments of the
// same version, and autocannon drives OIP v2 single-row requests (32 connections) from this process:
//   - `nolog`: prediction log off;
//   - `logged`: prediction log on (10 s log windows), no monitor;
//   - `monitored`: the same log plus a monitor of 10 s windows (delay 1 s, reference = a past window of
//     its own traffic), so each scheduler tick — `keel server` ticks every 10 s — finds a newly closed
//     window and evaluates it (read + merge + drift/quality/estimation) on the server's main thread,
//     while the load runs. 10 s is the smallest log window, so a shorter tick would find nothing more.
// Each round runs the three loads in a rotating order (the machine's load drifts); after the
// monitored load the next one waits until its last window has been evaluated, so no evaluation
// spills into another deployment's figure (checked). Reported per setting: req/s, p99 and the
// server's CPU time per request (all its threads, including the tail each load leaves: the log
// worker's last writes, the last window's evaluation) as medians of the rounds with ranges; the
// evaluation runs during each monitored load; and the drop with monitoring on (log + monitor) against
// the log off — the figure issue 6 asks for — per round, then the median, in req/s and, steadier when
// other work shares the cores, in CPU per request.
// Loads last 25 s: a window closes at most 11 s into a load (10 s window + 1 s delay) and the next
// tick comes at most 10 s later, so every monitored load sees at least one evaluation.
// Run: npm run build && node bench/monitoring-serving.mjs. KEEL_BENCH_MONITORING_SERVING_SECONDS
// (default 25) sets each load's length, KEEL_BENCH_MONITORING_SERVING_ROUNDS (default 3) the rounds.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { seededRandom } from '../dist/core/random.js';
import { train } from '../dist/models/train/index.js';
import { Keel } from '../dist/sdk/index.js';
import { median, post, report, startServer, tempDir } from './lib.mjs';

const SECONDS = Number(process.env.KEEL_BENCH_MONITORING_SERVING_SECONDS ?? 25);
const ROUNDS = Number(process.env.KEEL_BENCH_MONITORING_SERVING_ROUNDS ?? 3);
// Issue 6's allowance for the drop is not restated here; 10 % until it is.
const TARGET_DROP_PCT = Number(process.env.KEEL_BENCH_MONITORING_SERVING_TARGET ?? 10);
const FEATURES = 9;
const NAMES = Array.from({ length: FEATURES }, (_, f) => `f${f}`);
const LOG_WINDOW_S = 10;
const SCHEDULER_TICK_MS = 10_000; // MonitorScheduler's default, which `keel server` uses
// Yesterday, on a 10-minute boundary: a past window whose traffic becomes the monitor's reference.
const REF_TIME = Math.floor((Date.now() - 86_400_000) / 600_000) * 600_000;
const REF_ROWS = 5000;
const CLK_TCK = 100; // USER_HZ: /proc reports CPU time in these ticks on every Linux build

/** The training table and model of bench/serving-http.mjs. */
function model(seed) {
  const rnd = seededRandom(seed);
  const rows = 20_000;
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
  return train(
    { rows, schema: { columns: schema }, columns },
    {
      kind: 'gbdt',
      target: 'y',
      features: NAMES,
      params: 'trees=100,depth=6,early_stopping=false',
      seed,
    },
  ).toOnnx();
}

const row = (rnd) => NAMES.map(() => Math.round((rnd() * 2 - 1) * 1e4) / 1e4);

const oipBody = (rows, parameters) =>
  JSON.stringify({
    inputs: NAMES.map((name, f) => ({
      name,
      shape: [rows.length, 1],
      datatype: 'FP32',
      data: rows.map((r) => r[f]),
    })),
    ...(parameters ? { parameters } : {}),
  });

/** `connections` requests in flight over a rotating set of bodies: req/s, p99 (ms), failed requests. */
function load(url, bodies, seconds = SECONDS) {
  let i = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections: 32,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
      },
      (err, r) => {
        if (err) return reject(err);
        resolve({
          rps: r.requests.average,
          p99: r.latency.p99,
          failed: r.non2xx + r.errors + r.timeouts,
          total: r.requests.total,
        });
      },
    );
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU time (ms) the server process has used, all threads (HTTP, model workers, log worker); null
 * off Linux. Per request it is far steadier than req/s when other work shares the cores.
 */
function cpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

async function get(url) {
  const r = await fetch(url);
  const text = await r.text();
  if (!r.ok) throw new Error(`${url}: ${r.status} ${text}`);
  return JSON.parse(text);
}

/** Logs REF_ROWS rows at a past event time, waits until the log has written them, returns the range. */
async function referenceTraffic(server, rnd) {
  for (let i = 0; i < REF_ROWS / 100; i++) {
    const rows = Array.from({ length: 100 }, () => row(rnd));
    await post(`${server.url}/v2/models/monitored/infer`, oipBody(rows, { timestamp: REF_TIME + i * 100 }));
  }
  const to = REF_TIME + 60_000;
  for (let i = 0; i < 300; i++) {
    const { windows } = await get(
      `${server.url}/api/v1/deployments/monitored/windows?from=${REF_TIME}&to=${to}`,
    );
    if (windows.reduce((s, w) => s + w.rows, 0) >= REF_ROWS) return { from: REF_TIME, to };
    await sleep(100);
  }
  throw new Error('the reference traffic never reached the prediction log');
}

/** The monitor's evaluation runs (start, end in ms), failing if any failed. */
async function evaluationRuns(server) {
  const { runs } = await get(`${server.url}/api/v1/monitors/monitored/runs?limit=1000`);
  const failed = runs.filter((r) => r.status === 'failed');
  if (failed.length > 0) throw new Error(`monitor runs failed: ${failed.map((r) => r.error).join('; ')}`);
  return runs.map((r) => ({ start: r.startedAt, end: r.finishedAt ?? Date.now() }));
}

const range = (xs, digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

export async function benchMonitoringServing() {
  const dir = tempDir('monitoring-serving');
  const server = await startServer(dir);
  try {
    const keel = new Keel({ url: server.url });
    await keel.models.registerVersion({ name: 'gbdt', onnx: model(1), createModel: true });
    const log = { enabled: true, windowSeconds: LOG_WINDOW_S };
    await post(`${server.url}/api/v1/deployments`, {
      name: 'nolog',
      model: 'gbdt@1',
      log: { enabled: false },
    });
    await post(`${server.url}/api/v1/deployments`, { name: 'logged', model: 'gbdt@1', log });
    await post(`${server.url}/api/v1/deployments`, { name: 'monitored', model: 'gbdt@1', log });
    const rnd = seededRandom(11);
    const ref = await referenceTraffic(server, rnd);
    await post(`${server.url}/api/v1/monitors`, {
      name: 'monitored',
      deployment: 'monitored',
      window: `${LOG_WINDOW_S}s`,
      delay: '1s',
      reference: `window:${ref.from}/${ref.to}`,
    });

    const bodies = Array.from({ length: 512 }, () => oipBody([row(rnd)]));
    const urlOf = (d) => `${server.url}/v2/models/${d}/infer`;
    const settings = ['nolog', 'logged', 'monitored'];
    for (const d of settings) await load(urlOf(d), bodies, 3); // warm-up: JIT, connections, batch sizes
    // A monitored load's last window closes LOG_WINDOW_S after it at most, then waits for a tick:
    // the next load starts after that evaluation (the first ticks also evaluate the warm-up).
    const settle = () => sleep(LOG_WINDOW_S * 1000 + SCHEDULER_TICK_MS + 2000);
    await settle();

    const results = Object.fromEntries(settings.map((d) => [d, []]));
    const loads = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = settings.map((_, i) => settings[(i + round) % settings.length]);
      for (const d of order) {
        const from = Date.now();
        const cpu0 = cpuMs(server.pid);
        const r = await load(urlOf(d), bodies);
        const end = Date.now();
        // What the load leaves behind belongs to its cost: the log worker's last writes, and for the
        // monitored load the evaluation of its last window.
        await (d === 'monitored' ? settle() : sleep(3000));
        const cpu1 = cpuMs(server.pid);
        loads.push({ d, from, end, to: Date.now() });
        if (r.failed > 0) throw new Error(`${d}: ${r.failed} failed requests`);
        r.cpuUs = cpu0 === null ? Number.NaN : ((cpu1 - cpu0) * 1000) / r.total;
        results[d].push(r);
        console.log(
          `  round ${round + 1}, ${d}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, server CPU ${r.cpuUs.toFixed(0)} µs/request`,
        );
      }
    }
    // Which evaluations overlapped which load: all of them should fall on the monitored ones.
    const runs = await evaluationRuns(server);
    const during = (from, to) => runs.filter((e) => e.start < to && e.end > from);
    const evaluations = loads.filter((l) => l.d === 'monitored').map((l) => during(l.from, l.end));
    const strays = loads
      .filter((l) => l.d !== 'monitored')
      .reduce((n, l) => n + during(l.from, l.to).length, 0);

    const of = (key) => Object.fromEntries(settings.map((d) => [d, results[d].map((r) => r[key])]));
    const [rps, p99, cpuUs] = [of('rps'), of('p99'), of('cpuUs')];
    // Drop per round (each round's three loads ran minutes apart at most), then the median.
    const drops = rps.monitored.map((m, i) => (1 - m / rps.nolog[i]) * 100);
    const monitorShare = rps.monitored.map((m, i) => (1 - m / rps.logged[i]) * 100);
    const evalMs = evaluations.flat().map((e) => e.end - e.start);
    for (const d of settings)
      console.log(
        `  ${d}: median ${median(rps[d]).toFixed(0)} req/s (rounds ${range(rps[d])}), ` +
          `p99 median ${median(p99[d]).toFixed(1)} ms (${range(p99[d], 1)}), ` +
          `server CPU median ${median(cpuUs[d]).toFixed(0)} µs/request (${range(cpuUs[d])})`,
      );
    console.log(
      `  evaluation runs during the monitored loads: ${evaluations.map((e) => e.length).join(', ')} ` +
        `(${SECONDS} s loads, one tick per ${SCHEDULER_TICK_MS / 1000} s)` +
        (evalMs.length ? `, each ${range(evalMs)} ms (median ${median(evalMs).toFixed(0)} ms)` : '') +
        `; during the other loads: ${strays}`,
    );
    console.log(
      `  throughput drop, log + monitor vs log off: median ${median(drops).toFixed(1)} % (rounds ${range(drops, 1)}); ` +
        `of which the monitor alone (vs log on, no monitor): median ${median(monitorShare).toFixed(1)} % ` +
        `(rounds ${range(monitorShare, 1)})`,
    );
    // Capacity drop if the server had the cores to itself: 1 − (CPU per request off / with monitoring).
    const cpuDrops = cpuUs.monitored.map((m, i) => (1 - cpuUs.nolog[i] / m) * 100);
    const cpuMonitorShare = cpuUs.monitored.map((m, i) => (1 - cpuUs.logged[i] / m) * 100);
    if (cpuDrops.every((x) => Number.isFinite(x)))
      console.log(
        `  the same from server CPU per request (steadier on shared cores): median ${median(cpuDrops).toFixed(1)} % ` +
          `(rounds ${range(cpuDrops, 1)}); the monitor alone: median ${median(cpuMonitorShare).toFixed(1)} % ` +
          `(rounds ${range(cpuMonitorShare, 1)})`,
      );
    if (evaluations.some((e) => e.length === 0))
      console.log('  warning: a monitored load saw no evaluation (a scheduler tick ran late?)');
    return [
      report(
        'monitoring: serving throughput drop with monitoring on (OIP single-row, log + monitor vs log off)',
        Math.max(median(drops), 0.01),
        '%',
        TARGET_DROP_PCT,
        false,
      ),
    ];
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchMonitoringServing();
