import type { Command } from 'commander';
import { invalidParam } from '../../core/errors.js';
import type { Keel } from '../../sdk/index.js';
import { withKeel } from '../connect.js';
import { fmtNumber, fmtTime, printJson, printTable } from '../output.js';

/** Resolves an experiment given by name or id. */
export async function resolveExperiment(keel: Keel, ref: string) {
  try {
    return await keel.experiments.getByName(ref);
  } catch (e) {
    if ((e as { code?: string }).code !== 'RESOURCE_DOES_NOT_EXIST' || !/^\d+$/.test(ref)) throw e;
    return keel.experiments.get(ref);
  }
}

/** `keel runs ls`: runs of one experiment with their status and latest metrics. */
export async function run(
  opts: { experiment: string; filter?: string; orderBy?: string[]; max: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const max = Number(opts.max);
  if (!Number.isInteger(max) || max < 1)
    throw invalidParam(`--max must be a positive integer, got '${opts.max}'`, '--max');
  await withKeel(cmd, async ({ keel }) => {
    const exp = await resolveExperiment(keel, opts.experiment);
    const page = await keel.runs.search({
      experimentIds: [exp.experimentId],
      filter: opts.filter,
      orderBy: opts.orderBy,
      maxResults: max,
    });
    if (opts.json) return printJson(page.runs);
    const metricKeys = [...new Set(page.runs.flatMap((r) => r.data.metrics.map((m) => m.key)))]
      .sort()
      .slice(0, 6);
    printTable(
      ['run id', 'name', 'status', 'started', ...metricKeys],
      page.runs.map((r) => [
        r.info.runId,
        r.info.runName,
        r.info.status,
        fmtTime(r.info.startTime),
        ...metricKeys.map((k) => fmtNumber(r.data.metrics.find((m) => m.key === k)?.value)),
      ]),
    );
    if (page.nextPageToken) process.stdout.write(`(more runs: raise --max)\n`);
  });
}
