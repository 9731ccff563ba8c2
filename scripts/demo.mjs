// `npm run demo`: starts a real `keel server` on a fresh data dir, runs a hyperparameter sweep
// that logs through the SDK, then shows the results with the CLI — and verifies the audit chain.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sweep } from '../examples/sweep.mjs';

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
  process.stdout.write(
    execFileSync(process.execPath, [keelBin, '--url', url, ...args], { encoding: 'utf8' }),
  );
};

try {
  step('training a sweep of 6 logistic-regression runs, logging through the SDK');
  const ids = await sweep(url, 'loan-approval');
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
  step('the audit trail and its hash chain');
  cli('audit', 'list', '--object', `run:${ids[0]}`);
  cli('audit', 'verify');
  step(
    `done. The data stays in ${path.relative(ROOT, dataDir)}/: \`npx keel --data-dir ${path.relative(ROOT, dataDir)} runs ls -e loan-approval\``,
  );
} finally {
  server.kill('SIGTERM');
}
