import type { Command } from 'commander';
import { invalidParam } from '../../core/errors.js';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';

/** Parses repeated `key=value` options. */
export function parseKeyValues(items: string[] | undefined, flag: string): { key: string; value: string }[] {
  return (items ?? []).map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalidParam(`${flag} expects key=value, got '${item}'`, flag);
    return { key: item.slice(0, eq), value: item.slice(eq + 1) };
  });
}

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
