import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { invalidParam } from '../../../core/errors.js';
import type { ModelVersion, RegisteredModel } from '../../../registry/types.js';

/**
 * The model registry on MLflow's wire (mlflow/protos/model_registry.proto as protobuf JSON):
 * snake_case, `version` as a decimal string, timestamps as int64 JSON numbers, tags as
 * `[{key, value}]`, empty repeated fields and unset strings omitted.
 */

/**
 * A tag as registry clients send it. Values are strings on the wire; MLflow's Python client
 * stringifies numbers and booleans before sending (`12345` → "12345"), and so does Keel for
 * clients that send them raw.
 */
export const RegistryTagSchema = z.object({
  key: z.string(),
  value: z.union([z.string(), z.number(), z.boolean()]).transform(String),
});

/** Tag list → record; a key given twice keeps its last value, as MLflow's stores do. */
export const tagRecord = (tags: { key: string; value: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));

/** `version` arrives as a string ("3"), or from some clients as a number. */
export const VersionSchema = z.union([z.string(), z.number()]);

/** Parses a wire version number with MLflow's message for anything but a positive integer. */
export function versionNumber(v: string | number): number {
  const s = String(v).trim();
  if (!/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s))) {
    throw invalidParam(`Parameter 'version' must be an integer, got '${String(v)}'.`, 'version');
  }
  return Number(s);
}

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([key, value]) => ({ key, value }));

export const modelVersionToWire = (v: ModelVersion) => ({
  name: v.name,
  version: String(v.version),
  creation_timestamp: v.createdAt,
  last_updated_timestamp: v.updatedAt,
  ...(v.createdBy ? { user_id: v.createdBy } : {}),
  current_stage: v.stage,
  ...(v.description ? { description: v.description } : {}),
  source: v.source,
  ...(v.runId ? { run_id: v.runId } : {}),
  status: v.status,
  ...(Object.keys(v.tags).length ? { tags: tagList(v.tags) } : {}),
  ...(v.runLink ? { run_link: v.runLink } : {}),
  ...(v.aliases.length ? { aliases: [...v.aliases] } : {}),
});

/**
 * `latest_versions` holds the highest version per stage (registry/search.ts
 * latestVersionsByStage). `user_id` is left out as MLflow does ("not currently returned").
 */
export const registeredModelToWire = (m: RegisteredModel, latest: ModelVersion[]) => {
  const aliases = Object.entries(m.aliases).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    name: m.name,
    creation_timestamp: m.createdAt,
    last_updated_timestamp: m.updatedAt,
    ...(m.description ? { description: m.description } : {}),
    ...(latest.length ? { latest_versions: latest.map(modelVersionToWire) } : {}),
    ...(Object.keys(m.tags).length ? { tags: tagList(m.tags) } : {}),
    ...(aliases.length
      ? { aliases: aliases.map(([alias, version]) => ({ alias, version: String(version) })) }
      : {}),
  };
};

/**
 * MLflow's registry DELETE RPCs carry a JSON body (mlflow-js and the Python client send one);
 * some HTTP clients cannot send a body with DELETE, so without one the fields come from the
 * query string instead.
 */
export function jsonBodyOrQuery(scope: FastifyInstance): void {
  scope.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = req.query;
  });
}
