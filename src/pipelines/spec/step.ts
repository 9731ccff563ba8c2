/** One step of a pipeline: its fields normalised, its references and built-in checked. */
import { isKeelError } from '../../core/errors.js';
import { parseDuration } from '../../monitoring/window.js';
import type { Builtin } from '../steps/types.js';
import { stepStrings } from './dag.js';
import type { Locator, YamlPath } from './locate.js';
import { normaliseWorkspacePath } from './paths.js';
import { PARAM_NAME, RefSyntaxError, STEP_NAME, scanRefs } from './refs.js';
import type { RawStepT } from './schema.js';
import type { ParamDecl, StepSpec } from './types.js';

/** What a step is checked against: the other steps, the declared params, triggers, built-ins. */
export interface StepScope {
  at: Locator;
  steps: ReadonlySet<string>;
  params: Readonly<Record<string, ParamDecl>>;
  hasTriggers: boolean;
  builtins: ReadonlyMap<string, Builtin>;
}

// A built-in may read workspace files (`deps`: a gate policy, an expectations file, data to snapshot),
// but its outputs are its `outputs`, not files.
const CMD_ONLY = ['outs', 'params', 'metrics', 'env'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function paths(list: string[] | undefined, field: string, path: YamlPath, at: Locator): string[] {
  const out: string[] = [];
  (list ?? []).forEach((raw, i) => {
    const p = normaliseWorkspacePath(raw);
    if ('error' in p) throw at.error([...path, field, i], `${field.replace(/s$/, '')} '${raw}' ${p.error}`);
    if (out.includes(p.path)) throw at.error([...path, field, i], `'${p.path}' is listed twice in ${field}`);
    out.push(p.path);
  });
  return out;
}

function timeout(raw: string | number | undefined, path: YamlPath, at: Locator): number | null {
  if (raw === undefined) return null;
  if (typeof raw === 'number')
    throw at.error(path, `timeout ${raw} needs a unit, e.g. ${raw}s or ${raw}m`, 'timeout');
  try {
    return parseDuration(raw, 'timeout');
  } catch (e) {
    throw at.error(path, (e as Error).message, 'timeout');
  }
}

/** Refuses references that can never resolve: an undeclared param, a missing step, no trigger. */
function checkRefs(step: StepSpec, path: YamlPath, scope: StepScope): void {
  stepStrings(step, (s, sub) => {
    const where = [...path, ...sub];
    let refs: ReturnType<typeof scanRefs>;
    try {
      refs = scanRefs(s);
    } catch (e) {
      if (e instanceof RefSyntaxError) throw scope.at.error(where, e.message);
      throw e;
    }
    for (const r of refs) {
      if (r.kind === 'params' && !Object.hasOwn(scope.params, r.name)) {
        const names = Object.keys(scope.params).sort();
        throw scope.at.error(
          where,
          `${r.text} names an undeclared param '${r.name}' (${names.length ? `declared: ${names.join(', ')}` : 'declare it under params:'})`,
        );
      }
      if (r.kind === 'steps' && r.step === step.name)
        throw scope.at.error(where, `${r.text} refers to the step's own outputs`);
      if (r.kind === 'steps' && !scope.steps.has(r.step))
        throw scope.at.error(
          where,
          `${r.text} names a missing step '${r.step}' (steps: ${[...scope.steps].join(', ')})`,
        );
      if (r.kind === 'trigger' && !scope.hasTriggers)
        throw scope.at.error(where, `${r.text} can never resolve: the pipeline has no triggers`);
    }
  });
}

/** Validates `with:` with the built-in's own parser (references left for run time). */
function checkWith(step: StepSpec & { kind: 'uses' }, path: YamlPath, builtin: Builtin, at: Locator): void {
  try {
    builtin.parse(structuredClone(step.with), { resolved: false });
  } catch (e) {
    const field = isKeelError(e) ? e.details?.['field'] : undefined;
    const top = typeof field === 'string' ? field.split(/[.[]/)[0]! : '';
    const where = Object.hasOwn(step.with, top) ? [...path, 'with', top] : [...path, 'with'];
    throw at.error(where, `uses ${step.uses}: ${(e as Error).message}`);
  }
}

/** One step, normalised; throws naming file:line, pipeline, step and field. */
export function parseStep(name: string, raw: RawStepT, path: YamlPath, scope: StepScope): StepSpec {
  const { at } = scope;
  if (!STEP_NAME.test(name) || name.length > 100)
    throw at.error(
      path,
      `bad step name '${name}': use lowercase letters, digits, '_' and '-', starting with a letter`,
    );
  if (raw.cmd !== undefined && raw.uses !== undefined)
    throw at.error(path, `has both 'cmd' and 'uses': a step runs a command or a built-in, not both`, 'uses');
  if (raw.cmd === undefined && raw.uses === undefined)
    throw at.error(path, `needs 'cmd' (a command to run) or 'uses' (a built-in step)`);
  if (raw.cmd?.length === 0) throw at.error(path, `cmd needs at least one command`, 'cmd');
  const after = [...new Set(raw.after ?? [])];
  after.forEach((a, i) => {
    if (a === name) throw at.error([...path, 'after', i], `after: a step cannot wait for itself`);
    if (!scope.steps.has(a))
      throw at.error(
        [...path, 'after', i],
        `after names a missing step '${a}' (steps: ${[...scope.steps].join(', ')})`,
      );
  });
  const base = {
    name,
    line: at.line(path),
    after,
    timeoutMs: timeout(raw.timeout, path, at),
    retries: raw.retries ?? 0,
    cache: raw.cache ?? true,
  };
  let step: StepSpec;
  if (raw.uses !== undefined) {
    const field = CMD_ONLY.find((f) => raw[f] !== undefined);
    if (field)
      throw at.error(path, `'${field}' is only for command steps (cmd), not built-ins (uses)`, field);
    const builtin = scope.builtins.get(raw.uses);
    if (!builtin) {
      const known = [...scope.builtins.keys()].sort();
      throw at.error(
        path,
        `unknown built-in step '${raw.uses}' (known: ${known.length ? known.join(', ') : 'none registered'})`,
        'uses',
      );
    }
    const none = { outs: [], params: [], metrics: [], env: {} };
    const deps = paths(raw.deps, 'deps', path, at);
    step = { ...base, ...none, deps, kind: 'uses', uses: raw.uses, with: raw.with ?? {} };
    checkRefs(step, path, scope);
    checkWith(step, path, builtin, at);
    return step;
  }
  if (raw.with !== undefined)
    throw at.error(path, `'with' passes arguments to a built-in (uses), not to cmd`, 'with');
  const params = raw.params ?? [];
  params.forEach((p, i) => {
    if (!PARAM_NAME.test(p) || !Object.hasOwn(scope.params, p))
      throw at.error([...path, 'params', i], `params names an undeclared param '${p}'`);
  });
  const env = raw.env ?? {};
  for (const k of Object.keys(env))
    if (!ENV_NAME.test(k)) throw at.error([...path, 'env'], `bad environment variable name '${k}'`, k);
  step = {
    ...base,
    kind: 'cmd',
    cmd: raw.cmd!,
    deps: paths(raw.deps, 'deps', path, at),
    outs: paths(raw.outs, 'outs', path, at),
    params: [...new Set(params)],
    metrics: paths(raw.metrics, 'metrics', path, at),
    env,
  };
  checkRefs(step, path, scope);
  return step;
}
