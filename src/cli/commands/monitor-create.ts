import fs from 'node:fs';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { invalidParam, KeelError } from '../../core/errors.js';
import { KeelApiError } from '../../sdk/errors.js';
import type { MonitorInput, NewMonitor, NewRule, Severity } from '../../sdk/monitors.js';
import { withKeel } from '../connect.js';
import { printJson } from '../output.js';
import { int, out, summaryLines } from './monitor.js';

/**
 * `keel monitor create <deployment> [flags] [--file monitor.yaml] [--replace]`: a monitor from
 * flags, a YAML file whose keys are the REST API's (flags win), or both.
 */

export interface CreateOptions {
  name?: string;
  window?: string;
  reference?: string;
  delay?: string;
  rule?: string[];
  for?: string;
  cooldown?: string;
  severity?: string;
  channel?: string[];
  driftShare?: string;
  file?: string;
  replace?: boolean;
  json?: boolean;
}

const SEVERITIES = ['info', 'warning', 'critical'];
const KEYS = [
  'name',
  'deployment',
  'window',
  'reference',
  'delay',
  'drift',
  'predictionDrift',
  'quality',
  'performance',
  'estimation',
  'positiveClass',
  'rules',
  'enabled',
];
const DRIFT_KEYS = ['enabled', 'share', 'columns', 'exclude'];
const OVERRIDE_KEYS = ['method', 'threshold'];
const RULE_KEYS = ['name', 'when', 'for', 'cooldown', 'severity', 'channels', 'routes'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks a parsed monitor file's shape; every problem names the file and the key. */
function checkShape(file: string, doc: unknown): NewMonitor {
  const bad = (key: string, problem: string): KeelError =>
    invalidParam(`${file}: ${key} ${problem}`, '--file');
  const keys = (o: Obj, allowed: string[], where: string) => {
    for (const k of Object.keys(o))
      if (!allowed.includes(k))
        throw bad(
          `${where}${k}`,
          `is not a monitor key (${where ? 'use' : 'keys are'} ${allowed.join(', ')})`,
        );
  };
  const str = (o: Obj, k: string, where = '') => {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw bad(`${where}${k}`, 'must be a string');
  };
  const bool = (o: Obj, k: string, where = '') => {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw bad(`${where}${k}`, 'must be true or false');
  };
  const num = (o: Obj, k: string, where = '') => {
    if (o[k] !== undefined && typeof o[k] !== 'number') throw bad(`${where}${k}`, 'must be a number');
  };
  const strings = (o: Obj, k: string, where = '') => {
    if (o[k] !== undefined && !isStrings(o[k])) throw bad(`${where}${k}`, 'must be a list of strings');
  };

  if (doc === null || doc === undefined) throw invalidParam(`${file} is empty`, '--file');
  if (!isObj(doc))
    throw invalidParam(`${file} must be a mapping of monitor keys (${KEYS.join(', ')})`, '--file');
  keys(doc, KEYS, '');
  for (const k of ['name', 'deployment', 'window', 'reference', 'delay']) str(doc, k);
  for (const k of ['predictionDrift', 'quality', 'performance', 'estimation', 'enabled']) bool(doc, k);
  if (doc.positiveClass !== undefined && !['string', 'number'].includes(typeof doc.positiveClass))
    throw bad('positiveClass', 'must be a class label (string or number)');
  if (doc.drift !== undefined) {
    if (!isObj(doc.drift)) throw bad('drift', `must be a mapping (${DRIFT_KEYS.join(', ')})`);
    const d = doc.drift;
    keys(d, DRIFT_KEYS, 'drift.');
    bool(d, 'enabled', 'drift.');
    num(d, 'share', 'drift.');
    strings(d, 'exclude', 'drift.');
    if (d.columns !== undefined) {
      if (!isObj(d.columns)) throw bad('drift.columns', 'must map column names to {method, threshold}');
      for (const [col, o] of Object.entries(d.columns)) {
        const where = `drift.columns.${col}.`;
        if (!isObj(o)) throw bad(`drift.columns.${col}`, 'must be a mapping (method, threshold)');
        keys(o, OVERRIDE_KEYS, where);
        str(o, 'method', where);
        num(o, 'threshold', where);
      }
    }
  }
  if (doc.rules !== undefined) {
    if (!Array.isArray(doc.rules)) throw bad('rules', 'must be a list of rules ({when, …})');
    doc.rules.forEach((r, i) => {
      const where = `rules[${i}].`;
      if (typeof r === 'string') return;
      if (!isObj(r)) throw bad(`rules[${i}]`, `must be a mapping (${RULE_KEYS.join(', ')}) or a rule text`);
      keys(r, RULE_KEYS, where);
      if (typeof r.when !== 'string') throw bad(`${where}when`, "is required: the rule's expression");
      for (const k of ['name', 'cooldown', 'severity']) str(r, k, where);
      if (r.for !== undefined && !Number.isInteger(r.for))
        throw bad(`${where}for`, 'must be a whole number of windows');
      strings(r, 'channels', where);
      if (r.routes !== undefined && r.routes !== null && !isStrings(r.routes))
        throw bad(`${where}routes`, 'must be a list of routes (primary, canary, shadow:3, variant:b)');
    });
    // A bare string is a rule's `when`.
    doc.rules = doc.rules.map((r) => (typeof r === 'string' ? { when: r } : r));
  }
  return doc as unknown as NewMonitor;
}

/** Reads and checks a monitor YAML (or JSON) file; an unreadable or malformed file names itself. */
export function readMonitorFile(file: string): NewMonitor {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw invalidParam(`cannot read ${file}: ${(e as Error).message}`, '--file');
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw invalidParam(`${file} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, '--file');
  return checkShape(file, doc.toJS());
}

/** The monitor the file and flags describe together (flags override the file). */
export function monitorInput(deployment: string | undefined, opts: CreateOptions): NewMonitor {
  const base: Partial<NewMonitor> = opts.file ? readMonitorFile(opts.file) : {};
  const dep = deployment ?? base.deployment;
  if (!dep)
    throw invalidParam(
      'which deployment? keel monitor create <deployment>, or `deployment:` in the --file',
      'deployment',
    );
  if (opts.severity !== undefined && !SEVERITIES.includes(opts.severity))
    throw invalidParam(`--severity must be info, warning or critical, got '${opts.severity}'`, '--severity');
  const shared: Omit<NewRule, 'when'> = {};
  const n = int(opts.for, '--for');
  if (n !== undefined) shared.for = n;
  if (opts.cooldown !== undefined) shared.cooldown = opts.cooldown;
  if (opts.severity !== undefined) shared.severity = opts.severity as Severity;
  if (opts.channel !== undefined) shared.channels = opts.channel;

  let rules = base.rules;
  if (opts.rule !== undefined) rules = opts.rule.map((when) => ({ when, ...shared }));
  else if (Object.keys(shared).length > 0) {
    if (!rules?.length)
      throw invalidParam(
        '--for, --cooldown, --severity and --channel apply to alert rules: give them with --rule "<expr>"',
        '--rule',
      );
    rules = rules.map((r) => ({ ...r, ...shared }));
  }

  const input: NewMonitor = { ...base, deployment: dep };
  if (opts.name !== undefined) input.name = opts.name;
  if (opts.window !== undefined) input.window = opts.window;
  if (opts.reference !== undefined) input.reference = opts.reference;
  if (opts.delay !== undefined) input.delay = opts.delay;
  if (rules !== undefined) input.rules = rules;
  if (opts.driftShare !== undefined) {
    const share = Number(opts.driftShare);
    if (opts.driftShare.trim() === '' || !Number.isFinite(share))
      throw invalidParam(
        `--drift-share must be a number in (0, 1], got '${opts.driftShare}'`,
        '--drift-share',
      );
    input.drift = { ...base.drift, share };
  }
  return input;
}

/** `keel monitor create credit-api --window 1h --rule "psi(salary) > 0.2" …`, or `--replace` to update. */
export async function create(
  deployment: string | undefined,
  opts: CreateOptions,
  cmd: Command,
): Promise<void> {
  const input = monitorInput(deployment, opts);
  await withKeel(cmd, async ({ keel }) => {
    let m: Awaited<ReturnType<typeof keel.monitors.create>>;
    if (opts.replace) {
      const name = input.name ?? input.deployment;
      const before = await keel.monitors.get(name);
      if (before.deployment !== input.deployment)
        throw invalidParam(
          `monitor ${name} watches deployment ${before.deployment}, not ${input.deployment}: a monitor cannot move to another deployment`,
          'deployment',
        );
      const { name: _n, deployment: _d, ...spec } = input;
      m = await keel.monitors.update(name, spec satisfies MonitorInput & { enabled?: boolean | undefined });
    } else {
      try {
        m = await keel.monitors.create(input);
      } catch (e) {
        if (e instanceof KeelApiError && e.code === 'RESOURCE_ALREADY_EXISTS')
          throw new KeelError(
            'RESOURCE_ALREADY_EXISTS',
            `${e.message}: --replace updates it, --name creates another monitor of the deployment`,
          );
        throw e;
      }
    }
    if (opts.json) return printJson(m);
    out(`${opts.replace ? 'replaced' : 'created'} monitor ${summaryLines(m).join('\n')}`);
  });
}
