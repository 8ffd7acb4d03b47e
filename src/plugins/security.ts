// Security headers and CORS. Two header sets, both computed once at start:
// - every answer gets the API set (security-headers.ts), the headers OWASP's REST Security Cheat
//   Sheet lists for API responses, with a deny-all content security policy;
// - the HTML documents under /docs (Swagger UI) get helmet's full document set instead, with a
//   policy that still lets the UI run (docs.ts applies it to its own routes only).
// Headers meant for HTML documents (COOP, Origin-Agent-Cluster, X-DNS-Prefetch-Control,
// X-Download-Options, X-Permitted-Cross-Domain-Policies, X-XSS-Protection) do nothing for JSON,
// and sending them on every answer more than doubled the response size (measured in
// docs/performance.md). @fastify/helmet is not used because it rebuilds helmet on every request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import type { Config } from '../config.js';
import { API_HEADERS } from '../security-headers.js';

const DOCUMENT_HELMET_OPTIONS: HelmetOptions = {
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
  // Matches frame-ancestors 'none' for browsers that only know X-Frame-Options.
  xFrameOptions: { action: 'deny' },
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

/** Helmet's document headers, with a CSP that lets Swagger UI load its own scripts and styles. */
export const DOCUMENT_HEADERS = helmetHeaders(DOCUMENT_HELMET_OPTIONS);

/** onRequest hook for routes that serve HTML documents: replaces the API set where they differ. */
export function documentHeadersHook(
  _request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  reply.headers(DOCUMENT_HEADERS);
  done();
}

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
