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

/**
 * MLflow and its clients (including MLflow's scoring protocol on /deployments/…/invocations) expect
 * `{error_code, message}`; the Open Inference Protocol expects `{"error": "…"}`; the native API has its own.
 */
export type ErrorStyle = 'mlflow' | 'native' | 'oip';

export const styleFor = (url: string): ErrorStyle =>
  url.startsWith('/api/2.0/') || url.startsWith('/ajax-api/') || url.startsWith('/deployments/')
    ? 'mlflow'
    : url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?')
      ? 'oip'
      : 'native';

/** The body for an error in the caller's protocol. */
export function errorBody(
  style: ErrorStyle,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
) {
  if (style === 'oip') return { error: message };
  return style === 'mlflow'
    ? { error_code: code, message }
    : { error: { code, message, ...(details ?? {}) } };
}

/** One handler turns every error into a response with a stable code; unexpected ones are logged as 500s. */
export function registerErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const style = styleFor(req.url);
    let known: KeelError | null = err instanceof KeelError ? err : fromFastify(err, bodyLimit);
    const scoring = req.url.startsWith('/deployments/');
    // MLflow's scoring server answers an unsupported Content-Type with 415 and the accepted types.
    if (known && scoring && err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      known = new KeelError(
        'UNSUPPORTED_MEDIA_TYPE',
        `This predictor only supports the following content types: ['application/json', 'text/csv']; got '${req.headers['content-type'] ?? ''}'`,
      );
    }
    // MLflow's tracking server reports a bad Content-Type as INVALID_PARAMETER_VALUE (400), not 415.
    if (
      known &&
      style === 'mlflow' &&
      !scoring &&
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
    // Backpressure: tell the client when to come back (whole seconds, at least 1).
    const retryAfterMs = known.details?.retryAfterMs;
    if (known.status === 503 && typeof retryAfterMs === 'number') {
      reply.header('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
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
