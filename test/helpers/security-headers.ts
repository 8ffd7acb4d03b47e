// What every JSON answer must carry: the OWASP REST Security Cheat Sheet's API headers with a
// deny-all CSP. Written out here rather than imported from src/, so a change there has to agree
// with this specification.
import assert from 'node:assert/strict';

const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** Asserts the API security headers on a response's headers (names in lower case). */
export function assertApiSecurityHeaders(headers: Record<string, unknown>, where: string): void {
  for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) {
    assert.equal(headers[name], value, `${where}: ${name}`);
  }
}

/** The header block of a raw HTTP/1.1 answer as a lower-cased name -> value map. */
export function rawHeaders(answer: string): Record<string, string> {
  const head = answer.split('\r\n\r\n', 1)[0] ?? '';
  const entries = head
    .split('\r\n')
    .slice(1)
    .map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
    });
  return Object.fromEntries(entries);
}
