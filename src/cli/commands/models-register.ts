import fs from 'node:fs';
import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';
import { parseTags } from '../tags.js';

export interface RegisterCliOptions {
  run?: string;
  path: string;
  file?: string;
  description?: string;
  tag?: string[];
  data?: string[];
  intendedUse?: string;
  json?: boolean;
}

/**
 * `keel models register credit --run <run-id>` (the run's `model/model.onnx`) or
 * `--file model.onnx`: a new version, numbered after the last one ever registered, pending approval.
 */
export async function run(name: string, opts: RegisterCliOptions, cmd: Command): Promise<void> {
  if (Boolean(opts.run) === Boolean(opts.file))
    throw invalidParam('give exactly one of --run <run-id> or --file <model.onnx>', 'source');
  let onnx: Uint8Array | undefined;
  if (opts.file) {
    try {
      onnx = fs.readFileSync(opts.file);
    } catch (e) {
      throw invalidParam(`cannot read ${opts.file}: ${(e as Error).message}`, 'file');
    }
  }
  const tags = parseTags(opts.tag ?? []);
  await withKeel(cmd, async ({ keel }) => {
    const v = await keel.models.registerVersion({
      name,
      createModel: true,
      ...(onnx ? { onnx } : {}),
      ...(opts.run ? { runId: opts.run, artifactPath: opts.path } : {}),
      ...(opts.description ? { description: opts.description } : {}),
      ...(opts.data?.length ? { datasets: opts.data } : {}),
      tags: { ...tags, ...(opts.intendedUse ? { intended_use: opts.intendedUse } : {}) },
    });
    if (opts.json) return printJson(v);
    const sig = v.signature;
    process.stdout.write(
      `registered ${pc.bold(`${v.name}@${v.version}`)} (approval: ${v.approval.status})\n` +
        (sig
          ? `  inputs  ${sig.inputs.map((i) => `${i.name}: ${i.type}`).join(', ')}\n` +
            `  outputs ${sig.outputs.map((o) => `${o.name}: ${o.type}`).join(', ')}\n`
          : '') +
        (v.runId ? `  from run ${v.runId}\n` : '') +
        v.datasets.map((d) => `  trained on ${d.ref}\n`).join(''),
    );
  });
}
