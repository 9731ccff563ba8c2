// The closed loop on event time, against a running `keel server`: the loan-approval scenario of
// DESIGN.md. Used by `npm run demo` (scripts/demo.mjs) and, on less data, by the end-to-end test
// (test/pipelines/closed-loop.e2e.test.ts) — one path.
//
// Data: the Agrawal generator (R. Agrawal, T. Imielinski, A. Swami, "Database Mining: A Performance
// Perspective", IEEE TKDE 5(6), 1993; as in MOA's AgrawalGenerator). Months 1–2 (January, February)
// are labelled by function 2 and train v1. From March the bank serves v1; labels (was the loan
// repaid?) arrive a week after each decision. In May the applicant population shifts (older,
// poorer) and the labelling function changes to 5: concept drift. Keel's monitor sees the drift,
// then — once the late labels land — the accuracy drop; the alert triggers the `retrain` pipeline
// (snapshot the recent labelled traffic → train → register → gate vs the champion → canary rollout),
// the canary is analysed on the traffic that follows and promoted, and accuracy recovers.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sample } from '../dist/data/generators/agrawal.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KEEL = path.join(ROOT, 'bin/keel.js');
export const FEATURES = [
  'salary',
  'commission',
  'age',
  'elevel',
  'car',
  'zipcode',
  'hvalue',
  'hyears',
  'loan',
];
const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** The pipeline the demo applies: retrain on the last week of labelled traffic when accuracy drops. */
export const PIPELINE = `# The retraining loop: started by the monitor's "accuracy drop" alert on the loans deployment's primary.
pipelines:
  retrain:
    description: retrain the loan model on recent labelled traffic, gate it, roll it out
    params:
      window: 7d
      trees: 80
    triggers:
      - alert: { monitor: loans, rule: accuracy drop, route: primary }
    steps:
      snapshot:
        uses: data.snapshot
        retries: 2
        with: { name: loans-recent, deployment: loans, window: "\${params.window}", holdout: 0.25 }
      train:
        uses: train
        with:
          data: "\${steps.snapshot.outputs.ref}"
          trainer: gbdt
          target: approved
          features: ${FEATURES.join(',')}
          params: "trees=\${params.trees},depth=5,lr=0.2"
          seed: 7
      register:
        uses: register
        with:
          model: credit
          from: "\${steps.train.outputs.run_id}"
          description: "retrained on \${steps.snapshot.outputs.ref}"
      gate:
        uses: gate
        with:
          model: "\${steps.register.outputs.ref}"
          data: "\${steps.snapshot.outputs.holdout_ref}"
          against: champion
          metrics:
            - { metric: accuracy, min: 0.75 }
            - { metric: accuracy, max_regression: 0 }
          approval: auto
      deploy:
        uses: deploy
        after: [gate]
        with:
          deployment: loans
          model: "\${steps.register.outputs.ref}"
          rollout:
            steps: [25, 100]
            hold: { duration: 7d, predictions: 100 }
            checks:
              drift: false
              # One busy laptop serves both versions here: only a gross latency regression should count.
              latency: { max_p99_ratio: 3, slack_ms: 250 }
              performance: { metric: accuracy, max_regression: 0.02, min_labels: 50, require: true }
`;

const round = (v) => (Number.isInteger(v) ? v : Math.round(v * 100) / 100);
const features = (a) => Object.fromEntries(FEATURES.map((f) => [f, round(a[f])]));
const csv = (rows) =>
  `${[...FEATURES, 'approved'].join(',')}\n${rows.map((r) => [...FEATURES.map((f) => round(r[f])), r.approved].join(',')).join('\n')}\n`;
const isoDay = (t) => new Date(t).toISOString().slice(0, 10);
const pct = (v) => (v === null || v === undefined ? '   –  ' : `${(v * 100).toFixed(1).padStart(5)}%`);

/**
 * Runs the scenario. `url`: a keel server started with a short `--schedule-interval`; `dir`: where
 * to write the incoming files and the pipeline; `perWeek`: applicants served per week.
 */
