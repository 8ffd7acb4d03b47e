// Answers the errors Fastify raises before routing (a URL that is not valid percent-encoding, a
// path parameter over the length limit) in the one JSON error shape. Fastify's default echoes
// the whole URL back and has no requestId. Passed to Fastify as `frameworkErrors`.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { API_HEADERS } from './security-headers.js';

export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = error.statusCode ?? 400;
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path parameter is too long'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'Malformed URL: invalid percent-encoding'
        : 'Bad Request';
  // Raised before the onRequest hooks, so the security headers are set here too.
  void reply
    .code(status)
    .headers(API_HEADERS)
    .header(REQUEST_ID_HEADER, request.id)
    .send(errorBody(status, message, request.id));
}
