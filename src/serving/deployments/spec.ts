/**
 * Pure rules of a deployment spec: names, batching and log settings, and the invariants that
 * hold between routes. Every write builds the whole next spec and checks it here before anything
 * is loaded or stored.
 */
import { invalidParam } from '../../core/errors.js';
import {
  type BatchingSpec,
  DEFAULT_BATCHING,
  DEFAULT_LOG,
  type DeploymentSpec,
  type LogSpec,
  type RouteName,
  type StickySpec,
  type Variant,
} from '../types.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
const VARIANT_RE = /^[a-z0-9][a-z0-9_-]*$/;
const MAX_VARIANT_NAME = 64;
const RESERVED_VARIANTS = new Set(['primary', 'canary', 'shadow']);
// RFC 9110 token characters: what a header name may contain.
const HEADER_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const MAX_STICKY_KEY = 256;

/** Deployment names appear in URLs and metric labels: a letter or digit, then up to 63 of `[a-zA-Z0-9_.-]`. */
export function validateDeploymentName(name: string, field = 'name'): void {
  if (!NAME_RE.test(name)) {
    throw invalidParam(
      `Invalid deployment name '${name}': use 1–64 letters, digits, '_', '.' or '-', starting with a letter or digit`,
      field,
    );
  }
}

function intIn(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParam(`${field} must be an integer from ${min} to ${max}, got ${value}`, field);
  }
}

/** Rows that may wait in one version's queue, at most; far beyond any sane memory budget. */
export const MAX_QUEUE_ROWS = 16_777_216;

/** `base` with `patch` applied, checked: every value in range and the queue at least one batch. */
export function mergeBatching(base: BatchingSpec, patch: Partial<BatchingSpec> | undefined): BatchingSpec {
  const b: BatchingSpec = {
    maxBatchRows: patch?.maxBatchRows ?? base.maxBatchRows,
    maxDelayUs: patch?.maxDelayUs ?? base.maxDelayUs,
    maxQueueRows: patch?.maxQueueRows ?? base.maxQueueRows,
    timeoutMs: patch?.timeoutMs ?? base.timeoutMs,
    workers: patch?.workers ?? base.workers,
    threads: patch?.threads ?? base.threads,
  };
  intIn(b.maxBatchRows, 1, 65_536, 'batching.maxBatchRows');
  intIn(b.maxDelayUs, 0, 1_000_000, 'batching.maxDelayUs');
  intIn(b.maxQueueRows, 1, MAX_QUEUE_ROWS, 'batching.maxQueueRows');
  intIn(b.timeoutMs, 1, 600_000, 'batching.timeoutMs');
  intIn(b.workers, 1, 16, 'batching.workers');
  intIn(b.threads, 1, 16, 'batching.threads');
  if (b.maxQueueRows < b.maxBatchRows) {
    throw invalidParam(
      `batching.maxQueueRows (${b.maxQueueRows}) must be at least batching.maxBatchRows (${b.maxBatchRows})`,
      'batching.maxQueueRows',
    );
  }
  return b;
}

/** `base` with `patch` applied, checked. */
export function mergeLog(base: LogSpec, patch: Partial<LogSpec> | undefined): LogSpec {
  const l: LogSpec = {
    enabled: patch?.enabled ?? base.enabled,
    windowSeconds: patch?.windowSeconds ?? base.windowSeconds,
    sampleRows: patch?.sampleRows ?? base.sampleRows,
  };
  if (typeof l.enabled !== 'boolean') throw invalidParam('log.enabled must be true or false', 'log.enabled');
  intIn(l.windowSeconds, 10, 86_400, 'log.windowSeconds');
  intIn(l.sampleRows, 0, 1_000_000, 'log.sampleRows');
  return l;
}

export const defaultSettings = () => ({ batching: { ...DEFAULT_BATCHING }, log: { ...DEFAULT_LOG } });

/** A traffic percentage: an integer from 0 to 100. */
export function validateWeight(weight: number, field: string): void {
  intIn(weight, 0, 100, field);
}

/** A variant name: lowercase letters, digits, '_' and '-'; not one of the fixed route names. */
export function validateVariantName(name: string, field: string): void {
  if (!VARIANT_RE.test(name) || name.length > MAX_VARIANT_NAME) {
    throw invalidParam(
      `Invalid variant name '${name}': use up to ${MAX_VARIANT_NAME} lowercase letters, digits, '_' or '-', starting with a letter or digit`,
      field,
    );
  }
  if (RESERVED_VARIANTS.has(name)) {
    throw invalidParam(`Variant name '${name}' is reserved for the ${name} route`, field);
  }
}

