import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { fmtNumber, printJson, printTable } from '../output.js';

/** `keel runs compare <run…>`: one row per param and final metric, one column per run. */
export async function run(runIds: string[], opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const runs = await Promise.all(runIds.map((id) => keel.runs.get(id)));
    const paramKeys = [...new Set(runs.flatMap((r) => r.data.params.map((p) => p.key)))].sort();
    const metricKeys = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort();
    if (opts.json) {
      return printJson({
        runs: runs.map((r) => ({ runId: r.info.runId, runName: r.info.runName, status: r.info.status })),
        params: Object.fromEntries(
          paramKeys.map((k) => [k, runs.map((r) => r.data.params.find((p) => p.key === k)?.value ?? null)]),
        ),
        metrics: Object.fromEntries(
          metricKeys.map((k) => [k, runs.map((r) => r.data.metrics.find((m) => m.key === k)?.value ?? null)]),
        ),
      });
    }
    const rows: (string | number)[][] = [['status', ...runs.map((r) => r.info.status)]];
    for (const k of paramKeys) {
      const vals = runs.map((r) => r.data.params.find((p) => p.key === k)?.value ?? '');
      // Mark params that differ: usually what the comparison is for.
      rows.push([`${new Set(vals).size > 1 ? '*' : ' '}param ${k}`, ...vals]);
    }
    for (const k of metricKeys)
      rows.push([
        `metric ${k}`,
        ...runs.map((r) => fmtNumber(r.data.metrics.find((m) => m.key === k)?.value)),
      ]);
    printTable(['', ...runs.map((r) => `${r.info.runName}\n${r.info.runId.slice(0, 8)}`)], rows);
  });
}
