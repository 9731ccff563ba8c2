// `npm run demo`: Keel's main job, the closed loop (DESIGN.md's loan-approval scenario). Starts a real
// `keel server` on a fresh data dir (.keel-demo/), then replays months of loan applications on event
// time: v1 is trained and served, the population and the concept shift, monitoring sees the drift and
// — once the late labels arrive — the accuracy drop, the alert triggers the retraining pipeline,
// the candidate is gated against the champion, rolled out as a canary, analysed and promoted, and
// the accuracy recovers. The data dir is left behind: `keel server --data-dir .keel-demo` shows it all.
// `npm run tour` is the longer walk through every command.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop } from './closed-loop.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(ROOT, '.keel-demo');
fs.rmSync(dataDir, { recursive: true, force: true });
fs.mkdirSync(dataDir, { recursive: true });

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const url = `http://127.0.0.1:${port}`;
const started = Date.now();
process.stdout.write(
  `\x1b[1m== keel server --data-dir ${path.relative(ROOT, dataDir)} --port ${port} --schedule-interval 250 --log-interval 250\x1b[0m\n`,
);
// Its own process group, so that the demo alone stops it — with SIGTERM, which drains the
// deployments and flushes the prediction log — also when the demo is interrupted or fails.
const server = spawn(
  process.execPath,
  [
    path.join(ROOT, 'bin/keel.js'),
    'server',
    '--data-dir',
    dataDir,
    '--port',
    String(port),
    '--log-level',
    'warn',
    '--schedule-interval',
    '250',
    '--log-interval',
    '250',
  ],
  // Its log (alerts through the built-in log channel among them) goes to a file, not over the story.
  { stdio: ['ignore', 'ignore', fs.openSync(path.join(dataDir, 'server.log'), 'a')], detached: true },
);
let stopping = null;
const stopServer = () => {
  stopping ??= new Promise((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) return resolve();
    const force = setTimeout(() => server.kill('SIGKILL'), 15_000);
    server.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    server.kill('SIGTERM');
  });
  return stopping;
};
process.once('exit', () => server.exitCode === null && server.signalCode === null && server.kill('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.once(signal, () => stopServer().then(() => process.exit(130)));

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/v2/health/ready`)).ok) break;
  } catch {}
  if (i > 300 || server.exitCode !== null) throw new Error('keel server did not start');
  await new Promise((r) => setTimeout(r, 100));
}

try {
  const summary = await closedLoop({ url, dir: path.join(dataDir, 'workspace') });
  process.stdout.write(`\n\x1b[1m== the audit chain\x1b[0m\n`);
  const verify = await fetch(`${url}/api/v1/audit/verify`).then((r) => r.json());
  process.stdout.write(`${verify.ok ? 'intact' : 'BROKEN'}: ${verify.checked} entries verified\n`);
  const recovered = summary.after !== null && summary.drifted !== null && summary.after > summary.drifted;
  process.stdout.write(
    `\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s. ${recovered ? 'The loop closed: accuracy recovered.' : 'The loop did not close: see above.'}\n` +
      `The server's log: ${path.relative(process.cwd(), path.join(dataDir, 'server.log'))}\n` +
      `Explore it: node bin/keel.js server --data-dir ${path.relative(process.cwd(), dataDir)}  (then keel --url … pipeline runs, monitor report loans, audit list)\n`,
  );
  if (!recovered) process.exitCode = 1;
} finally {
  await stopServer();
}
