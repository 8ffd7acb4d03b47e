// /version, the OpenAPI document, the Swagger UI page, security headers and CORS.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appFor } from '../helpers/app.js';
import { DOCUMENTED_PATHS } from '../helpers/documented-paths.js';
import { assertApiSecurityHeaders } from '../helpers/security-headers.js';

test('/version reports what was injected at build time, "unknown" otherwise', async (t) => {
  const built = await appFor(t, {
    APP_VERSION: '3.1.4',
    GIT_COMMIT: 'deadbeef',
    BUILD_TIME: '2026-11-27T00:00:00Z',
  });
  assert.deepEqual((await built.inject('/version')).json(), {
    version: '3.1.4',
    commit: 'deadbeef',
    buildTime: '2026-11-27T00:00:00Z',
    environment: 'local',
  });
  const local = await appFor(t);
  const body = local.inject('/version');
  assert.deepEqual((await body).json(), {
    version: '1.2.3',
    commit: 'unknown',
    buildTime: 'unknown',
    environment: 'local',
  });
});

test('/openapi.json documents every route with its schemas', async (t) => {
  const app = await appFor(t);
  const spec = (await app.inject('/openapi.json')).json<{
    openapi: string;
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  }>();
  assert.equal(spec.openapi, '3.0.3');
  for (const path of DOCUMENTED_PATHS) {
    assert.ok(spec.paths[path], `${path} documented`);
  }
  assert.ok(spec.paths['/']?.get?.responses['200'], 'GET / has a response schema');
  assert.ok(spec.paths['/readyz']?.get?.responses['503'], '/readyz documents its 503');
});

test('/docs serves the Swagger UI page', async (t) => {
  const app = await appFor(t);
  const response = await app.inject('/docs');
  const page =
    response.statusCode === 302 ? await app.inject(String(response.headers.location)) : response;
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /swagger-ui/i);
});

/** Helmet headers that only mean something for an HTML document. */
const DOCUMENT_ONLY_HEADERS = [
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

test('JSON answers, errors included, carry the API security headers and nothing for HTML', async (t) => {
  const app = await appFor(t);
  for (const url of ['/', '/version', '/openapi.json', '/no-such-route', '/work?ms=99999']) {
    const response = await app.inject(url);
    assert.match(String(response.headers['content-type']), /^application\/json/, url);
    assertApiSecurityHeaders(response.headers, url);
    for (const name of [...DOCUMENT_ONLY_HEADERS, 'x-powered-by']) {
      assert.equal(response.headers[name], undefined, `${url}: ${name} is not sent`);
    }
  }
});

test("the Swagger UI pages carry helmet's document headers with a CSP that lets the UI run", async (t) => {
  const app = await appFor(t);
  for (const url of ['/docs/', '/docs/static/index.css']) {
    const response = await app.inject(url);
    assert.equal(response.statusCode, 200, url);
    const policy = String(response.headers['content-security-policy']);
    assert.match(policy, /default-src 'self'/, url);
    assert.match(policy, /script-src 'self'/, url);
    assert.match(policy, /frame-ancestors 'none'/, url);
    assert.doesNotMatch(policy, /unsafe-eval/, url);
    assert.equal(response.headers['x-frame-options'], 'DENY', url);
    assert.equal(response.headers['x-content-type-options'], 'nosniff', url);
    assert.equal(response.headers['cross-origin-opener-policy'], 'same-origin', url);
    assert.equal(response.headers['referrer-policy'], 'no-referrer', url);
    assert.equal(response.headers['x-powered-by'], undefined, url);
  }
});

test('CORS is open to all origins by default, as before', async (t) => {
  const app = await appFor(t);
  const response = await app.inject({ url: '/', headers: { origin: 'https://anywhere.example' } });
  assert.equal(response.headers['access-control-allow-origin'], '*');
});

test('CORS_ORIGINS restricts the allowed origins', async (t) => {
  const app = await appFor(t, { CORS_ORIGINS: 'https://ok.example' });
  const allowed = await app.inject({ url: '/', headers: { origin: 'https://ok.example' } });
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://ok.example');
  const refused = await app.inject({ url: '/', headers: { origin: 'https://evil.example' } });
  assert.equal(refused.headers['access-control-allow-origin'], undefined);
});
