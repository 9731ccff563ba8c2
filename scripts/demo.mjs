// `npm run demo`: starts a real `keel server` on a fresh data dir, runs a hyperparameter sweep
// that logs through the SDK, then shows the results with the CLI — and verifies the audit chain.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sample } from '../dist/data/generators/agrawal.js';
import { sweep, trainingRows } from '../examples/sweep.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(ROOT, '.keel-demo');
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
const server = spawn(
  process.execPath,
  [keelBin, 'server', '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn'],
  {
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/ready`)).ok) break;
  } catch {}
  if (i > 100) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 100));
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

try {
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

  step('the audit trail and its hash chain');
  cli('audit', 'list', '--object', `run:${ids[0]}`);
  cli('audit', 'verify');
  step(
    `done. Open ${path.relative(ROOT, dataDir)}/drift-report.html (drift) and model-card.html (the champion's card); the data stays in ${path.relative(ROOT, dataDir)}/ (\`npx keel --data-dir ${path.relative(ROOT, dataDir)} data ls\`)`,
  );
} finally {
  server.kill('SIGTERM');
}
