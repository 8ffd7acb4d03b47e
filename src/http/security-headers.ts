// The two sets of security headers, both computed once at start:
// - API_HEADERS, on every answer whichever path produced it (the security plugin's onRequest
//   hook, the errors Fastify raises before hooks run, the raw-socket answers to requests Node's
//   parser rejects): the headers OWASP's REST Security Cheat Sheet lists for API responses, with
//   a deny-all content security policy, since a JSON body needs nothing loaded;
// - DOCUMENT_HEADERS, helmet's set for HTML documents, only on the Swagger UI pages under /docs,
//   with a policy that still lets the UI run.
// Headers meant for HTML documents (COOP, Origin-Agent-Cluster, X-DNS-Prefetch-Control,
// X-Download-Options, X-Permitted-Cross-Domain-Policies, X-XSS-Protection) do nothing for JSON,
// and sending them on every answer more than doubled the response size (docs/performance.md).
// @fastify/helmet is not used because it rebuilds helmet on every request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

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
function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
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

const DOCUMENT_HEADERS = helmetHeaders(DOCUMENT_HELMET_OPTIONS);

/** onRequest hook for routes that serve HTML documents: replaces the API set where they differ. */
export function documentHeadersHook(
  _request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  reply.headers(DOCUMENT_HEADERS);
  done();
}
