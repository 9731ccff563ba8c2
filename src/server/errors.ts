import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, KeelError } from '../core/errors.js';

/** Fastify's own errors (body parsing, limits, content type) mapped to our stable codes. */
function fromFastify(err: FastifyError, bodyLimit: number): KeelError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new KeelError(
        'PAYLOAD_TOO_LARGE',
        `Request body is larger than the limit of ${bodyLimit} bytes`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new KeelError(
        'BAD_REQUEST',
        `Bad request: ${err.message}. Send a JSON body with Content-Type: application/json`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new KeelError('BAD_REQUEST', 'Bad request: the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new KeelError('BAD_REQUEST', `Malformed JSON body: ${err.message}`);
    default:
      break;
  }
  if (err instanceof SyntaxError || err.statusCode === 400)
    return new KeelError('BAD_REQUEST', `Malformed request: ${err.message}`);
  if (err.statusCode === 413) return new KeelError('PAYLOAD_TOO_LARGE', err.message);
  if (err.statusCode === 415) return new KeelError('UNSUPPORTED_MEDIA_TYPE', err.message);
  return null;
}

/** MLflow and its clients expect `{error_code, message}`; the native API and OIP use their own shapes. */
export type ErrorStyle = 'mlflow' | 'native';

export const styleFor = (url: string): ErrorStyle =>
  url.startsWith('/api/2.0/') || url.startsWith('/ajax-api/') ? 'mlflow' : 'native';

/** The body for an error in the caller's protocol. */
export function errorBody(
  style: ErrorStyle,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
) {
  return style === 'mlflow'
    ? { error_code: code, message }
    : { error: { code, message, ...(details ?? {}) } };
}

/** One handler turns every error into a response with a stable code; unexpected ones are logged as 500s. */
export function registerErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const style = styleFor(req.url);
    let known: KeelError | null = err instanceof KeelError ? err : fromFastify(err, bodyLimit);
    // MLflow reports a bad Content-Type as INVALID_PARAMETER_VALUE (400), not 415.
    if (
      known &&
      style === 'mlflow' &&
      known.code === 'BAD_REQUEST' &&
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
    ) {
      known = new KeelError(
        'INVALID_PARAMETER_VALUE',
        "Bad Request. Content-Type must be one of ['application/json']",
      );
    }
    if (!known) {
      req.log.error({ err }, 'unhandled error');
      return reply.status(500).send(errorBody(style, 'INTERNAL_ERROR', 'Internal server error'));
    }
    return reply.status(known.status).send(errorBody(style, known.code, known.message, known.details));
  });
  app.setNotFoundHandler((req, reply) => {
    const style = styleFor(req.url);
    reply
      .status(404)
      .send(errorBody(style, 'ENDPOINT_NOT_FOUND', `No route for ${req.method} ${req.url.split('?')[0]}`));
  });
}
