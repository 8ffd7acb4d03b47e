// The security headers every answer carries, whichever path produced it: everything that passes
// Fastify's onRequest hooks (plugins/security.ts), the errors Fastify raises before those hooks
// run (framework-errors.ts) and the raw-socket answers to requests Node's parser rejects
// (client-error.ts). They are the headers OWASP's REST Security
// Cheat Sheet lists for API responses, with a deny-all content security policy: a JSON body
// needs nothing loaded.
export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});
