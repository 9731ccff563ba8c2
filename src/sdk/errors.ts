import type { ErrorCode } from '../core/errors.js';

/** An error the Keel API answered with: HTTP status plus the stable code of `{error:{code,message,field?}}`. */
export class KeelApiError extends Error {
  readonly status: number;
  /** A stable code such as RESOURCE_DOES_NOT_EXIST (MLflow's ErrorCode names). */
  readonly code: ErrorCode | (string & {});
  /** The request field the error is about, when the server names one. */
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'KeelApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** Builds the error for a non-2xx answer from its parsed body (or text, when it was not JSON). */
export function apiErrorFrom(status: number, body: unknown): KeelApiError {
  const err = (body as { error?: unknown } | null)?.error;
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; field?: unknown };
    return new KeelApiError(
      status,
      typeof e.code === 'string' ? e.code : `HTTP_${status}`,
      typeof e.message === 'string' ? e.message : `HTTP ${status}`,
      typeof e.field === 'string' ? e.field : undefined,
    );
  }
  // Not our error shape (a proxy, or a framework error raised before Keel's handler ran).
  const b = body as { code?: unknown; message?: unknown } | null;
  const text = typeof body === 'string' ? body.slice(0, 500) : undefined;
  return new KeelApiError(
    status,
    typeof b?.code === 'string' ? b.code : `HTTP_${status}`,
    typeof b?.message === 'string' ? b.message : text || `HTTP ${status}`,
  );
}

/** Whether the server refused the request as such (4xx other than rate limiting): retrying cannot help. */
export const isRejection = (e: unknown): e is KeelApiError =>
  e instanceof KeelApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
