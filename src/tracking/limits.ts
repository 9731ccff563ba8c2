import { invalidParam } from '../core/errors.js';

/** MLflow's limits (mlflow/utils/validation.py), so clients that fit MLflow fit Keel. */
export const LIMITS = {
  maxMetricsPerBatch: 1000,
  maxParamsTagsPerBatch: 100,
  maxEntitiesPerBatch: 1000,
  maxKeyLength: 250,
  maxParamValueLength: 6000,
  maxTagValueLength: 8000,
  maxExperimentTagValueLength: 5000,
  maxExperimentNameLength: 500,
  maxSearchResults: 50_000,
  defaultSearchResults: 1000,
} as const;

// MLflow's name rule: word characters, '/', '.', '-', ' ' and ':'.
const KEY_RE = /^[/\w.\- :]*$/;

/** Validates a metric/param/tag key: non-empty, ≤ 250 chars, MLflow's characters, no path escape. */
export function validateKey(key: string, what: string): void {
  if (key.length === 0) throw invalidParam(`Missing value for required parameter '${what}'`, what);
  if (key.length > LIMITS.maxKeyLength) {
    throw invalidParam(
      `${what} '${key.slice(0, 40)}…' had length ${key.length}, which exceeded length limit of ${LIMITS.maxKeyLength}`,
      what,
    );
  }
  if (!KEY_RE.test(key)) {
    throw invalidParam(
      `Invalid ${what} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).`,
      what,
    );
  }
  if (key.split('/').includes('..') || key.startsWith('/')) {
    throw invalidParam(
      `Invalid ${what} name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such.`,
      what,
    );
  }
}

/** Validates a value's length against a limit. */
export function validateValueLength(value: string, limit: number, what: string, key: string): void {
  if (value.length > limit) {
    throw invalidParam(
      `${what} value '${value.slice(0, 40)}…' for key '${key}' had length ${value.length}, which exceeded length limit of ${limit}`,
      what,
    );
  }
}
