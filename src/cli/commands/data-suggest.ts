import fs from 'node:fs';
import type { Command } from 'commander';
import { KeelError } from '../../core/errors.js';
import { suggestExpectations } from '../../data/quality/suggest.js';
import { withKeel } from '../connect.js';

/** `keel data suggest loans@2 [-o expectations.yaml]`: expectations derived from a reference profile. */
export async function run(ref: string, opts: { output?: string }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const v = await keel.datasets.get(ref);
    if (!v.profile || !v.schema) {
      throw new KeelError(
        'INVALID_PARAMETER_VALUE',
        `${v.ref} has no tabular files, so there is no profile to derive expectations from`,
      );
    }
    const text = `# Suggested from ${v.ref} (${v.rows} rows, ${v.contentHash.slice(0, 12)}) by \`keel data suggest\`.\n${suggestExpectations(v.profile, v.schema)}`;
    if (opts.output) {
      fs.writeFileSync(opts.output, text);
      process.stderr.write(`wrote ${opts.output}\n`);
    } else process.stdout.write(text);
  });
}
