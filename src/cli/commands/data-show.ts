import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { fmtBytes, fmtNumber, fmtTime, printJson, printTable } from '../output.js';

/** `keel data show loans@3`: files, schema, per-column profile summary and the runs that used it. */
export async function run(ref: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const v = await keel.datasets.get(ref);
    if (opts.json) return printJson(v);
    process.stdout.write(
      `${v.ref}  hash ${v.contentHash}\n  ${v.fileCount} file(s), ${fmtBytes(v.bytes)}, ${v.rows} rows` +
        `${v.badRows ? ` (${v.badRows} malformed rows skipped)` : ''}\n  created ${fmtTime(v.createdAt)} by ${v.createdBy}` +
        `${v.message ? `: ${v.message}` : ''}\n`,
    );
    printTable(
      ['file', 'size', 'sha256'],
      v.files.map((f) => [f.path, fmtBytes(f.size), f.sha256.slice(0, 16)]),
    );
    if (v.profile) {
      printTable(
        ['column', 'type', 'missing', 'distinct≈', 'min', 'mean', 'max', 'top values'],
        v.profile.columns.map((c) => [
          c.name,
          c.type,
          c.missing,
          Math.round(c.distinctEstimate),
          fmtNumber(c.moments?.min),
          fmtNumber(c.moments?.mean),
          fmtNumber(c.moments?.max),
          (c.top?.items ?? [])
            .slice(0, 3)
            .map(([value, n]) => `${value} (${n})`)
            .join(', '),
        ]),
      );
    }
    if (v.runs.length) {
      process.stdout.write('used by runs:\n');
      for (const r of v.runs)
        process.stdout.write(`  ${r.runId} ${r.runName}${r.context ? ` (${r.context})` : ''}\n`);
    }
  });
}
