import type { Command } from 'commander';
import pc from 'picocolors';
import { withKeel } from '../connect.js';
import { fmtNumber, fmtTime, printJson, printTable } from '../output.js';

/** `keel models show credit@champion`: one version — signature, features, source, metrics, approval. */
export async function run(ref: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const v = await keel.models.resolve(ref);
    const evaluations = await keel.models.listEvaluations(v.name, v.version);
    if (opts.json) return printJson({ ...v, evaluations });
    const out = process.stdout;
    const a = v.approval;
    out.write(
      `${pc.bold(`${v.name}@${v.version}`)}${v.aliases.length ? `  aliases: ${v.aliases.join(', ')}` : ''}\n` +
        `  approval ${a.status}${a.actor ? ` by ${a.actor}` : ''}${a.reason ? ` — ${a.reason}` : ''}${a.time ? ` (${fmtTime(a.time)})` : ''}\n` +
        `  created ${fmtTime(v.createdAt)} by ${v.createdBy}\n` +
        (v.description ? `  ${v.description}\n` : '') +
        (v.onnx
          ? `  onnx sha256:${v.onnx.sha256} (${v.onnx.size} bytes)\n`
          : '  no ONNX model (registered through MLflow)\n') +
        (v.runId ? `  run ${v.runId}\n` : '') +
        v.datasets.map((d) => `  trained on ${d.ref}\n`).join(''),
    );
    if (v.signature) {
      printTable(
        ['', 'name', 'type', 'shape'],
        [
          ...v.signature.inputs.map((i) => ['input', i.name, i.type, JSON.stringify(i.shape)]),
          ...v.signature.outputs.map((o) => ['output', o.name, o.type, JSON.stringify(o.shape)]),
        ],
      );
    }
    if (v.featureSchema?.length) {
      printTable(
        ['feature', 'type', 'allowed'],
        v.featureSchema.map((f) => [
          f.name,
          f.type,
          f.categories
            ? f.categories.slice(0, 8).join(', ') +
              (f.categories.length > 8 ? ` … (${f.categories.length})` : '')
            : f.min !== undefined && f.max !== undefined
              ? `${fmtNumber(f.min)} … ${fmtNumber(f.max)}`
              : '',
        ]),
      );
    }
    if (Object.keys(v.metrics).length)
      printTable(
        ['metric', 'value'],
        Object.entries(v.metrics).map(([k, x]) => [k, fmtNumber(x)]),
      );
    for (const e of evaluations) {
      const m = (e.result as { metrics?: Record<string, number | null> }).metrics ?? {};
      const head = Object.entries(m)
        .slice(0, 4)
        .map(([k, x]) => `${k} ${x === null ? '—' : fmtNumber(x)}`)
        .join(', ');
      out.write(`  evaluated on ${e.datasetRef ?? '?'} ${fmtTime(e.createdAt)}: ${head}\n`);
    }
  });
}
