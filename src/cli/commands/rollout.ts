import fs from 'node:fs';
import type { Command } from 'commander';
import pc from 'picocolors';
import { parse as parseYaml } from 'yaml';
import { invalidParam } from '../../core/errors.js';
import type { CheckResult, Rollout, RolloutDetail, RolloutStatus } from '../../sdk/rollouts.js';
import { rolloutsOf } from '../../sdk/rollouts.js';
import { withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';

/** `keel deploy rollout|rollouts|rollout-abort`: progressive delivery with automatic canary analysis. */

const out = (s: string): void => void process.stdout.write(`${s}\n`);

export interface RolloutOptions {
  steps?: string;
  hold?: string;
  policy?: string;
  minPredictions?: string;
  maxStepDuration?: string;
  /** A name, or false for --no-alias. */
  alias?: string | false;
  key?: string;
  wait?: boolean;
  json?: boolean;
}

/** `10,50,100` (a trailing % allowed) → weights, or an error naming --steps. */
export function parseSteps(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim().replace(/%$/, ''));
  if (parts.some((p) => !/^\d+$/.test(p)))
    throw invalidParam(`--steps takes canary weights like 10,50,100, got '${value}'`, '--steps');
  return parts.map(Number);
}

/** The policy file (YAML or JSON mapping), or an error naming --policy. */
export function readPolicyFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw invalidParam(`--policy: cannot read ${file}: ${(e as Error).message}`, '--policy');
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw invalidParam(`--policy: ${file} is not valid YAML or JSON: ${(e as Error).message}`, '--policy');
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw invalidParam(`--policy: ${file} must hold a mapping of policy fields`, '--policy');
  return doc as Record<string, unknown>;
}

/** The policy the flags describe: the file's, with each given flag replacing its field. */
export function policyFrom(opts: RolloutOptions): Record<string, unknown> {
  const policy: Record<string, unknown> = opts.policy ? readPolicyFile(opts.policy) : {};
  if (opts.steps !== undefined) policy.steps = parseSteps(opts.steps);
  if (opts.hold !== undefined) policy.hold = opts.hold;
  if (opts.minPredictions !== undefined) {
    if (!/^\d+$/.test(opts.minPredictions))
      throw invalidParam(
        `--min-predictions must be a whole number, got '${opts.minPredictions}'`,
        '--min-predictions',
      );
    policy.min_predictions = Number(opts.minPredictions);
  }
  if (opts.maxStepDuration !== undefined) policy.max_step_duration = opts.maxStepDuration;
  if (opts.alias === false) policy.alias = null;
  else if (opts.alias !== undefined) policy.alias = opts.alias;
  return policy;
}

const statusText = (s: RolloutStatus): string =>
  s === 'running'
    ? pc.cyan(s)
    : s === 'succeeded'
      ? pc.green(s)
      : s === 'rolled_back'
        ? pc.red('rolled back')
        : pc.yellow(s);

const stepsText = (r: Rollout): string =>
  r.policy.steps
    .map((s, i) => (r.status === 'running' && i === r.step ? pc.bold(`${s.weight}%`) : `${s.weight}%`))
    .join(' → ');

function summary(r: Rollout): string[] {
  const lines = [
    `${pc.bold(`rollout ${r.id}`)}  ${r.deployment}: ${r.model}@${r.candidate} vs primary @${r.baseline}  ${statusText(r.status)}`,
    `  steps     ${stepsText(r)}${r.policy.alias ? pc.dim(`  (then alias ${r.policy.alias} → @${r.candidate})`) : ''}`,
  ];
  if (r.progress) {
    const p = r.progress;
    lines.push(
      `  step ${p.step + 1}/${r.policy.steps.length}  canary at ${p.weight}%: ${p.canaryRows} canary / ${p.primaryRows} primary rows${p.waitingFor ? `, waiting for ${p.waitingFor}` : ''}`,
    );
  }
  if (r.reason) lines.push(`  reason    ${r.reason}`);
  lines.push(
    pc.dim(
      `  started ${fmtTime(r.createdAt)} by ${r.createdBy}${r.finishedAt ? `, ended ${fmtTime(r.finishedAt)}` : ''}`,
    ),
  );
  return lines;
}

