/** Shared by the registry modules: name rules, row loading and row → domain mapping. */
import { decodeDouble, encodeDouble } from '../core/doubles.js';
import { invalidParam, notFound } from '../core/errors.js';
import type { Db } from '../store/db.js';
import type { ModelVersionsTable, RegisteredModelsTable } from '../store/schema.js';
import { validateKey, validateValueLength } from '../tracking/limits.js';
import type {
  ApprovalStatus,
  FeatureSchemaEntry,
  ModelDataset,
  ModelSignature,
  ModelVersion,
  RegisteredModel,
} from './types.js';

export const MAX_MODEL_NAME_LENGTH = 256;
/** MLflow's limit for registry tag values (MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH). */
export const MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000;
export const MAX_DESCRIPTION_LENGTH = 100_000;

const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * A model name appears in refs (`name@alias`), URLs and `models:/name/1` URIs, so '@' and '/' are
 * refused along with control characters; otherwise MLflow's rule (any non-empty string) holds.
 */
export function validateModelName(name: string, field = 'name'): void {
  if (name === '') throw invalidParam(`Missing value for required parameter '${field}'`, field);
  if (name.length > MAX_MODEL_NAME_LENGTH) {
    throw invalidParam(
      `Invalid model name: ${field} has ${name.length} characters, more than the limit of ${MAX_MODEL_NAME_LENGTH}`,
      field,
    );
  }
  if (name.includes('@') || name.includes('/') || CONTROL_RE.test(name) || name.trim() !== name) {
    throw invalidParam(
      `Invalid model name '${name}': it may not contain '@', '/' or control characters, nor start or end with a space`,
      field,
    );
  }
}

/** A version number: a positive integer (MLflow sends it as a string). */
export function validateVersionNumber(version: number): void {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw invalidParam(`Parameter 'version' must be an integer ≥ 1, got ${version}`, 'version');
  }
}

export function validateRegistryTag(key: string, value: string): void {
  validateKey(key, 'key');
  validateValueLength(value, MAX_REGISTRY_TAG_VALUE_LENGTH, 'tag', key);
}

export function validateDescription(description: string | undefined): void {
  if (description !== undefined && description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalidParam(
      `description has ${description.length} characters, more than the limit of ${MAX_DESCRIPTION_LENGTH}`,
      'description',
    );
  }
}

export const modelNotFound = (name: string) =>
  notFound(`Registered Model with name=${name} not found`, 'name');
export const versionNotFound = (name: string, version: number) =>
  notFound(`Model Version (name=${name}, version=${version}) not found`, 'version');

export async function requireModelRow(db: Db, name: string): Promise<RegisteredModelsTable> {
  const row = await db
    .selectFrom('registered_models')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw modelNotFound(name);
  return row;
}

export async function requireVersionRow(db: Db, name: string, version: number): Promise<ModelVersionsTable> {
  validateVersionNumber(version);
  const row = await db
    .selectFrom('model_versions')
    .selectAll()
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) {
    await requireModelRow(db, name);
    throw versionNotFound(name, version);
  }
  return row;
}

/** Marks the model as changed (MLflow bumps it on version create/delete and stage moves). */
export async function touchModel(db: Db, name: string, now: number): Promise<void> {
  await db.updateTable('registered_models').set({ updated_at: now }).where('name', '=', name).execute();
}

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

export const encodeMetrics = (m: Record<string, number>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, encodeDouble(v)])));

const decodeMetrics = (s: string): Record<string, number> =>
  Object.fromEntries(
    Object.entries(JSON.parse(s) as Record<string, unknown>).map(([k, v]) => [k, decodeDouble(v)]),
  );

/** A version row plus its tags and aliases as the domain type. */
export function toModelVersion(
  r: ModelVersionsTable,
  tags: Record<string, string>,
  aliases: string[],
): ModelVersion {
  return {
    name: r.name,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: r.created_by,
    description: r.description,
    source: r.source,
    runId: r.run_id,
    runLink: r.run_link,
    status: 'READY',
    stage: r.current_stage,
    onnx: r.onnx_sha256 !== null ? { sha256: r.onnx_sha256, size: r.onnx_size ?? 0 } : null,
    signature: parse<ModelSignature>(r.signature),
    featureSchema: parse<FeatureSchemaEntry[]>(r.feature_schema),
    datasets: JSON.parse(r.datasets) as ModelDataset[],
    metrics: decodeMetrics(r.metrics),
    params: JSON.parse(r.params) as Record<string, string>,
    approval: {
      status: r.approval_status as ApprovalStatus,
      actor: r.approval_actor,
      reason: r.approval_reason,
      time: r.approval_time,
    },
    aliases,
    tags,
  };
}

/** Full versions for rows of one or more models: tags and aliases in two queries. */
export async function loadVersions(db: Db, rows: ModelVersionsTable[]): Promise<ModelVersion[]> {
  if (rows.length === 0) return [];
  const names = [...new Set(rows.map((r) => r.name))];
  const [tags, aliases] = await Promise.all([
    db.selectFrom('model_version_tags').selectAll().where('name', 'in', names).execute(),
    db.selectFrom('model_aliases').selectAll().where('name', 'in', names).orderBy('alias').execute(),
  ]);
  const key = (name: string, version: number) => `${version}\0${name}`;
  const tagsOf = new Map<string, Record<string, string>>();
  for (const t of tags) {
    const k = key(t.name, t.version);
    const m = tagsOf.get(k) ?? {};
    m[t.key] = t.value;
    tagsOf.set(k, m);
  }
  const aliasesOf = new Map<string, string[]>();
  for (const a of aliases) {
    const k = key(a.name, a.version);
    aliasesOf.set(k, [...(aliasesOf.get(k) ?? []), a.alias]);
  }
  return rows.map((r) =>
    toModelVersion(r, tagsOf.get(key(r.name, r.version)) ?? {}, aliasesOf.get(key(r.name, r.version)) ?? []),
  );
}

/** Full registered models for rows: tags, aliases and latest version number in three queries. */
export async function loadModels(db: Db, rows: RegisteredModelsTable[]): Promise<RegisteredModel[]> {
  if (rows.length === 0) return [];
  const out: RegisteredModel[] = [];
  // Keeps each IN (...) list well under SQLite's bind-parameter limit.
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    const names = chunk.map((r) => r.name);
    const [tags, aliases, latest] = await Promise.all([
      db.selectFrom('registered_model_tags').selectAll().where('name', 'in', names).execute(),
      db.selectFrom('model_aliases').selectAll().where('name', 'in', names).orderBy('alias').execute(),
      db
        .selectFrom('model_versions')
        .select((eb) => ['name', eb.fn.max('version').as('v')])
        .where('name', 'in', names)
        .groupBy('name')
        .execute(),
    ]);
    const byName = new Map<string, RegisteredModel>();
    for (const r of chunk) {
      const m: RegisteredModel = {
        name: r.name,
        description: r.description,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        createdBy: r.created_by,
        tags: {},
        aliases: {},
        latestVersion: null,
      };
      byName.set(r.name, m);
      out.push(m);
    }
    for (const t of tags) {
      const m = byName.get(t.name);
      if (m) m.tags[t.key] = t.value;
    }
    for (const a of aliases) {
      const m = byName.get(a.name);
      if (m) m.aliases[a.alias] = a.version;
    }
    for (const l of latest) {
      const m = byName.get(l.name);
      if (m && l.v !== null) m.latestVersion = Number(l.v);
    }
  }
  return out;
}
