import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { fmtBytes, fmtTime, printJson, printTable } from '../output.js';

/** `keel data ls [name]`: dataset versions, newest first. */
export async function run(name: string | undefined, opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const versions = await keel.datasets.list(name);
    if (opts.json) return printJson(versions);
    printTable(
      ['version', 'hash', 'files', 'size', 'rows', 'bad rows', 'created', 'by', 'message'],
      versions.map((v) => [
        v.ref,
        v.contentHash.slice(0, 10),
        v.fileCount,
        fmtBytes(v.bytes),
        v.rows,
        v.badRows,
        fmtTime(v.createdAt),
        v.createdBy,
        v.message,
      ]),
    );
  });
}
