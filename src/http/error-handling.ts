// Every failure Fastify sees answers in the one JSON error shape (error-response.ts): validation
// (400, naming the field), unknown routes (404), oversized bodies (413), unsupported media types
// (415), unexpected errors (500, details only in the log), a missing Host header, and the errors
// Fastify raises before routing (bad percent-encoding, over-long path parameters), whose default
// answer echoes the whole URL and has no requestId.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { errorBody, ErrorResponse } from './error-response.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { API_HEADERS } from './security-headers.js';

const MAX_ECHOED_PATH = 100;

function clientMessage(error: FastifyError): string {
  if (error.validation) {
    // Fastify names the part and field, e.g. "querystring/ms must be <= 500".
    return error.message;
  }
  return error.message.split('\n', 1)[0] ?? 'Bad Request';
}

/** Fastify's `frameworkErrors` option: errors raised before routing and before any hook. */
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
  // Raised before the onRequest hooks, so the request id and security headers are set here too.
  void reply
    .code(status)
    .headers(API_HEADERS)
    .header(REQUEST_ID_HEADER, request.id)
    .send(errorBody(status, message, request.id));
}

export default fp(
  function errorHandlingPlugin(app: FastifyInstance) {
    app.addSchema(ErrorResponse);

    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status =
        error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600
          ? error.statusCode
          : 500;
      if (status >= 500) {
        // Internals go to the log, never to the client.
        request.log.error({ err: error }, 'request failed');
        const safe = error.name === 'HttpError' ? error.message : 'Internal Server Error';
        return reply.code(status).send(errorBody(status, safe, request.id));
      }
      return reply.code(status).send(errorBody(status, clientMessage(error), request.id));
    });

    // HTTP/1.1 requires Host (RFC 9112 3.2); Node's own check would answer without a body.
    app.addHook('onRequest', (request, reply, done) => {
      if (request.raw.headers.host === undefined && request.raw.httpVersion === '1.1') {
        void reply.code(400).send(errorBody(400, 'Missing Host header', request.id));
        return;
      }
      done();
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?', 1)[0] ?? '';
      const shown = path.length > MAX_ECHOED_PATH ? `${path.slice(0, MAX_ECHOED_PATH)}...` : path;
      return reply
        .code(404)
        .send(errorBody(404, `No route for ${request.method} ${shown}`, request.id));
    });
  },
  { name: 'error-handling' },
);