/** Sticky keys: header names are case-insensitive, so they are stored lowercased. */
export function normalizeSticky(sticky: StickySpec): StickySpec {
  if ('header' in sticky && typeof sticky.header === 'string') {
    const h = sticky.header.trim();
    if (!HEADER_RE.test(h) || h.length > MAX_STICKY_KEY) {
      throw invalidParam(`Invalid sticky header name '${sticky.header}'`, 'sticky.header');
    }
    return { header: h.toLowerCase() };
  }
  if ('field' in sticky && typeof sticky.field === 'string') {
    if (sticky.field === '' || sticky.field.length > MAX_STICKY_KEY) {
      throw invalidParam(
        `sticky.field must be a record field name of 1–${MAX_STICKY_KEY} characters`,
        'sticky.field',
      );
    }
    return { field: sticky.field };
  }
  throw invalidParam('sticky must be {header} or {field}', 'sticky');
}

/**
 * Checks the invariants between routes: the canary is not the primary, a canary and an A/B test
 * are not both active, variants have distinct valid names and weights summing to 100, and
 * shadows are distinct and not the primary.
 */
export function validateRoutes(spec: DeploymentSpec): void {
  const { primary, canary, variants, shadows } = spec;
  if (canary) {
    validateWeight(canary.weight, 'canary.weight');
    if (canary.version === primary) {
      throw invalidParam(
        `the canary cannot be version ${primary}: it is already the primary`,
        'canary.version',
      );
    }
  }
  if (variants.length > 0) {
    if (canary) {
      throw invalidParam(
        `a deployment routes a canary (version ${canary.version}) or an A/B test, not both: clear the canary first`,
        'variants',
      );
    }
    if (variants.length < 2) throw invalidParam('an A/B test needs at least two variants', 'variants');
    const names = new Set<string>();
    let total = 0;
    variants.forEach((v, i) => {
      validateVariantName(v.name, `variants[${i}].name`);
      if (names.has(v.name)) throw invalidParam(`variant '${v.name}' is named twice`, `variants[${i}].name`);
      names.add(v.name);
      validateWeight(v.weight, `variants[${i}].weight`);
      total += v.weight;
    });
    if (total !== 100) {
      throw invalidParam(
        `variant weights must sum to 100, got ${variants.map((v) => `${v.name}=${v.weight}`).join(' + ')} = ${total}`,
        'variants',
      );
    }
  }
  const seen = new Set<number>();
  for (const [i, s] of shadows.entries()) {
    if (s === primary) {
      throw invalidParam(`version ${s} is the primary; it cannot also be a shadow`, `shadows[${i}]`);
    }
    if (seen.has(s)) throw invalidParam(`version ${s} is listed twice as a shadow`, `shadows[${i}]`);
    seen.add(s);
  }
}

/** The spec with its keys in one fixed order: stored JSON and change detection compare equal specs equal. */
export function normalizeSpec(s: DeploymentSpec): DeploymentSpec {
  return {
    model: s.model,
    primary: s.primary,
    previous: s.previous,
    canary: s.canary ? { version: s.canary.version, weight: s.canary.weight } : null,
    variants: s.variants.map((v: Variant) => ({ name: v.name, version: v.version, weight: v.weight })),
    shadows: [...s.shadows],
    sticky: s.sticky
      ? 'header' in s.sticky
        ? { header: s.sticky.header }
        : { field: s.sticky.field }
      : null,
    batching: mergeBatching(s.batching, undefined),
    log: mergeLog(s.log, undefined),
  };
}

/** The routes through which `version` serves traffic under `spec` (empty when it serves none). */
export function routesOf(spec: DeploymentSpec, version: number): RouteName[] {
  const routes: RouteName[] = [];
  if (spec.primary === version) routes.push('primary');
  if (spec.canary?.version === version) routes.push('canary');
  for (const v of spec.variants) if (v.version === version) routes.push(`variant:${v.name}`);
  if (spec.shadows.includes(version)) routes.push('shadow');
  return routes;
}

/** Every version the spec keeps loaded: its routes plus the previous primary (rollback's target). */
export function versionsOf(spec: DeploymentSpec): number[] {
  const all = [
    spec.primary,
    ...(spec.canary ? [spec.canary.version] : []),
    ...spec.variants.map((v) => v.version),
    ...spec.shadows,
    ...(spec.previous !== null ? [spec.previous] : []),
  ];
  return [...new Set(all)].sort((a, b) => a - b);
}
