// Security headers (helmet) and CORS. The content security policy is strict but still lets the
// Swagger UI at /docs run: it only loads scripts and styles from this origin.
// The helmet headers are computed once at start and copied onto each reply: @fastify/helmet
// rebuilds helmet (and re-parses the CSP) on every request, which cost about a tenth of the
// service's CPU under load (measured with --cpu-prof, see docs/performance.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import type { Config } from '../config.js';

const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
    },
  },
};

/** Runs helmet once against a recording response and returns the headers it would set. */
export function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    removeHeader(name: string) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)(
    Object.create(null) as IncomingMessage,
    recorder as unknown as ServerResponse,
    () => undefined,
  );
  return Object.freeze(headers);
}

export default fp<{ config: Config }>(
  async function securityPlugin(app: FastifyInstance, { config }) {
    const securityHeaders = helmetHeaders(HELMET_OPTIONS);
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(securityHeaders);
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
