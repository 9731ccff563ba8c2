import type { Command } from 'commander';
import { withKeel } from '../connect.js';

/** `keel token revoke <name>`. */
export async function run(name: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    await keel.tokens.revoke(name);
    process.stdout.write(`token '${name}' revoked\n`);
  });
}
