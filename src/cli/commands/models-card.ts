import fs from 'node:fs';
import type { Command } from 'commander';
import type { EvalResult } from '../../models/eval/index.js';
import { type ModelCardData, renderCardHtml, renderCardMarkdown } from '../../registry/card/index.js';
import { withKeel } from '../connect.js';

/**
 * `keel models card credit@champion [--md card.md] [--html card.html]`: the model card — intended
 * use, training data and its profile, metrics, slices, fairness, lineage, approvals. Markdown goes
 * to stdout unless written to a file.
 */
export async function run(ref: string, opts: { md?: string; html?: string }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const v = await keel.models.resolve(ref);
    const [model, evaluations, approvals, lineage] = await Promise.all([
      keel.models.get(v.name),
      keel.models.listEvaluations(v.name, v.version),
      keel.models.approvals(`${v.name}@${v.version}`),
      keel.models.lineage(v.name, v.version),
    ]);
    const datasets = await Promise.all(
      v.datasets.map(async (d) => {
        const dv = await keel.datasets.get(d.ref);
        return { ref: dv.ref, rows: dv.rows, contentHash: dv.contentHash, profile: dv.profile ?? null };
      }),
    );
    const meta = v.signature?.metadata ?? {};
    const card: ModelCardData = {
      model: { name: model.name, description: model.description, tags: model.tags },
      version: {
        version: v.version,
        description: v.description,
        createdAt: v.createdAt,
        createdBy: v.createdBy,
        onnxSha256: v.onnx?.sha256 ?? null,
        aliases: v.aliases,
        approval: v.approval,
        tags: v.tags,
      },
      intendedUse: v.tags.intended_use ?? model.tags.intended_use ?? null,
      signature: v.signature
        ? {
            inputs: v.signature.inputs.map((i) => ({ name: i.name, type: i.type, shape: i.shape })),
            outputs: v.signature.outputs.map((o) => ({ name: o.name, type: o.type, shape: o.shape })),
          }
        : null,
      featureSchema: v.featureSchema,
      training: {
        trainer: meta['keel.trainer'] ?? v.params.trainer ?? null,
        task: meta['keel.task'] ?? null,
        target: meta['keel.target'] ?? v.params.target ?? null,
        params: v.params,
        metrics: v.metrics,
      },
      datasets,
      evaluations: evaluations.map((e) => ({
        datasetRef: e.datasetRef,
        createdAt: e.createdAt,
        result: e.result as EvalResult,
      })),
      lineage: {
        runId: lineage.run?.runId ?? null,
        runName: lineage.run?.runName ?? null,
        experiment: lineage.run?.experimentName ?? null,
        gitCommit: lineage.run?.gitCommit ?? null,
        datasets: lineage.datasets.map((d) => d.ref),
        deployments: lineage.deployments,
      },
      approvals: approvals.map((a) => ({
        status: a.status,
        actor: a.actor,
        reason: a.reason || null,
        time: a.time,
      })),
    };
    const md = renderCardMarkdown(card);
    if (opts.md) fs.writeFileSync(opts.md, md);
    if (opts.html) fs.writeFileSync(opts.html, renderCardHtml(card));
    if (!opts.md) process.stdout.write(md);
    for (const f of [opts.md, opts.html].filter(Boolean)) process.stderr.write(`wrote ${f}\n`);
  });
}
