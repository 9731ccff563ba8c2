import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';

/** `keel token ls`. */
export async function run(opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const tokens = await keel.tokens.list();
    if (opts.json) return printJson(tokens);
    printTable(
      ['name', 'role', 'created', 'last used', 'revoked'],
      tokens.map((t) => [t.name, t.role, fmtTime(t.createdAt), fmtTime(t.lastUsedAt), fmtTime(t.revokedAt)]),
    );
  });
}