const checkLine = (c: CheckResult): string => {
  const mark =
    c.status === 'passed' ? pc.green('pass') : c.status === 'failed' ? pc.red('FAIL') : pc.dim('skip');
  return `      ${mark}  ${c.check.padEnd(11)} ${c.message}`;
};

function detail(r: RolloutDetail): string[] {
  const lines = summary(r);
  for (const d of r.decisions) {
    lines.push(
      `  ${fmtTime(d.at)}  ${pc.bold(d.kind.replace('_', ' '))} (step ${d.step + 1}, ${d.weight}%) by ${d.actor}: ${d.reason}`,
    );
    const checks = (d.evidence as { checks?: CheckResult[] }).checks ?? [];
    for (const c of checks) lines.push(checkLine(c));
  }
  return lines;
}

/** `keel deploy rollout credit-api credit@4 [--steps 10,50,100] [--hold 1000p] [--policy file]`. */
export async function start(
  deployment: string,
  model: string,
  opts: RolloutOptions,
  cmd: Command,
): Promise<void> {
  const policy = policyFrom(opts);
  await withKeel(cmd, async ({ keel, mode }) => {
    // The controller runs in `keel server`: on a bare data dir nothing would ever end the wait.
    if (opts.wait && mode === 'local')
      throw invalidParam(
        '--wait needs a running keel server (--url or KEEL_URL) to move the rollout on',
        '--wait',
      );
    const rollouts = rolloutsOf(keel);
    let r = await rollouts.start(deployment, { model, policy, ...(opts.key ? { key: opts.key } : {}) });
    if (!opts.json) out(summary(r).join('\n'));
    if (!opts.json && mode === 'local')
      out(pc.dim('  (local data dir: the rollout moves on while `keel server` runs on it)'));
    if (opts.wait) {
      r = await rollouts.wait(deployment, r.id);
      if (!opts.json) out(detail(r).join('\n'));
    }
    if (opts.json) printJson(r);
    if (opts.wait && r.status !== 'succeeded') process.exitCode = 1;
  });
}

/** `keel deploy rollouts credit-api [id]`: the deployment's rollouts, or one with its decisions. */
export async function list(
  deployment: string,
  id: string | undefined,
  opts: { status?: RolloutStatus; json?: boolean },
  cmd: Command,
): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const rollouts = rolloutsOf(keel);
    if (id !== undefined) {
      if (!/^\d+$/.test(id)) throw invalidParam(`rollout id must be a number, got '${id}'`, 'id');
      const r = await rollouts.get(deployment, Number(id));
      if (opts.json) return printJson(r);
      return out(detail(r).join('\n'));
    }
    const all = await rollouts.list(deployment, opts.status ? { status: opts.status } : {});
    if (opts.json) return printJson(all);
    if (all.length === 0) return out(`no rollouts of ${deployment}`);
    printTable(
      ['id', 'candidate', 'baseline', 'status', 'steps', 'step', 'started', 'reason'],
      all.map((r) => [
        r.id,
        `${r.model}@${r.candidate}`,
        r.baseline,
        r.status,
        r.policy.steps.map((s) => s.weight).join('→'),
        r.status === 'running' ? `${r.step + 1}/${r.policy.steps.length}` : '',
        fmtTime(r.createdAt),
        r.reason ?? '',
      ]),
    );
  });
}

/** `keel deploy rollout-abort credit-api 3 [--reason text]`. */
export async function abort(
  deployment: string,
  id: string,
  opts: { reason?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  if (!/^\d+$/.test(id)) throw invalidParam(`rollout id must be a number, got '${id}'`, 'id');
  await withKeel(cmd, async ({ keel }) => {
    const r = await rolloutsOf(keel).abort(deployment, Number(id), opts.reason);
    if (opts.json) return printJson(r);
    out(summary(r).join('\n'));
  });
}
