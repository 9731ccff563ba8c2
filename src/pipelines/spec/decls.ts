/** `params:` declarations and `triggers:` of a pipeline. */
import { isScalar, type Node } from 'yaml';
import type { Locator, YamlPath } from './locate.js';
import { hasType } from './params.js';
import { PARAM_NAME } from './refs.js';
import { checkCron, checkTimezone } from './schedule.js';
import type { ParamDecl, ParamType, Trigger } from './types.js';

const PARAM_TYPES: readonly ParamType[] = ['string', 'number', 'integer', 'boolean'];
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A default's type: YAML `100` is an integer, `100.0` or `1e2` a number. */
function inferType(value: unknown, node: Node | undefined): ParamType | undefined {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const source = isScalar(node) ? (node as { source?: unknown }).source : undefined;
  const written = typeof source === 'string' ? source : String(value);
  return Number.isSafeInteger(value) && /^[-+]?(\d+|0x[0-9a-f]+|0o[0-7]+)$/i.test(written)
    ? 'integer'
    : 'number';
}

function unknownKey(at: Locator, path: YamlPath, raw: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(raw).find((k) => !allowed.includes(k));
  if (extra !== undefined)
    throw at.error(path, `unknown field '${extra}' (known: ${allowed.join(', ')})`, extra);
}

/** One declared param: `name: default`, or `name: {type, default, enum, description}`. */
export function parseParamDecl(name: string, raw: unknown, path: YamlPath, at: Locator): ParamDecl {
  if (!PARAM_NAME.test(name))
    throw at.error(path, `bad param name '${name}': use letters, digits and '_', not starting with a digit`);
  if (!isRecord(raw)) {
    const type = inferType(raw, at.node(path));
    if (type === undefined)
      throw at.error(path, `needs a default value (a string, number or boolean), or {type, default}`);
    return { name, type, default: raw as ParamDecl['default'] };
  }
  unknownKey(at, path, raw, ['type', 'default', 'enum', 'description']);
  if (raw['type'] !== undefined && !PARAM_TYPES.includes(raw['type'] as ParamType))
    throw at.error(path, `type must be one of ${PARAM_TYPES.join(', ')}`, 'type');
  if (raw['default'] === undefined || raw['default'] === null)
    throw at.error(path, `needs a default value`, raw['default'] === null ? 'default' : undefined);
  const type =
    (raw['type'] as ParamType | undefined) ?? inferType(raw['default'], at.node([...path, 'default']));
  if (type === undefined || !hasType(type, raw['default']))
    throw at.error(
      path,
      `default ${JSON.stringify(raw['default'])} is not ${type ? `a valid ${type}` : 'a string, number or boolean'}`,
      'default',
    );
  const decl: ParamDecl = { name, type, default: raw['default'] };
  if (raw['description'] !== undefined) {
    if (typeof raw['description'] !== 'string')
      throw at.error(path, 'description must be a string', 'description');
    decl.description = raw['description'];
  }
  if (raw['enum'] !== undefined) {
    const values = raw['enum'];
    if (!Array.isArray(values) || values.length === 0)
      throw at.error(path, 'enum must be a non-empty list of values', 'enum');
    values.forEach((v, i) => {
      if (!hasType(type, v))
        throw at.error([...path, 'enum', i], `enum value ${JSON.stringify(v)} is not a ${type}`);
    });
    if (!values.includes(decl.default))
      throw at.error(
        path,
        `default ${JSON.stringify(decl.default)} is not one of the enum values`,
        'default',
      );
    decl.enum = values;
  }
  return decl;
}

const ALERT_FILTERS = ['monitor', 'rule', 'deployment', 'route'] as const;

/** One trigger: `{schedule, timezone?}`, `{alert: {monitor?, rule?, deployment?, route?, on?}}` or `{dataset}`. */
export function parseTrigger(raw: unknown, path: YamlPath, at: Locator): Trigger {
  const kinds = isRecord(raw) ? (['schedule', 'alert', 'dataset'] as const).filter((k) => k in raw) : [];
  if (!isRecord(raw) || kinds.length !== 1)
    throw at.error(
      path,
      kinds.length > 1
        ? `has both '${kinds[0]}' and '${kinds[1]}': one trigger is one of them (add another list item)`
        : `expected one of 'schedule', 'alert' or 'dataset'`,
    );
  const kind = kinds[0]!;
  if (kind === 'schedule') {
    unknownKey(at, path, raw, ['schedule', 'timezone']);
    const cron = raw['schedule'];
    const tz = raw['timezone'] ?? 'UTC';
    if (typeof cron !== 'string')
      throw at.error(path, `schedule must be a cron string such as "0 3 * * *"`, 'schedule');
    if (typeof tz !== 'string')
      throw at.error(path, `timezone must be a string such as Europe/Paris`, 'timezone');
    const badTz = checkTimezone(tz);
    if (badTz) throw at.error(path, badTz, 'timezone');
    const badCron = checkCron(cron, tz);
    if (badCron) throw at.error(path, badCron, 'schedule');
    return { kind: 'schedule', schedule: cron.trim().split(/\s+/).join(' '), timezone: tz };
  }
  if (kind === 'dataset') {
    unknownKey(at, path, raw, ['dataset']);
    const dataset = raw['dataset'];
    if (typeof dataset !== 'string' || dataset === '')
      throw at.error(path, 'dataset must be the name of a dataset', 'dataset');
    return { kind: 'dataset', dataset };
  }
  if ('on' in raw)
    throw at.error(path, `'on' goes inside 'alert:' (alert: { monitor: m, on: updated })`, 'on');
  unknownKey(at, path, raw, ['alert']);
  const alert = raw['alert'];
  const apath = [...path, 'alert'];
  if (!isRecord(alert))
    throw at.error(path, `alert must be a map of filters (monitor, rule, deployment, route)`, 'alert');
  unknownKey(at, apath, alert, [...ALERT_FILTERS, 'on']);
  const out: Trigger = { kind: 'alert', on: 'opened' };
  for (const f of ALERT_FILTERS) {
    const v = alert[f];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') throw at.error(apath, `${f} must be a non-empty string`, f);
    out[f] = v;
  }
  if (!ALERT_FILTERS.some((f) => out[f] !== undefined))
    throw at.error(path, `alert needs at least one of ${ALERT_FILTERS.join(', ')}`, 'alert');
  const on = alert['on'] ?? 'opened';
  if (on !== 'opened' && on !== 'updated') throw at.error(apath, `on must be 'opened' or 'updated'`, 'on');
  out.on = on;
  return out;
}
