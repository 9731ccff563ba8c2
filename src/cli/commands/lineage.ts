import type { Command } from 'commander';
import pc from 'picocolors';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';

/**
 * `keel lineage credit@champion`: dataset versions → run (params, code version) → model version →
 * aliases and deployments, drawn as a tree.
 */
export async function run(ref: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const v = await keel.models.resolve(ref);
    const g = await keel.models.lineage(v.name, v.version);
    if (opts.json) return printJson(g);
    const out: string[] = [];
    const datasets = g.datasets.length ? g.datasets : [];
    for (const d of datasets)
      out.push(`${pc.cyan('data')}  ${pc.bold(d.ref)}  ${d.contentHash.slice(0, 12)}  ${d.rows} rows`);
    if (datasets.length === 0) out.push(pc.dim('data  (no dataset versions recorded)'));
    const r = g.run;
    if (r) {
      out.push(
        `  └─▶ ${pc.cyan('run')}  ${pc.bold(r.runId)}  '${r.runName}' in experiment '${r.experimentName}'`,
      );
      out.push(
        `        code    ${r.gitCommit ? `git ${r.gitCommit}` : pc.dim('no git commit recorded')}${r.sourceName ? `  (${r.sourceName})` : ''}`,
      );
      const params = Object.entries(r.params).filter(([k]) => k !== 'features');
      if (params.length) out.push(`        params  ${params.map(([k, x]) => `${k}=${x}`).join(' ')}`);
    } else out.push(pc.dim('  └─▶ run   (registered from a file, no run)'));
    const a = g.version.approval;
    out.push(
      `        └─▶ ${pc.cyan('model')}  ${pc.bold(`${g.version.name}@${g.version.version}`)}  ${a.status}${a.actor ? ` by ${a.actor}` : ''}${g.version.onnx ? `  onnx ${g.version.onnx.sha256.slice(0, 12)}` : ''}`,
    );
    out.push(
      `              ├─▶ ${pc.cyan('aliases')}  ${g.aliases.length ? g.aliases.join(', ') : pc.dim('none')}`,
    );
    const deployed = g.deployments.map((d) => `${d.name} (${d.routes.join(', ')})`);
    out.push(
      `              └─▶ ${pc.cyan('deployed')}  ${deployed.length ? deployed.join(', ') : pc.dim('none')}`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