export async function closedLoop({
  url,
  tick = 250,
  dir,
  perWeek = 3000,
  trainRows = 6000,
  weeks = 16,
  shiftWeek = 9,
  out,
}) {
  const say = out ?? ((s) => process.stdout.write(`${s}\n`));
  const step = (s) => say(`\n\x1b[1m== ${s}\x1b[0m`);
  // Asynchronous, so that a server in this same process (the end-to-end test) keeps answering.
  const cli = async (...args) => {
    say(`$ keel ${args.join(' ')}`);
    const { stdout } = await promisify(execFile)(process.execPath, [KEEL, '--url', url, ...args], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    say(stdout.trimEnd());
    return stdout;
  };
  const http = async (method, p, json) => {
    const r = await fetch(`${url}${p}`, {
      method,
      headers: json === undefined ? {} : { 'content-type': 'application/json' },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    const body = await r.json().catch(() => ({}));
    if (r.status >= 300) throw new Error(`${method} ${p}: HTTP ${r.status} ${JSON.stringify(body)}`);
    return body;
  };
  fs.mkdirSync(dir, { recursive: true });
  const start = Date.UTC(2026, 2, 2); // Monday 2 March 2026: serving starts.

  step('months 1–2: version the training data and train v1');
  const training = sample({ seed: 1, fn: 2, labelNoise: 0.03 }, trainRows);
  fs.writeFileSync(path.join(dir, 'loans-2026-01-02.csv'), csv(training));
  await cli(
    'data',
    'add',
    path.join(dir, 'loans-2026-01-02.csv'),
    '--name',
    'loans',
    '-m',
    'applicants, January–February',
  );
  await cli(
    'train',
    'gbdt',
    '--data',
    'loans@1',
    '--target',
    'approved',
    '--params',
    'trees=80,depth=5,lr=0.2',
    '--seed',
    '7',
    '-e',
    'loan-approval',
    '--register',
    'credit',
  );
  await cli('models', 'alias', 'set', 'credit@1', 'champion');

  step('serve it, monitor it weekly, and apply the retraining pipeline');
  await cli('deploy', 'create', 'loans', '--model', 'credit@champion');
  // The deployment came with a default monitor (daily windows, accuracy relative to the training
  // data's): weekly windows suit this traffic, and the bank's bar for retraining is absolute.
  const rules = [
    { name: 'dataset drift', when: 'drift_share >= 0.3', severity: 'warning' },
    { name: 'accuracy drop', when: 'accuracy < 0.85', severity: 'critical' },
  ];
  await http('PUT', '/api/v1/monitors/loans', { window: '7d', reference: 'training', rules });
  say(`monitor loans: weekly windows, rules: ${rules.map((r) => `"${r.name}" (${r.when})`).join(', ')}`);
  fs.writeFileSync(path.join(dir, 'keel.yaml'), PIPELINE);
  await cli('pipeline', 'apply', '-f', path.join(dir, 'keel.yaml'));

  step(`replaying ${weeks} weeks of applications on event time; outcomes arrive a week later`);
  const seen = { events: 0, runs: new Set(), decisions: new Set() };
  let pending = []; // last week's applicants, waiting for their outcome
  const timeline = [];
  for (let w = 0; w < weeks; w++) {
    const weekStart = start + w * WEEK;
    const shifted = w >= shiftWeek - 1;
    const applicants = sample(
      shifted
        ? { seed: 100 + w, fn: 5, labelNoise: 0.03, ageShift: 12, salaryScale: 0.8 }
        : { seed: 100 + w, fn: 2, labelNoise: 0.03 },
      perWeek,
    );
    // Last week's outcomes come in first: the labels join the predictions by request id.
    if (pending.length) {
      const at = weekStart;
      for (let i = 0; i < pending.length; i += 1000)
        await http('POST', '/api/v1/deployments/loans/feedback', {
          feedback: pending
            .slice(i, i + 1000)
            .map((p) => ({ request_id: p.id, row: p.row, label: p.label, timestamp: at })),
        });
    }
    pending = [];
    const batch = 50;
    let last = { t: weekStart, rows: 0 };
    for (let i = 0; i < applicants.length; i += batch) {
      const rows = applicants.slice(i, i + batch);
      const t = weekStart + Math.floor((i / applicants.length) * WEEK);
      const r = await http('POST', '/api/v1/deployments/loans/predict', {
        records: rows.map(features),
        timestamp: t,
      });
      rows.forEach((a, j) => {
        pending.push({ id: r.request_id, row: j, label: a.approved, route: r.route });
      });
      last = { t, rows: rows.length };
    }
    // Give the monitor, the triggers and the rollout controller a moment on this week.
    await waitQuiet(http, tick, last);
    const events = await reportEvents(http, seen, say, isoDay(weekStart));
    timeline.push({ week: isoDay(weekStart), shifted, events });
  }
  // The last week's outcomes.
  for (let i = 0; i < pending.length; i += 1000)
    await http('POST', '/api/v1/deployments/loans/feedback', {
      feedback: pending
        .slice(i, i + 1000)
        .map((p) => ({ request_id: p.id, row: p.row, label: p.label, timestamp: start + weeks * WEEK })),
    });
  await waitQuiet(http, tick);
  await reportEvents(http, seen, say, isoDay(start + weeks * WEEK));
  await http('POST', '/api/v1/monitors/loans/runs', {});

  step('the weekly picture (realised accuracy from the late labels, per route)');
  const results = (
    await http('GET', `/api/v1/monitors/loans/results?from=${start}&to=${start + weeks * WEEK}`)
  ).results;
  const byWeek = new Map();
  for (const r of results) {
    const e = byWeek.get(r.windowStart) ?? { rows: 0, correct: 0, labelled: 0, drift: null, routes: [] };
    const acc = r.metrics.accuracy;
    if (acc !== null && acc !== undefined && r.labelled) {
      e.correct += acc * r.labelled;
      e.labelled += r.labelled;
    }
    e.rows += r.rows;
    if (r.route === 'primary') e.drift = r.metrics.drift_share;
    e.routes.push(
      `${r.route}@${r.versions.join('+')}${acc === null || acc === undefined ? '' : ` ${pct(acc).trim()}`}`,
    );
    byWeek.set(r.windowStart, e);
  }
  say('week of       served  accuracy  drift share  routes');
  const weekly = [];
  for (const [ws, e] of [...byWeek].sort((a, b) => a[0] - b[0])) {
    const accuracy = e.labelled ? e.correct / e.labelled : null;
    weekly.push({ week: isoDay(ws), accuracy, drift: e.drift, rows: e.rows });
    say(
      `${isoDay(ws)}  ${String(e.rows).padStart(6)}  ${pct(accuracy)}  ${e.drift === null ? '     –' : e.drift.toFixed(2).padStart(11)}  ${e.routes.join(', ')}`,
    );
  }
  const mean = (xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);
  // A window counts for a period when it lies wholly inside it.
  const accOf = (from, to) =>
    mean(
      weekly
        .filter((w) => w.week >= from && isoDay(Date.parse(w.week) + WEEK) <= to && w.accuracy !== null)
        .map((w) => w.accuracy),
    );
  const shiftDay = isoDay(start + (shiftWeek - 1) * WEEK);
  const promotedAt = timeline.find((t) =>
    t.events.some((e) => e.startsWith('rollout') && e.includes('promoted')),
  )?.week;
  const summary = {
    before: accOf('0000', shiftDay),
    drifted: accOf(isoDay(Date.parse(shiftDay) - WEEK), promotedAt ?? '9999'),
    after: promotedAt ? accOf(promotedAt, '9999') : null,
    promotedAt: promotedAt ?? null,
    runs: [...seen.runs],
  };
  step('the loop, in figures');
  say(`accuracy before the shift (v1):            ${pct(summary.before)}`);
  say(`accuracy after the shift, before the fix:  ${pct(summary.drifted)}`);
  say(`accuracy after the promotion (week of ${summary.promotedAt ?? '–'}): ${pct(summary.after)}`);
  return summary;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Lets the server's loops act on the week just sent before the replay moves on, so the story does
 * not depend on how fast this machine is: the prediction log lands (records every second, profiles
 * and samples every --log-interval), a monitor evaluation that started after that finishes, the
 * triggers and the rollout controller get a few ticks, and any pipeline run ends.
 */
async function waitQuiet(http, tick, last) {
  const posted = Date.now();
  // The week's last request is in the log's records (written in order, with the profiles after them).
  for (let i = 0; last && i < 600; i++) {
    const q = `from=${last.t}&to=${last.t + 1}&limit=${last.rows}`;
    const page = await http('GET', `/api/v1/deployments/loans/predictions?${q}`);
    if (page.predictions.length >= last.rows) break;
    await sleep(100);
  }
  await sleep(1000);
  // The monitor is caught up when it evaluated after the week was sent and has been idle since.
  for (let i = 0; i < 200; i++) {
    const runs = (await http('GET', '/api/v1/monitors/loans/runs')).runs ?? [];
    const last = runs.reduce((a, r) => (a && a.startedAt >= r.startedAt ? a : r), null);
    if (
      last &&
      last.startedAt >= posted &&
      last.status !== 'running' &&
      Date.now() - last.finishedAt >= 3 * tick
    )
      break;
    await sleep(tick);
  }
  for (let round = 0; round < 2; round++) {
    await sleep(3 * tick);
    let ran = false;
    for (let i = 0; i < 1200; i++) {
      const runs = (await http('GET', '/api/v1/pipeline-runs?limit=5')).runs;
      if (!runs.some((r) => r.status === 'running' || r.status === 'queued')) break;
      ran = true;
      await sleep(100);
    }
    if (!ran) return;
  }
}

/** Prints what happened since the last look: alert events, pipeline runs and their steps, rollout decisions. */
async function reportEvents(http, seen, say, week) {
  const lines = [];
  const events = (await http('GET', `/api/v1/alert-events?after=${seen.events}`)).events;
  for (const e of events) {
    seen.events = Math.max(seen.events, e.id);
    if (e.kind === 'opened' || e.kind === 'resolved')
      lines.push(`alert ${e.kind}: ${e.rule} on ${e.route} (window of ${isoDay(e.windowStart)})`);
  }
  for (const r of (await http('GET', '/api/v1/pipeline-runs?limit=20')).runs.reverse()) {
    const key = `${r.id}:${r.status}`;
    if (seen.runs.has(r.id) && seen.decisions.has(key)) continue;
    seen.runs.add(r.id);
    seen.decisions.add(key);
    if (r.status === 'running' || r.status === 'queued') {
      lines.push(
        `pipeline ${r.pipeline} run ${r.id} started by ${r.trigger} (${r.triggerContext.rule ?? ''})`,
      );
      continue;
    }
    const steps = r.steps.map((s) => {
      const o = s.outputs;
      const details = {
        snapshot: () => `${o.ref}, ${o.rows} rows + ${o.holdout_rows} held out`,
        register: () => o.ref,
        gate: () => `${o.decision}, holdout accuracy ${pct(s.metrics.accuracy).trim()}`,
        deploy: () => `canary rollout ${o.rollout_id ?? ''} ${o.status}`,
      };
      const detail =
        s.status === 'failed'
          ? (s.error ?? '').split('\n')[0]
          : s.status === 'succeeded'
            ? details[s.step]?.()
            : '';
      return `${s.step} ${s.status}${detail ? `: ${detail}` : ''}`;
    });
    lines.push(`pipeline ${r.pipeline} run ${r.id} ${r.status}: ${steps.join(' → ')}`);
  }
  const rollouts = (await http('GET', '/api/v1/deployments/loans/rollouts')).rollouts ?? [];
  for (const ro of rollouts) {
    const detail = await http('GET', `/api/v1/deployments/loans/rollouts/${ro.id}`);
    for (const d of detail.decisions ?? []) {
      const key = `rollout:${ro.id}:${d.id ?? d.at}:${d.kind}`;
      if (seen.decisions.has(key)) continue;
      seen.decisions.add(key);
      const checks = (d.evidence?.checks ?? []).map((c) => c.message).join('; ');
      lines.push(
        `rollout ${ro.id}: ${d.reason ?? d.kind.replaceAll('_', ' ')}${checks ? ` — ${checks}` : ''}`,
      );
    }
  }
  for (const l of lines) say(`  ${week}  ${l}`);
  return lines;
}
