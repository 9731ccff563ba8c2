import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { fmtNumber, fmtTime, printJson, printTable } from '../output.js';

/** `keel models ls` (registered models) or `keel models ls credit` (its versions, newest first). */
export async function run(name: string | undefined, opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    if (!name) {
      const models = await keel.models.list();
      if (opts.json) return printJson(models);
      if (models.length === 0) return void process.stdout.write('no registered models\n');
      printTable(
        ['model', 'latest', 'aliases', 'updated', 'description'],
        models.map((m) => [
          m.name,
          m.latestVersion ?? '-',
          Object.entries(m.aliases)
            .map(([a, v]) => `${a}→${v}`)
            .join(' '),
          fmtTime(m.updatedAt),
          m.description.slice(0, 60),
        ]),
      );
      return;
    }
    const versions = await keel.models.listVersions(name);
    if (opts.json) return printJson(versions);
    const keys = [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))]
      .filter((k) => !k.endsWith('_seconds'))
      .slice(0, 4);
    printTable(
      ['version', 'approval', 'aliases', 'created', 'run', ...keys],
      versions
        .sort((a, b) => b.version - a.version)
        .map((v) => [
          v.version,
          v.approval.status,
          v.aliases.join(' '),
          fmtTime(v.createdAt),
          v.runId?.slice(0, 8) ?? '-',
          ...keys.map((k) => fmtNumber(v.metrics[k])),
        ]),
    );
  });
}
