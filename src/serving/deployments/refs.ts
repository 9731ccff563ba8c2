/** Turning the refs a user writes into versions of a deployment's model that can serve. */
import type { Context } from '../../context.js';
import { invalidParam } from '../../core/errors.js';
import { parseModelRef, resolveModelRef } from '../../registry/resolve.js';
import type { ModelVersion } from '../../registry/types.js';
import { getModelVersion } from '../../registry/versions.js';

/** A version of the deployment's model: `3`, `"3"`, `"@3"`, `"@challenger"`, `"credit@3"`, `"credit@challenger"`, `"credit"`. */
export type VersionRef = string | number;

/** A version can serve only with an ONNX file, and not after a reviewer rejected it. */
export function requireServable(v: ModelVersion, field: string): void {
  if (!v.onnx) {
    throw invalidParam(
      `${v.name}@${v.version} has no ONNX model (registered through MLflow without model.onnx); only ONNX versions can be deployed`,
      field,
    );
  }
  if (v.approval.status === 'rejected') {
    throw invalidParam(`${v.name}@${v.version} was rejected in review; it cannot serve traffic`, field);
  }
}

/** The servable version a deployment is created from (any model's ref). */
export async function resolveSourceRef(ctx: Context, ref: string, field = 'model'): Promise<ModelVersion> {
  if (ref === '') throw invalidParam(`Missing value for required parameter '${field}'`, field);
  const v = await resolveModelRef(ctx, ref);
  requireServable(v, field);
  return v;
}

/**
 * The servable version of `model` that `ref` names. A bare number or `@selector` is read against
 * `model`; a full ref must name `model` itself, since every route of a deployment serves one model.
 */
export async function resolveRouteRef(
  ctx: Context,
  model: string,
  ref: VersionRef,
  field: string,
): Promise<number> {
  let v: ModelVersion;
  if (typeof ref === 'number') {
    if (!Number.isSafeInteger(ref) || ref < 1) {
      throw invalidParam(`${field}: versions are numbered from 1, got ${ref}`, field);
    }
    v = await getModelVersion(ctx, model, ref);
  } else {
    const s = ref.trim();
    if (s === '') throw invalidParam(`Missing value for required parameter '${field}'`, field);
    const full = /^\d+$/.test(s) ? `${model}@${s}` : s.startsWith('@') ? `${model}${s}` : s;
    const named = parseModelRef(full).name;
    if (named !== model) {
      throw invalidParam(
        `${field} '${s}' names model '${named}', but every route of this deployment serves model '${model}'`,
        field,
      );
    }
    v = await resolveModelRef(ctx, full);
  }
  requireServable(v, field);
  return v.version;
}
