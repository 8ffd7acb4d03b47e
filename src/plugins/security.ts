// Security headers and CORS for every answer: the API set of security headers
// (http/security-headers.ts) from the first onRequest hook, CORS from CORS_ORIGINS, and the
// answers to OPTIONS. The docs plugin swaps in the HTML document set for its own pages.
// OPTIONS (RFC 9110 section 9.3.7, and the Fetch standard's CORS preflight): a known path
// answers 204 with `Allow` and, for a preflight, Access-Control-Allow-Methods listing the same
// methods, so a browser is never told a method is allowed that then answers 405; an unknown
// path answers 404 like any other request to it. @fastify/cors sets the CORS headers and, with
// preflightContinue, leaves the answer to the hook below.
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { AllowedMethods } from '../http/allowed-methods.js';
import { REQUEST_ID_HEADER } from '../http/request-id.js';
import { API_HEADERS } from '../http/security-headers.js';

/** What @fastify/cors adds to a preflight answer only. */
const PREFLIGHT_HEADERS = [
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
];

export default fp<{ config: Config; allowed: AllowedMethods }>(
  async function securityPlugin(app: FastifyInstance, { config, allowed }) {
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(API_HEADERS);
      done();
    });
    await app.register(cors, {
      origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins],
      // Browser code may read the id its error answers refer to.
      exposedHeaders: [REQUEST_ID_HEADER],
      // A strict preflight check answers a bare OPTIONS with a text/plain 400, outside the JSON
      // error shape; a bare OPTIONS is an ordinary OPTIONS request (RFC 9110 section 9.3.7).
      strictPreflight: false,
      preflightContinue: true,
    });
    // After the CORS hook, which has set the CORS headers of this answer.
    app.addHook('onRequest', (request, reply, done) => {
      if (request.method !== 'OPTIONS') {
        done();
        return;
      }
      const allow = allowed.of(request.url);
      if (allow.length === 0) {
        // No preflight for a path that does not exist: only the CORS headers of any answer stay.
        for (const name of PREFLIGHT_HEADERS) reply.removeHeader(name);
        reply.callNotFound();
        return;
      }
      const methods = allow.join(', ');
      reply.header('allow', methods);
      if (reply.hasHeader('access-control-allow-methods')) {
        reply.header('access-control-allow-methods', methods);
      }
      void reply.code(204).send();
    });
  },
  { name: 'security' },
);
