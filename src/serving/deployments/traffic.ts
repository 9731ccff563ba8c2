/** Traffic changes (canary, A/B variants, shadows, sticky) and the route moves of promote and rollback. */
import type { Context } from '../../context.js';
import { invalidParam } from '../../core/errors.js';
import type { DeploymentSpec, StickySpec, Variant } from '../types.js';
import { DeploymentStateError } from './errors.js';
import { resolveRouteRef, type VersionRef } from './refs.js';
import { normalizeSticky, validateRoutes, validateWeight } from './spec.js';

/** A version given either as a ref (`3`, `@challenger`, `credit@3`) or as a number. */
export interface VersionChoice {
  ref?: VersionRef | undefined;
  version?: number | undefined;
}

/**
 * What a traffic change may set; an absent key leaves that part unchanged, `null` clears it.
 * `canary` with only a weight re-weights the current canary; a new canary needs a weight.
 * `variants` and `shadows` replace the whole list (`[]` clears, like `null`).
 */
export interface TrafficChange {
  canary?: (VersionChoice & { weight?: number | undefined }) | null | undefined;
  variants?: (VersionChoice & { name: string; weight: number })[] | null | undefined;
  shadows?: VersionRef[] | null | undefined;
  sticky?: StickySpec | null | undefined;
}

/** The version a choice names, or undefined when it names none. */
async function chosen(
  ctx: Context,
  model: string,
  c: VersionChoice,
  field: string,
): Promise<number | undefined> {
  if (c.ref !== undefined && c.version !== undefined) {
    throw invalidParam(`${field}: give either ref or version, not both`, field);
  }
  const ref = c.ref ?? c.version;
  return ref === undefined ? undefined : resolveRouteRef(ctx, model, ref, field);
}

/** The spec after `change`, with every ref resolved against the deployment's model and every rule checked. */
export async function applyTraffic(
  ctx: Context,
  name: string,
  spec: DeploymentSpec,
  change: TrafficChange,
): Promise<DeploymentSpec> {
  if (
    change.canary === undefined &&
    change.variants === undefined &&
    change.shadows === undefined &&
    change.sticky === undefined
  ) {
    throw invalidParam('nothing to change: give canary, variants, shadows or sticky', 'traffic');
  }
  const next: DeploymentSpec = { ...spec };

  if (change.canary === null) next.canary = null;
  else if (change.canary !== undefined) {
    const version = await chosen(ctx, spec.model, change.canary, 'canary.ref');
    const weight = change.canary.weight ?? spec.canary?.weight;
    if (version === undefined && !spec.canary) {
      throw new DeploymentStateError(
        `Deployment '${name}' has no canary to re-weight: name the canary version (ref) along with its weight`,
        'canary.ref',
      );
    }
    if (weight === undefined) {
      throw invalidParam(
        'a new canary needs a weight: the percentage of traffic it takes (0–100)',
        'canary.weight',
      );
    }
    validateWeight(weight, 'canary.weight');
    next.canary = { version: version ?? spec.canary!.version, weight };
  }

  if (change.variants === null) next.variants = [];
  else if (change.variants !== undefined) {
    const variants: Variant[] = [];
    for (const [i, v] of change.variants.entries()) {
      const version = await chosen(ctx, spec.model, v, `variants[${i}].ref`);
      if (version === undefined) {
        throw invalidParam(`variant '${v.name}' needs a version (ref)`, `variants[${i}].ref`);
      }
      variants.push({ name: v.name, version, weight: v.weight });
    }
    next.variants = variants;
  }

  if (change.shadows === null) next.shadows = [];
  else if (change.shadows !== undefined) {
    const shadows: number[] = [];
    for (const [i, ref] of change.shadows.entries()) {
      shadows.push(await resolveRouteRef(ctx, spec.model, ref, `shadows[${i}]`));
    }
    next.shadows = shadows;
  }

  if (change.sticky === null) next.sticky = null;
  else if (change.sticky !== undefined) next.sticky = normalizeSticky(change.sticky);

  validateRoutes(next);
  return next;
}

/**
 * Makes `version` the primary: the old primary becomes `previous` (rollback's target), and the
 * new primary leaves the canary and shadow routes it may have held.
 */
export function withPrimary(spec: DeploymentSpec, version: number): DeploymentSpec {
  return {
    ...spec,
    primary: version,
    previous: spec.primary,
    canary: spec.canary && spec.canary.version !== version ? spec.canary : null,
    shadows: spec.shadows.filter((s) => s !== version),
  };
}

/** Promote: the canary becomes the primary and the canary route is cleared. */
export function promoted(name: string, spec: DeploymentSpec): DeploymentSpec {
  if (!spec.canary) {
    throw new DeploymentStateError(
      `Deployment '${name}' has no canary to promote: set a canary first, or switch the primary directly`,
    );
  }
  return { ...withPrimary(spec, spec.canary.version), canary: null };
}

/** Rollback: the previous primary comes back, the rolled-back version becomes `previous`, no canary. */
export function rolledBack(name: string, spec: DeploymentSpec): DeploymentSpec {
  if (spec.previous === null) {
    throw new DeploymentStateError(
      `Deployment '${name}' has no previous primary to roll back to: its primary was never promoted or switched`,
    );
  }
  return { ...withPrimary(spec, spec.previous), canary: null };
}
