import { invalidParam } from '../core/errors.js';

/** Parses repeated `key=value` options. */
export function parseKeyValues(items: string[] | undefined, flag: string): { key: string; value: string }[] {
  return (items ?? []).map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalidParam(`${flag} expects key=value, got '${item}'`, flag);
    return { key: item.slice(0, eq), value: item.slice(eq + 1) };
  });
}

/** Repeated `--tag key=value` options as a record. */
export const parseTags = (items: string[]): Record<string, string> =>
  Object.fromEntries(parseKeyValues(items, '--tag').map((t) => [t.key, t.value]));
