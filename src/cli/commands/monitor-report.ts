import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { invalidParam } from '../../core/errors.js';
import { withKeel } from '../connect.js';
import { fmtBytes, printJson } from '../output.js';
import { out, parseRange } from './monitor.js';

/**
 * `keel monitor report credit-api [--from T] [--to T] (--html report.html | --json)`: the report
 * over a range (default: every stored window), as a self-contained HTML page or as JSON.
 */
export async function run(
  name: string,
  opts: { from?: string; to?: string; html?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  if (opts.html === undefined && !opts.json)
    throw invalidParam(
      'say where the report goes: --html <file> (a self-contained page) or --json',
      '--html',
    );
  if (opts.html !== undefined && opts.json)
    throw invalidParam('--html and --json are alternatives: give one of them', '--html');
  const range = parseRange(opts);
  await withKeel(cmd, async ({ keel }) => {
    if (opts.json) return printJson(await keel.monitors.report(name, range));
    const file = opts.html!;
    const html = await keel.monitors.reportHtml(name, range);
    try {
      fs.writeFileSync(file, html);
    } catch (e) {
      throw invalidParam(`cannot write ${file}: ${(e as Error).message}`, '--html');
    }
    out(
      `wrote the report of monitor ${name} to ${path.resolve(file)} (${fmtBytes(Buffer.byteLength(html))})`,
    );
  });
}
