import type { Command } from 'commander';
import pc from 'picocolors';
import { withKeel } from '../connect.js';

/** `keel models alias set credit@3 champion`: points the alias at that version (moving it if set). */
export async function set(ref: string, alias: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const v = await keel.models.resolve(ref);
    const before = (await keel.models.get(v.name)).aliases[alias];
    await keel.models.setAlias(v.name, alias, v.version);
    process.stdout.write(
      `${pc.bold(`${v.name}@${alias}`)} → version ${v.version}${before !== undefined && before !== v.version ? ` (was ${before})` : ''}\n`,
    );
  });
}

/** `keel models alias rm credit champion`. */
export async function rm(name: string, alias: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    await keel.models.deleteAlias(name, alias);
    process.stdout.write(`removed alias ${name}@${alias}\n`);
  });
}
