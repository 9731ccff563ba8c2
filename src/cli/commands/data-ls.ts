import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';

export const fmtBytes = (n: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
};

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
