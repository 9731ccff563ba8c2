import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';

/** `keel audit verify`: exit 1 naming the first bad entry when the chain is broken. */
export async function run(opts: { json?: boolean }, cmd: Command): Promise<void> {
  const result = await withKeel(cmd, ({ keel }) => keel.audit.verify());
  if (opts.json) printJson(result);
  else if (result.ok) process.stdout.write(`audit log OK: ${result.checked} entries, hash chain intact\n`);
  else {
    process.stderr.write(
      `audit log BROKEN at entry ${result.firstBad?.seq}: ${result.firstBad?.reason} (${result.checked} entries before it verified)\n`,
    );
  }
  if (!result.ok) process.exitCode = 1;
}
