import type { Command } from 'commander';
import { invalidParam } from '../../core/errors.js';
import { withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';

const summary = (v: unknown): string => (v === null || v === undefined ? '' : JSON.stringify(v)).slice(0, 60);

/** `keel audit list [--object <type>:<id> | <id>]`. */
export async function run(
  opts: { object?: string; limit: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw invalidParam(`--limit must be a positive integer, got '${opts.limit}'`, '--limit');
  let objectType: string | undefined;
  let objectId: string | undefined;
  if (opts.object) {
    const m = /^([a-z_]+):(.+)$/.exec(opts.object);
    [objectType, objectId] = m ? [m[1], m[2]] : [undefined, opts.object];
  }
  await withKeel(cmd, async ({ keel }) => {
    const page = await keel.audit.list({ objectType, objectId, limit });
    if (opts.json) return printJson(page.entries);
    printTable(
      ['seq', 'time', 'actor', 'action', 'object', 'before', 'after'],
      page.entries.map((e) => [
        e.seq,
        fmtTime(e.time),
        e.actor,
        e.action,
        `${e.objectType}:${e.objectId}`,
        summary(e.before),
        summary(e.after),
      ]),
    );
  });
}
