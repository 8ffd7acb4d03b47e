// Every failure Fastify sees answers in the one JSON error shape (error-response.ts): validation
// (400, naming the field), unknown paths (404), a method the path does not answer (405 with
// Allow), oversized bodies (413), unsupported media types (415), an unmet Expect (417),
// unexpected errors (500, details only in the log), a missing, repeated or invalid Host header,
// and the errors Fastify raises before routing (bad percent-encoding, over-long path
// parameters), whose default answer echoes the whole URL and has no requestId.
import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AllowedMethods } from './allowed-methods.js';
import { errorBody, ErrorResponse } from './error-response.js';
import { hasUnmetExpectation } from './expectations.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { API_HEADERS } from './security-headers.js';

const MAX_ECHOED_PATH = 100;

/**
 * RFC 9110 section 7.2, Host = uri-host [ ":" port ], with uri-host from RFC 3986 section 3.2.2:
 * an IP literal in brackets, or a reg-name of unreserved, sub-delims and percent-encoded octets
 * (which covers IPv4 addresses and DNS names). Empty is allowed (a target without authority).
 */
const HOST_VALUE =
  /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::\d*)?$/;

/**
 * RFC 9112 section 3.2: "A server MUST respond with a 400 (Bad Request) status code to any
 * HTTP/1.1 request message that lacks a Host header field and to any request message that
 * contains more than one Host header field line or a Host header field with an invalid field
 * value." Node keeps only the first of repeated Host lines in `headers`; rawHeaders has them all.
 */
function hostProblem(raw: IncomingMessage): string | undefined {
  const host = raw.headers.host;
  if (host === undefined) return raw.httpVersion === '1.1' ? 'Missing Host header' : undefined;
  if (!HOST_VALUE.test(host)) return 'Invalid Host header';
  const lines = raw.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < lines.length; i += 2) {
    const name = lines[i] ?? '';
    if (name.length === 4 && name.toLowerCase() === 'host') hosts += 1;
  }
  return hosts > 1 ? 'More than one Host header' : undefined;
}

function shownPath(url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  return path.length > MAX_ECHOED_PATH ? `${path.slice(0, MAX_ECHOED_PATH)}...` : path;
}

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

export default fp<{ allowed: AllowedMethods }>(
  function errorHandlingPlugin(app: FastifyInstance, { allowed }) {
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

    // No route for this method and path: 405 with Allow when other methods serve the path, else
    // 404. Also reached through reply.callNotFound() from a route that matched (a missing static
    // file under /docs, an OPTIONS for an unknown path): then the method is allowed, and it is a 404.
    const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
      const shown = shownPath(request.url);
      const allow = allowed.of(request.url);
      if (allow.length > 0 && !allow.includes(request.method)) {
        const message = `${request.method} is not allowed on ${shown}: it answers ${allow.join(', ')}`;
        return reply
          .code(405)
          .header('allow', allow.join(', '))
          .send(errorBody(405, message, request.id));
      }
      return reply
        .code(404)
        .send(errorBody(404, `No route for ${request.method} ${shown}`, request.id));
    };

    // Checks every request must pass before anything else looks at it. Node's own Host check
    // would answer without a body (server-factory.ts turns it off), and its own 417 too. A
    // request no route matches is answered here too, before its body is read: Fastify would
    // otherwise parse it for the not-found handler, and a bad body would turn a 404 or 405 into
    // a 400 or 415.
    app.addHook('onRequest', (request, reply, done) => {
      const problem = hostProblem(request.raw);
      if (problem !== undefined) {
        void reply.code(400).send(errorBody(400, problem, request.id));
        return;
      }
      if (hasUnmetExpectation(request.raw)) {
        const message = 'Unsupported Expect header: only 100-continue is supported';
        void reply.code(417).send(errorBody(417, message, request.id));
        return;
      }
      if (request.is404) {
        void notFound(request, reply);
        return;
      }
      done();
    });
    app.setNotFoundHandler(notFound);
  },
  { name: 'error-handling' },
);
