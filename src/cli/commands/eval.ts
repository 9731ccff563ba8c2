import type { Command } from 'commander';
import pc from 'picocolors';
import { formatCompare, formatEval } from '../../models/eval/index.js';
import type { Task } from '../../models/train/types.js';
import { evaluateAndStore } from '../../pipelines/steps/builtins/evaluate-and-store.js';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';
import { progressBar } from '../progress.js';

export interface EvalCliOptions {
  data: string;
  sliceBy?: string;
  sensitive?: string;
  positive?: string;
  compare?: string;
  target?: string;
  task?: Task;
  classes?: string;
  features?: string;
  store: boolean;
  json?: boolean;
}

/**
 * `keel eval credit@3 --data loans@4 [--slice-by region] [--sensitive gender] [--compare credit@2]`:
 * scores a dataset version with the model(s), prints the metrics (side by side with --compare) and
 * stores each evaluation with its model version.
 */
export async function run(ref: string, opts: EvalCliOptions, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const refs = opts.compare ? [ref, opts.compare] : [ref];
    const { data, evaluations: results } = await evaluateAndStore(keel, refs, opts.data, {
      read: {
        ...(opts.target ? { target: opts.target } : {}),
        ...(opts.task ? { task: opts.task } : {}),
        ...(opts.classes ? { classes: opts.classes } : {}),
        ...(opts.features ? { features: opts.features } : {}),
      },
      sliceBy: opts.sliceBy,
      sensitive: opts.sensitive,
      positive: opts.positive,
      store: opts.store ? {} : false,
      progress: (label, total, unit) => progressBar(label, total, { unit }),
    });
    const labels = results.map(({ scored: s }) => `${s.version.name}@${s.version.version}`);
    if (opts.json) {
      return printJson({
        data: data.ref,
        models: results.map(({ result }, i) => ({ model: labels[i], result })),
      });
    }
    const out = process.stdout;
    const color = Boolean(out.isTTY);
    if (results.length === 2) {
      out.write(`${pc.bold(labels[0]!)} vs ${pc.bold(labels[1]!)} on ${data.ref}\n`);
      out.write(formatCompare(results[0]!.result, results[1]!.result, [labels[0]!, labels[1]!]));
    } else {
      out.write(`${pc.bold(labels[0]!)} on ${data.ref} (${results[0]!.result.rows} rows)\n`);
      out.write(formatEval(results[0]!.result, { color }));
    }
    if (opts.store) out.write(pc.dim(`stored with ${labels.join(' and ')}\n`));
  });
}
