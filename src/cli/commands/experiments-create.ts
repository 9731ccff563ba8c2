import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';
import { parseKeyValues } from '../tags.js';

/** `keel experiments create <name>`. */
export async function run(
  name: string,
  opts: { tag?: string[]; json?: boolean },
  cmd: Command,
): Promise<void> {
  const tags = parseKeyValues(opts.tag, '--tag');
  await withKeel(cmd, async ({ keel }) => {
    const exp = await keel.experiments.create({ name, tags });
    if (opts.json) return printJson(exp);
    process.stdout.write(`created experiment ${exp.experimentId} '${exp.name}'\n`);
  });
}
