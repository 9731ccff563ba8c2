import type { Context } from '../context.js';
import { invalidParam, notFound } from '../core/errors.js';
import { getVersionByAlias } from './aliases.js';
import { requireModelRow, validateModelName } from './rows.js';
import type { ModelVersion } from './types.js';
import { getModelVersion } from './versions.js';

/** A parsed model reference: a version number, an alias, or neither (latest approved). */
export type ModelRef =
  | { name: string; version: number; alias?: undefined }
  | { name: string; alias: string; version?: undefined }
  | { name: string; version?: undefined; alias?: undefined };

/**
 * Parses `name@<version>`, `name@<alias>` or `name`; MLflow's `models:/name/<version>` and
 * `models:/name@<alias>` are read the same way.
 */
export function parseModelRef(ref: string): ModelRef {
  let s = ref;
  const uri = /^models:\/+(.*)$/.exec(ref);
  if (uri) {
    s = uri[1] ?? '';
    const slash = /^([^/@]+)\/(\d+)$/.exec(s);
    if (slash) s = `${slash[1]}@${slash[2]}`;
  }
  const at = s.indexOf('@');
  const name = at < 0 ? s : s.slice(0, at);
  const sel = at < 0 ? undefined : s.slice(at + 1);
  if (name === '' || sel === '') {
    throw invalidParam(`Invalid model reference '${ref}': use name, name@<version> or name@<alias>`, 'ref');
  }
  validateModelName(name, 'ref');
  if (sel === undefined) return { name };
  if (/^\d+$/.test(sel)) {
    const version = Number(sel);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw invalidParam(`Invalid model reference '${ref}': versions are numbered from 1`, 'ref');
    }
    return { name, version };
  }
  return { name, alias: sel };
}

/** The version a reference names; the bare name means its highest-numbered approved version. */
export async function resolveModelRef(ctx: Context, ref: string): Promise<ModelVersion> {
  const r = parseModelRef(ref);
  if (r.version !== undefined) return getModelVersion(ctx, r.name, r.version);
  if (r.alias !== undefined) return getVersionByAlias(ctx, r.name, r.alias);
  await requireModelRow(ctx.store.db, r.name);
  const latest = await ctx.store.db
    .selectFrom('model_versions')
    .select('version')
    .where('name', '=', r.name)
    .where('approval_status', '=', 'approved')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!latest) {
    throw notFound(
      `${r.name} has no approved version; name one as ${r.name}@<version> or ${r.name}@<alias>`,
      'ref',
    );
  }
  return getModelVersion(ctx, r.name, latest.version);
}
