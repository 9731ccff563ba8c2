import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { fmtNumber, fmtTime, printJson, printTable } from '../output.js';

/** `keel runs show <run-id>`. */
export async function run(runId: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const r = await keel.runs.get(runId);
    if (opts.json) return printJson(r);
    const i = r.info;
    process.stdout.write(
      `run ${i.runId}  '${i.runName}'\n` +
        `  experiment ${i.experimentId}  status ${i.status}  user ${i.userId}\n` +
        `  started ${fmtTime(i.startTime)}  ended ${fmtTime(i.endTime) || '-'}  stage ${i.lifecycleStage}\n` +
        `  artifacts ${i.artifactUri}\n`,
    );
    if (r.data.params.length)
      printTable(
        ['param', 'value'],
        r.data.params.map((p) => [p.key, p.value]),
      );
    if (r.data.metrics.length) {
      printTable(
        ['metric', 'value', 'step', 'time'],
        r.data.metrics.map((m) => [m.key, fmtNumber(m.value), m.step, fmtTime(m.timestamp)]),
      );
    }
    const tags = r.data.tags.filter((t) => !t.key.startsWith('mlflow.'));
    if (tags.length)
      printTable(
        ['tag', 'value'],
        tags.map((t) => [t.key, t.value]),
      );
    for (const d of r.inputs.datasetInputs)
      process.stdout.write(`  input ${d.dataset.name}@${d.dataset.digest} (${d.dataset.source})\n`);
  });
}
