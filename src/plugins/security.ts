// Security headers and CORS for every answer: the API set of security headers
// (http/security-headers.ts) from the first onRequest hook, and CORS from CORS_ORIGINS. The docs
// plugin swaps in the HTML document set for its own pages.
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { API_HEADERS } from '../http/security-headers.js';

export default fp<{ config: Config }>(
  async function securityPlugin(app: FastifyInstance, { config }) {
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(API_HEADERS);
      done();
    });
    await app.register(cors, {
      origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins],
      methods: ['GET', 'HEAD', 'PUT', 'OPTIONS'],
      // A strict preflight check answers a bare OPTIONS with a text/plain 400, outside the JSON
      // error shape; answering it with the CORS policy is harmless (browsers enforce it).
      strictPreflight: false,
    });
  },
  { name: 'security' },
);
