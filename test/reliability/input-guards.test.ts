// In-process checks of the guards the hostile-input fuzz test led to (src/plugins/plain-numbers.ts,
// the pre-routing error handler in src/http/error-handling.ts, the OPTIONS answers in
// src/plugins/security.ts), so each regression names its cause directly instead of surfacing as
// one of thousands of fuzz answers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { App } from '../../src/app.js';
import { appWith } from '../helpers/app.js';
import { assertApiSecurityHeaders } from '../helpers/security-headers.js';

function assertErrorShape(
  response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  status: number,
  message: RegExp,
): void {
  assert.equal(response.statusCode, status);
  const body = response.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message', 'requestId', 'statusCode']);
  assert.equal(body.statusCode, status);
  assert.match(String(body.message), message);
  assert.equal(body.requestId, response.headers['x-request-id']);
}

let app: App;
before(async () => {
  app = await appWith({ FAULT_INJECTION_ENABLED: 'true' });
});
after(async () => {
  await app.close();
});

test('non-finite numbers are refused before a handler sees them', async () => {
  for (const [url, where] of [
    ['/work?ms=Infinity', 'querystring/ms must be a plain decimal integer'],
    ['/work?ms=-Infinity', 'querystring/ms must be a plain decimal integer'],
    ['/status/Infinity', 'params/code must be a plain decimal integer'],
    ['/delay/Infinity', 'params/seconds must be a plain decimal number'],
    // Plain digits, but more than a double holds: Number() makes them Infinity.
    [`/work?ms=${'9'.repeat(400)}`, 'querystring/ms must be a plain decimal integer'],
  ] as const) {
    const response = await app.inject({ url });
    assertErrorShape(response, 400, new RegExp(`^${where}`));
  }
  // Finite values still reach the handlers.
  assert.equal((await app.inject({ url: '/work?ms=1' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/status/204' })).statusCode, 204);
});

test('errors Fastify raises before routing use the JSON error shape and echo no URL', async () => {
  const badUrl = await app.inject({ url: '/version%zz' });
  assertErrorShape(badUrl, 400, /^Malformed URL: invalid percent-encoding$/);
  assertApiSecurityHeaders(badUrl.headers, 'bad percent-encoding');
  const longParam = await app.inject({ url: `/status/${'9'.repeat(200)}` });
  assertErrorShape(longParam, 414, /^A path parameter is too long$/);
  assertApiSecurityHeaders(longParam.headers, 'over-long path parameter');
});

test('a bare OPTIONS gets 204 with Allow, not a text/plain 400', async () => {
  const response = await app.inject({ method: 'OPTIONS', url: '/' });
  assert.equal(response.statusCode, 204);
  assert.equal(response.body, '');
  assert.equal(response.headers.allow, 'GET, HEAD, OPTIONS');
});
