// `npx keel --help` must return in under 0.5 s (npx's own start-up included).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { median, ROOT, report } from './lib.mjs';

export function benchCli() {
  const time = (cmd, args) => {
    const xs = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      execFileSync(cmd, args, { cwd: ROOT, stdio: 'ignore' });
      xs.push(performance.now() - t);
    }
    return median(xs.slice(1));
  };
  const node = time(process.execPath, [path.join(ROOT, 'bin/keel.js'), '--help']);
  console.log(`  node bin/keel.js --help: ${node.toFixed(0)} ms (median)`);
  return report('npx keel --help', time('npx', ['keel', '--help']), 'ms (median)', 500, false);
}
