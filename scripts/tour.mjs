// `npm run tour`: a guided tour of every capability. Starts a real `keel server` on a fresh data dir, runs a hyperparameter sweep
// that logs through the SDK, then shows the results with the CLI; trains, evaluates and registers
// models; serves the champion (three protocols, a canary, promote and rollback, a shadow, feedback,
// /metrics) — and verifies the audit chain.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sample } from '../dist/data/generators/agrawal.js';
import { sweep, trainingRows } from '../examples/sweep.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(ROOT, '.keel-tour');
fs.rmSync(dataDir, { recursive: true, force: true });

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const url = `http://127.0.0.1:${port}`;
const keelBin = path.join(ROOT, 'bin/keel.js');
const step = (s) => process.stdout.write(`\n\x1b[1m== ${s}\x1b[0m\n`);

step(`keel server --data-dir ${path.relative(ROOT, dataDir)} --port ${port}`);
// Its own process group, so that the demo alone stops it — exactly once, with SIGTERM, which drains the
// deployments and flushes the prediction log — also when the demo is interrupted or fails.
const server = spawn(
  process.execPath,
  [keelBin, 'server', '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn'],
  { stdio: ['ignore', 'inherit', 'inherit'], detached: true },
);
let stopping = null;
const stopServer = () => {
  stopping ??= new Promise((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) return resolve();
    const force = setTimeout(() => server.kill('SIGKILL'), 10_000);
    server.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    server.kill('SIGTERM');
  });
  return stopping;
};
process.once('exit', () => server.exitCode === null && server.signalCode === null && server.kill('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => stopServer().then(() => process.exit(130)));
}

const cli = (...args) => {
  process.stdout.write(`$ keel ${args.join(' ')}\n`);
  try {
    const out = execFileSync(process.execPath, [keelBin, '--url', url, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    process.stdout.write(out);
  } catch (e) {
    // `keel data check` exits 1 when a check fails (and an alias on a rejected version is refused):
    // show the output and the exit code.
    process.stdout.write(`${e.stdout ?? ''}${e.stderr ?? ''}(exit code ${e.status})\n`);
  }
};

const COLUMNS = [
  'salary',
  'commission',
  'age',
  'elevel',
  'car',
  'zipcode',
  'hvalue',
  'hyears',
  'loan',
  'region',
  'age_band',
  'approved',
];
// Two categorical columns derived from the generator's attributes: where the applicant lives, and
// an age band — the sensitive attribute the fairness report is computed across.
const REGIONS = ['north', 'east', 'south', 'west', 'central', 'coast', 'hills', 'lakes', 'metro'];
const withCategories = (rows) =>
  rows.map((r) => ({
    ...r,
    region: REGIONS[r.zipcode],
    age_band: r.age < 40 ? 'under-40' : r.age < 60 ? '40-59' : '60-plus',
  }));
const writeCsv = (file, rows) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = rows.map((r) =>
    COLUMNS.map((c) => (typeof r[c] === 'string' || Number.isInteger(r[c]) ? r[c] : r[c].toFixed(2))).join(
      ',',
    ),
  );
  fs.writeFileSync(file, `${COLUMNS.join(',')}\n${lines.join('\n')}\n`);
};
const incoming = path.join(dataDir, 'incoming');

// ---- serving: what a client of the deployment sends, and how the demo prints it

const FEATURES = COLUMNS.filter((c) => c !== 'approved');
const CATEGORICAL = new Set(['region', 'age_band']);
const round = (v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v);
/** An applicant as a record of raw features (what /predict and MLflow's dataframe_records take). */
const features = (a) => Object.fromEntries(FEATURES.map((f) => [f, round(a[f])]));
/** An applicant as Open Inference Protocol inputs: [1, 1] FP32 per number, BYTES per category. */
const oipInputs = (a) =>
  FEATURES.map((f) => ({
    name: f,
    datatype: CATEGORICAL.has(f) ? 'BYTES' : 'FP32',
    shape: [1, 1],
    data: [round(a[f])],
  }));

/** One HTTP call to the server; the body parsed when it is JSON. */
async function http(method, p, { json, csv, headers = {} } = {}) {
  const type = json !== undefined ? 'application/json' : csv !== undefined ? 'text/csv' : undefined;
  const r = await fetch(`${url}${p}`, {
    method,
    headers: { ...(type ? { 'content-type': type } : {}), ...headers },
    ...(type ? { body: json !== undefined ? JSON.stringify(json) : csv } : {}),
  });
  const text = await r.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: r.status, headers: r.headers, body, text };
}
const ok = (r, what) => {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${r.text}`);
  return r;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Runs f(0..n-1), `width` calls at a time (clients in parallel, so the batcher has something to batch). */
async function lanes(n, width, f) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await f(next++);
    }),
  );
}
const answer = (protocol, call, version, route, label, p) =>
  process.stdout.write(
    `  ${protocol.padEnd(11)} ${call.padEnd(38)} → credit@${version}  ${route.padEnd(7)}  approved=${label}  p=${Number(p).toFixed(3)}\n`,
  );
const predict = (a, headers = {}) =>
  http('POST', '/api/v1/deployments/loans/predict', { json: { records: [features(a)] }, headers }).then((r) =>
    ok(r, 'predict'),
  );
const printPredict = (r) => {
  const p = r.body.predictions[0];
  answer(
    'records',
    'POST /api/v1/deployments/loans/predict',
    r.body.model_version,
    r.body.route,
    p.label,
    p.score,
  );
};
/** The /metrics lines of the loans deployment whose name matches. */
const metricLines = (text, re) =>
  text.split('\n').filter((l) => re.test(l) && l.includes('deployment="loans"') && !l.startsWith('#'));

/** The serving act: deploy the champion, call it three ways, canary → promote → rollback, a shadow, feedback, metrics. */
async function servingAct() {
  step('serving: deploy the champion on the running server (loaded and warmed before the call returns)');
  cli('deploy', 'create', 'loans', '--model', 'credit@champion');
  // Month 6: applicants from the shifted population arrive live; their outcomes come later.
  const live = withCategories(
    sample({ seed: 6, fn: 5, labelNoise: 0.05, ageShift: 12, salaryScale: 0.8 }, 300),
  );

  step('one applicant, three protocols: Open Inference Protocol v2, MLflow scoring, Keel records');
  const a = live[0];
  const oip = ok(
    await http('POST', '/v2/models/loans/infer', { json: { id: 'demo-1', inputs: oipInputs(a) } }),
    'OIP infer',
  );
  const out = Object.fromEntries(oip.body.outputs.map((o) => [o.name, o.data]));
  answer(
    'OIP v2',
    'POST /v2/models/loans/infer',
    oip.body.model_version,
    oip.headers.get('x-keel-route'),
    out.label[0],
    out.probabilities[1],
  );
  const split = { columns: FEATURES, data: [FEATURES.map((f) => round(a[f]))] };
  for (const [protocol, body] of [
    ['MLflow', { json: { dataframe_split: split } }],
    ['MLflow CSV', { csv: `${FEATURES.join(',')}\n${FEATURES.map((f) => round(a[f])).join(',')}\n` }],
  ]) {
    const r = ok(await http('POST', '/deployments/loans/invocations', body), protocol);
    const p = r.body.predictions[0];
    answer(
      protocol,
      'POST /deployments/loans/invocations',
      r.headers.get('x-keel-model-version'),
      r.headers.get('x-keel-route'),
      p.label,
      p.probabilities[1],
    );
  }
  printPredict(await predict(a));
  const { age: _age, ...noAge } = features(a);
  const bad = [
    ['OIP v2', await http('POST', '/v2/models/loans/infer', { json: { inputs: oipInputs(a).slice(1) } })],
    [
      'MLflow',
      await http('POST', '/deployments/loans/invocations', { json: { dataframe_records: [noAge] } }),
    ],
  ];
  for (const [protocol, r] of bad) {
    process.stdout.write(
      `  ${protocol.padEnd(11)} a feature missing → ${r.status} ${r.text.slice(0, 96)}…\n`,
    );
  }

  step('a canary: the challenger takes 20% of customers, pinned by the x-customer-id header');
  cli(
    'deploy',
    'set-traffic',
    'loans',
    '--canary',
    'credit@challenger',
    '--weight',
    '20',
    '--sticky-header',
    'x-customer-id',
  );
  const served = [];
  const started = performance.now();
  await lanes(200, 8, async (i) => {
    const customer = `customer-${String(i % 50).padStart(2, '0')}`;
    const r = await predict(live[i], { 'x-customer-id': customer });
    served.push({
      customer,
      requestId: r.body.request_id,
      route: r.body.route,
      version: r.body.model_version,
      label: live[i].approved,
    });
  });
  const ms = performance.now() - started;
  process.stdout.write(`  200 requests from 50 customers in ${ms.toFixed(0)} ms (8 clients):\n`);
  for (const route of ['primary', 'canary']) {
    const on = served.filter((s) => s.route === route);
    process.stdout.write(
      `  ${route.padEnd(8)} credit@${on[0]?.version ?? '-'}  ${String(on.length).padStart(3)} requests, ${new Set(on.map((s) => s.customer)).size} customers\n`,
    );
  }
  const versionsOf = new Map();
  for (const s of served)
    versionsOf.set(s.customer, new Set([...(versionsOf.get(s.customer) ?? []), s.version]));
  const both = [...versionsOf.values()].filter((v) => v.size > 1).length;
  process.stdout.write(`  customers who saw both versions: ${both}\n`);

  step('promote the canary, then roll back: the previous primary stayed loaded, so both are instant');
  cli('deploy', 'promote', 'loans');
  printPredict(await predict(live[200]));
  cli('deploy', 'rollback', 'loans');
  printPredict(await predict(live[201]));

  step('a shadow: the challenger gets a copy of every request; its answers are logged, never returned');
  cli('deploy', 'set-traffic', 'loans', '--shadow', 'credit@challenger');
  const answeredBy = new Map();
  await lanes(50, 8, async (i) => {
    const r = await predict(live[202 + i]);
    const k = `${r.body.route} credit@${r.body.model_version}`;
    answeredBy.set(k, (answeredBy.get(k) ?? 0) + 1);
  });
  process.stdout.write(
    `  50 requests, answered by: ${[...answeredBy].map(([k, n]) => `${k} ×${n}`).join(', ')}\n`,
  );
  // Shadows run off the request path: their counter catches up a moment later.
  let metrics = '';
  for (let i = 0; i < 50; i++) {
    metrics = (await http('GET', '/metrics')).text;
    if (metricLines(metrics, /^keel_serving_requests_total\{.*route="shadow"\} 50$/).length) break;
    await sleep(100);
  }
  process.stdout.write(`$ curl ${url}/metrics | grep 'route="shadow"'\n`);
  for (const l of metricLines(metrics, /^keel_serving_requests_total\{.*route="shadow"/)) {
    process.stdout.write(`${l}\n`);
  }

  step("feedback: the canary phase's outcomes arrive later; labels join the prediction log by request id");
  // A worker thread writes the log about once a second: wait until it holds these requests, so that
  // `matched` counts them all.
  const wanted = new Set(served.map((s) => s.requestId));
  for (let i = 0; i < 100; i++) {
    const logged = ok(await http('GET', '/api/v1/deployments/loans/predictions?limit=10000'), 'predictions');
    const have = new Set(logged.body.predictions.map((p) => p.requestId));
    if ([...wanted].every((id) => have.has(id))) break;
    await sleep(100);
  }
  const fb = ok(
    await http('POST', '/api/v1/deployments/loans/feedback', {
      json: served.map((s) => ({ request_id: s.requestId, label: s.label })),
    }),
    'feedback',
  );
  process.stdout.write(
    `  POST /api/v1/deployments/loans/feedback  ${served.length} labels → accepted ${fb.body.accepted}, matched ${fb.body.matched}\n`,
  );
  const labelled = ok(
    await http('GET', '/api/v1/deployments/loans/predictions?labelled=true&limit=10000'),
    'predictions',
  ).body.predictions;
  for (const route of ['primary', 'canary']) {
    const on = labelled.filter((p) => p.route === route);
    const right = on.filter((p) => String(p.prediction.label) === String(p.label)).length;
    process.stdout.write(
      `  ${route.padEnd(8)} credit@${on[0]?.version ?? '-'}  ${String(on.length).padStart(3)} labelled, accuracy ${(right / Math.max(1, on.length)).toFixed(3)} on month-6 applicants (drifted, like month 5)\n`,
    );
  }

  step('Prometheus metrics (GET /metrics): requests per route, errors, route changes');
  metrics = (await http('GET', '/metrics')).text;
  process.stdout.write(
    `$ curl ${url}/metrics | grep -E 'requests_total|errors_total|route_changes|dropped'\n`,
  );
  const re =
    /^keel_(serving_requests_total|serving_errors_total|serving_route_changes_total|serving_shadow_dropped_total|prediction_log_dropped_total)\{/;
  for (const l of metricLines(metrics, re)) process.stdout.write(`${l}\n`);

  step('the deployment: routes, settings, and what this server has loaded');
  cli('deploy', 'show', 'loans');
}

try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/ready`)).ok) break;
    } catch {}
    if (server.exitCode !== null || i > 200) throw new Error('keel server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }

  step('versioning the training data: months 1–2 of loan applicants');
  writeCsv(path.join(incoming, 'months-1-2.csv'), withCategories(trainingRows()));
  cli(
    'data',
    'add',
    path.join(incoming, 'months-1-2.csv'),
    '--name',
    'loans',
    '-m',
    'applicants, months 1-2',
  );

  step('training a sweep of 6 logistic-regression runs on loans@1, logging through the SDK');
  const ids = await sweep(url, 'loan-approval', 'loans@1');
  step('the runs, best validation accuracy first');
  cli('runs', 'ls', '-e', 'loan-approval', '--order-by', 'metrics.val_accuracy DESC');
  step('the top three side by side');
  const top = JSON.parse(
    execFileSync(
      process.execPath,
      [
        keelBin,
        '--url',
        url,
        'runs',
        'ls',
        '-e',
        'loan-approval',
        '--order-by',
        'metrics.val_accuracy DESC',
        '--max',
        '3',
        '--json',
      ],
      { encoding: 'utf8' },
    ),
  ).map((r) => r.info.runId);
  cli('runs', 'compare', ...top);
  step('an MLflow-style search over the same server');
  cli('runs', 'ls', '-e', 'loan-approval', '--filter', "metrics.val_accuracy > 0.8 and params.l2 = '0'");
  step("Keel's own trainers: a gradient-boosted model and a logistic regression on loans@1, registered");
  cli(
    'train',
    'gbdt',
    '--data',
    'loans@1',
    '--target',
    'approved',
    '--params',
    'trees=80,depth=4,lr=0.1',
    '-e',
    'credit',
    '--register',
    'credit',
  );
  cli(
    'train',
    'logistic',
    '--data',
    'loans@1',
    '--target',
    'approved',
    '-e',
    'credit',
    '--register',
    'credit',
    '--intended-use',
    'ranking consumer loan applications for manual review; not for automatic rejection',
  );
  cli('models', 'ls', 'credit');
  step('month 3: fresh applicants from the same population, held out for evaluation (loans@2)');
  writeCsv(
    path.join(incoming, 'month-3.csv'),
    withCategories(sample({ seed: 3, fn: 7, labelNoise: 0.05 }, 3000)),
  );
  cli('data', 'add', path.join(incoming, 'month-3.csv'), '--name', 'loans', '-m', 'applicants, month 3');
  step(
    'evaluating on month 5 (loans@2): metrics per region, fairness across age bands, and the two side by side',
  );
  cli('eval', 'credit@2', '--data', 'loans@2', '--slice-by', 'region', '--sensitive', 'age_band');
  cli('eval', 'credit@2', '--data', 'loans@2', '--compare', 'credit@1');
  step('review: the logistic regression wins on this (linear) concept: champion; the GBDT: challenger');
  cli(
    'models',
    'approve',
    'credit@2',
    '--reason',
    'best log loss and accuracy on the month-3 holdout; fairness gap reviewed',
  );
  cli('models', 'alias', 'set', 'credit@2', 'champion');
  cli('models', 'approve', 'credit@1', '--reason', 'within a point of the champion; kept as challenger');
  cli('models', 'alias', 'set', 'credit@1', 'challenger');
  cli('models', 'show', 'credit');
  step('the model card, lineage, and a reproduction of the training from the recorded data and params');
  cli(
    'models',
    'card',
    'credit@champion',
    '--md',
    path.join(dataDir, 'model-card.md'),
    '--html',
    path.join(dataDir, 'model-card.html'),
  );
  cli('lineage', 'credit@champion');
  cli('reproduce', 'credit@champion');
  cli('reproduce', 'credit@challenger');

  step('month 5: the applicant population shifts (older, lower salaries)');
  writeCsv(
    path.join(incoming, 'month-5.csv'),
    withCategories(sample({ seed: 5, fn: 5, labelNoise: 0.05, ageShift: 12, salaryScale: 0.8 }, 3000)),
  );
  cli('data', 'add', path.join(incoming, 'month-5.csv'), '--name', 'loans', '-m', 'applicants, month 5');
  cli('data', 'diff', 'loans@1', 'loans@3', '--html', path.join(dataDir, 'drift-report.html'));
  step('data-quality expectations learned from loans@1, checked against loans@3');
  cli('data', 'suggest', 'loans@1', '-o', path.join(dataDir, 'expectations.yaml'));
  cli('data', 'check', 'loans@3', '--expect', path.join(dataDir, 'expectations.yaml'));
  step('the champion on month 5: the data and the concept drifted, so it decays');
  cli('eval', 'credit@champion', '--data', 'loans@3', '--no-store');
  step('lineage: which runs trained on loans@1');
  cli('data', 'show', 'loans@1');

  await servingAct();

  step('the audit trail and its hash chain: runs, and every change to the deployment');
  cli('audit', 'list', '--object', `run:${ids[0]}`);
  cli('audit', 'list', '--object', 'deployment:loans');
  cli('audit', 'verify');
  step(
    `done. Open ${path.relative(ROOT, dataDir)}/drift-report.html (drift) and model-card.html (the champion's card); the data stays in ${path.relative(ROOT, dataDir)}/ (\`npx keel --data-dir ${path.relative(ROOT, dataDir)} data ls\`; \`npx keel server --data-dir ${path.relative(ROOT, dataDir)}\` serves the deployment again)`,
  );
} finally {
  await stopServer();
}
