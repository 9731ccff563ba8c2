import type { Command } from 'commander';
import pc from 'picocolors';
import { invalidParam } from '../../core/errors.js';
import type { Deployment, DeploymentDetail, TrafficChange } from '../../sdk/deployments.js';
import { withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';

/** `keel deploy …`: create deployments, shift traffic (canary, A/B, shadows), promote and roll back. */

const out = (s: string): void => void process.stdout.write(`${s}\n`);

/** A whole number from a flag, or a clear error naming the flag. */
function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim()))
    throw invalidParam(`${flag} must be a whole number, got '${value}'`, flag);
  return Number(value);
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `600`, `90s`, `10m`, `1h`, `1d` → seconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!m) throw invalidParam(`${flag} must be a duration like 600, 90s, 10m, 1h or 1d, got '${value}'`, flag);
  return Number(m[1]) * UNIT_SECONDS[m[2] || 's']!;
}

/** `a=credit@2:50,b=@challenger:50` → variants (the ref is everything between '=' and the last ':'). */
export function parseVariants(value: string): NonNullable<TrafficChange['variants']> {
  return value.split(',').map((part) => {
    const m = /^\s*([^=\s]+)=(.+):(\d+)%?\s*$/.exec(part);
    if (!m) throw invalidParam(`--ab takes name=<ref>:<weight>,…, got '${part}'`, '--ab');
    return { name: m[1]!, ref: m[2]!, weight: Number(m[3]) };
  });
}

const canaryOf = (d: Deployment): string =>
  d.spec.canary ? `${d.spec.canary.version}@${d.spec.canary.weight}%` : '-';
const variantsOf = (d: Deployment): string =>
  d.spec.variants.map((v) => `${v.name}=${v.version}:${v.weight}%`).join(' ') || '-';
const shadowsOf = (d: Deployment): string => d.spec.shadows.join(',') || '-';

/** The routes of a deployment, one per line, as `show` and every traffic change print them. */
function routeLines(d: Deployment): string[] {
  const s = d.spec;
  const abActive = s.variants.length > 0;
  const lines = [
    `  primary   ${s.model}@${s.primary}${abActive ? pc.dim('  (A/B variants take its traffic)') : ''}`,
  ];
  if (s.canary) lines.push(`  canary    ${s.model}@${s.canary.version}  ${s.canary.weight}% of traffic`);
  for (const v of s.variants) lines.push(`  variant   ${v.name}: ${s.model}@${v.version}  ${v.weight}%`);
  for (const v of s.shadows) lines.push(`  shadow    ${s.model}@${v}  (mirrored, responses discarded)`);
  if (s.sticky) {
    lines.push(
      `  sticky    by ${'header' in s.sticky ? `header ${s.sticky.header}` : `field ${s.sticky.field}`}`,
    );
  }
  if (s.previous !== null) lines.push(pc.dim(`  previous  ${s.model}@${s.previous}  (rollback target)`));
  return lines;
}

const heading = (d: Deployment): string => `${pc.bold(d.name)}  revision ${d.revision}`;

interface JsonOpt {
  json?: boolean;
}

export interface CreateOptions extends JsonOpt {
  model: string;
  description?: string;
  maxBatch?: string;
  maxDelayUs?: string;
  queue?: string;
  timeoutMs?: string;
  workers?: string;
  threads?: string;
  log: boolean;
  logWindow?: string;
  sampleRows?: string;
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** `keel deploy create credit-api --model credit@champion [--max-batch 64 …]`. */
export async function create(name: string, opts: CreateOptions, cmd: Command): Promise<void> {
  const batching = defined({
    maxBatchRows: int(opts.maxBatch, '--max-batch'),
    maxDelayUs: int(opts.maxDelayUs, '--max-delay-us'),
    maxQueueRows: int(opts.queue, '--queue'),
    timeoutMs: int(opts.timeoutMs, '--timeout-ms'),
    workers: int(opts.workers, '--workers'),
    threads: int(opts.threads, '--threads'),
  });
  const log = defined({
    enabled: opts.log === false ? false : undefined,
    windowSeconds: opts.logWindow === undefined ? undefined : parseDuration(opts.logWindow, '--log-window'),
    sampleRows: int(opts.sampleRows, '--sample-rows'),
  });
  await withKeel(cmd, async ({ keel }) => {
    const d = await keel.deployments.create({
      name,
      model: opts.model,
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      ...(Object.keys(batching).length ? { batching } : {}),
      ...(Object.keys(log).length ? { log } : {}),
    });
    if (opts.json) return printJson(d);
    out(`created deployment ${heading(d)}: ${d.spec.model}@${d.spec.primary} (from ${d.sourceRef})`);
  });
}

/** `keel deploy ls`. */
export async function ls(opts: JsonOpt, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const all = await keel.deployments.list();
    if (opts.json) return printJson(all);
    if (all.length === 0) return out('no deployments');
    printTable(
      ['name', 'model', 'primary', 'canary', 'variants', 'shadows', 'revision', 'updated'],
      all.map((d) => [
        d.name,
        d.spec.model,
        d.spec.primary,
        canaryOf(d),
        variantsOf(d),
        shadowsOf(d),
        d.revision,
        fmtTime(d.updatedAt),
      ]),
    );
  });
}

