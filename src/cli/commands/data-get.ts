import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { materialize } from '../materialize.js';
import { fmtBytes } from '../output.js';

/** `keel data get loans@3 <dir>`: the version's files, verified against their hashes. */
export async function run(ref: string, dir: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const v = await keel.datasets.get(ref);
    await materialize(keel, `get ${v.ref}`, v.files, dir);
    process.stdout.write(
      `${v.ref}: ${v.files.length} file(s), ${fmtBytes(v.bytes)} written to ${dir} (hashes verified)\n`,
    );
  });
}
