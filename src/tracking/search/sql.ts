import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { invalidParam } from '../../core/errors.js';
import type { Comparator } from './filter.js';

/**
 * Renders one comparison for a parsed MLflow clause. LIKE is case-sensitive on both dialects
 * (SQLite runs with case_sensitive_like); ILIKE lowers both sides, which both dialects share.
 */
export function compare(
  // biome-ignore lint/suspicious/noExplicitAny: shared by queries over different table sets
  eb: ExpressionBuilder<any, any>,
  column: Expression<unknown> | string,
  comparator: Comparator,
  value: number | string | string[],
): Expression<SqlBool> {
  const col = typeof column === 'string' ? eb.ref(column) : column;
  switch (comparator) {
    case 'IN':
      return eb(col, 'in', value as string[]);
    case 'NOT IN':
      return eb(col, 'not in', value as string[]);
    case 'LIKE':
      return eb(col, 'like', value as string);
    case 'ILIKE':
      return sql<SqlBool>`lower(${col}) like lower(${value as string})`;
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return eb(col, comparator === '!=' ? '<>' : comparator, value as number | string);
  }
}

/** Offset-based page tokens: opaque to clients, stable for an unchanged result set. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) {
      return parsed.offset;
    }
  } catch {
    // fall through to the error below
  }
  throw invalidParam(`Invalid page token, could not decode '${token.slice(0, 40)}'`, 'page_token');
}
