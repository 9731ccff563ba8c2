/**
 * Typed errors. Every error that can reach a user carries a stable code and an HTTP status;
 * the server's error handler and the CLI translate them once. Codes follow MLflow's ErrorCode
 * names so MLflow clients see exactly what they expect.
 */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'BAD_REQUEST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_CONFLICT'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'ENDPOINT_NOT_FOUND'
  | 'INVALID_STATE'
  | 'INTERNAL_ERROR'
  | 'TEMPORARILY_UNAVAILABLE';

const STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  // MLflow maps RESOURCE_ALREADY_EXISTS to 400, not 409; clients depend on it.
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_CONFLICT: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  ENDPOINT_NOT_FOUND: 404,
  INVALID_STATE: 500,
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
};

export class KeelError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Optional machine-readable details (e.g. the offending field). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'KeelError';
    this.code = code;
    this.status = STATUS[code];
    this.details = details;
  }
}

export const invalidParam = (message: string, field?: string): KeelError =>
  new KeelError('INVALID_PARAMETER_VALUE', message, field ? { field } : undefined);

export const notFound = (message: string, field?: string): KeelError =>
  new KeelError('RESOURCE_DOES_NOT_EXIST', message, field ? { field } : undefined);

export const alreadyExists = (message: string): KeelError =>
  new KeelError('RESOURCE_ALREADY_EXISTS', message);

export const isKeelError = (e: unknown): e is KeelError => e instanceof KeelError;