function statusLines(d: DeploymentDetail): string[] {
  if (!d.status) return [pc.dim('  status    not loaded by this server')];
  const lines = [`  status    ${d.status.ready ? pc.green('ready') : pc.yellow('not ready')}`];
  for (const v of d.status.versions) {
    const state = v.state === 'ready' ? pc.green(v.state) : v.state === 'failed' ? pc.red(v.state) : v.state;
    lines.push(
      `    ${d.spec.model}@${v.version}  ${state}${v.routes.length ? `  ${v.routes.join(', ')}` : ''}${v.error ? `  ${pc.red(v.error)}` : ''}`,
    );
  }
  return lines;
}

/** `keel deploy show credit-api`: routes, settings, status. */
export async function show(name: string, opts: JsonOpt, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const d = await keel.deployments.get(name);
    if (opts.json) return printJson(d);
    const b = d.spec.batching;
    const l = d.spec.log;
    out(
      [
        heading(d),
        ...(d.description ? [`  ${d.description}`] : []),
        pc.dim(
          `  created ${fmtTime(d.createdAt)} by ${d.createdBy} from ${d.sourceRef}, updated ${fmtTime(d.updatedAt)}`,
        ),
        ...routeLines(d),
        `  batching  up to ${b.maxBatchRows} rows, wait ≤ ${b.maxDelayUs} µs, queue ${b.maxQueueRows} rows, timeout ${b.timeoutMs} ms, ${b.workers} worker(s) × ${b.threads} thread(s)`,
        `  log       ${l.enabled ? `on, ${l.windowSeconds} s windows, ${l.sampleRows} sampled rows each` : 'off'}`,
        ...statusLines(d),
      ].join('\n'),
    );
  });
}

export interface TrafficOptions extends JsonOpt {
  /** A ref, or false for --no-canary. */
  canary?: string | false;
  weight?: string;
  ab?: string | false;
  shadow?: string[] | false;
  stickyHeader?: string;
  stickyField?: string;
  /** false for --no-sticky. */
  sticky?: boolean;
}

/** The traffic change the flags describe; an error when they describe none or contradict each other. */
export function trafficChange(opts: TrafficOptions): TrafficChange {
  const change: TrafficChange = {};
  const weight = int(opts.weight?.replace(/%$/, ''), '--weight');
  if (opts.canary === false) {
    if (weight !== undefined)
      throw invalidParam('--weight sets the canary; it cannot go with --no-canary', '--weight');
    change.canary = null;
  } else if (opts.canary !== undefined || weight !== undefined) {
    change.canary = {
      ...(opts.canary !== undefined ? { ref: opts.canary } : {}),
      ...(weight !== undefined ? { weight } : {}),
    };
  }
  if (opts.ab === false) change.variants = null;
  else if (opts.ab !== undefined) change.variants = parseVariants(opts.ab);
  if (opts.shadow === false) change.shadows = null;
  else if (opts.shadow !== undefined) change.shadows = opts.shadow;
  const stickies = [opts.stickyHeader, opts.stickyField, opts.sticky === false ? true : undefined];
  if (stickies.filter((s) => s !== undefined).length > 1) {
    throw invalidParam('give one of --sticky-header, --sticky-field or --no-sticky', '--sticky');
  }
  if (opts.stickyHeader !== undefined) change.sticky = { header: opts.stickyHeader };
  else if (opts.stickyField !== undefined) change.sticky = { field: opts.stickyField };
  else if (opts.sticky === false) change.sticky = null;
  if (Object.keys(change).length === 0) {
    throw invalidParam(
      'nothing to change: give --canary/--weight/--no-canary, --ab/--no-ab, --shadow/--no-shadow or --sticky-header/--sticky-field/--no-sticky',
      'traffic',
    );
  }
  return change;
}

/** `keel deploy set-traffic credit-api --canary @challenger --weight 10`. */
export async function setTraffic(name: string, opts: TrafficOptions, cmd: Command): Promise<void> {
  const change = trafficChange(opts);
  await withKeel(cmd, async ({ keel }) => {
    const d = await keel.deployments.setTraffic(name, change);
    if (opts.json) return printJson(d);
    out([heading(d), ...routeLines(d)].join('\n'));
  });
}

/** `keel deploy promote credit-api`: the canary becomes the primary. */
export async function promote(name: string, opts: JsonOpt, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const d = await keel.deployments.promote(name);
    if (opts.json) return printJson(d);
    out(
      `${pc.bold(d.name)}: promoted ${d.spec.model}@${d.spec.primary} to primary (was ${d.spec.previous}; \`keel deploy rollback ${d.name}\` goes back)`,
    );
  });
}

/** `keel deploy rollback credit-api`: the previous primary comes back. */
export async function rollback(name: string, opts: JsonOpt, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const d = await keel.deployments.rollback(name);
    if (opts.json) return printJson(d);
    out(`${pc.bold(d.name)}: rolled back to ${d.spec.model}@${d.spec.primary} (from ${d.spec.previous})`);
  });
}

/** `keel deploy set-primary credit-api credit@4`: switch the primary without a canary. */
export async function setPrimary(name: string, ref: string, opts: JsonOpt, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const d = await keel.deployments.setPrimary(name, ref);
    if (opts.json) return printJson(d);
    out(
      `${pc.bold(d.name)}: primary → ${d.spec.model}@${d.spec.primary}${d.spec.previous !== null ? ` (was ${d.spec.previous})` : ''}`,
    );
  });
}

/** `keel deploy rm credit-api`. */
export async function rm(name: string, _opts: unknown, cmd: Command): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    await keel.deployments.delete(name);
    out(`removed deployment ${name}`);
  });
}
