// Every failure answers with real status codes and one JSON shape
// {statusCode, error, message, requestId}; nothing internal leaks.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { appFor, testConfig } from '../helpers/app.js';
import { FAULT_AUTH, FAULT_TOKEN_ENV } from '../helpers/fault-token.js';
import { assertApiSecurityHeaders, rawHeaders } from '../helpers/security-headers.js';

interface ErrorShape {
  statusCode: number;
  error: string;
  message: string;
  requestId: string;
}

function assertErrorShape(body: unknown, status: number, message: RegExp): void {
  const error = body as ErrorShape;
  assert.deepEqual(Object.keys(error).sort(), ['error', 'message', 'requestId', 'statusCode']);
  assert.equal(error.statusCode, status);
  assert.equal(typeof error.error, 'string');
  assert.ok(error.requestId.length > 0);
  assert.match(error.message, message);
}

interface Case {
  name: string;
  request: string | InjectOptions;
  status: number;
  message: RegExp;
}

const CASES: Case[] = [
  { name: 'unknown route', request: '/nope', status: 404, message: /^No route for GET \/nope$/ },
  {
    name: 'unknown method on a known path',
    request: { method: 'POST', url: '/' },
    status: 405,
    message: /^POST is not allowed on \/: it answers GET, HEAD, OPTIONS$/,
  },
  {
    name: 'query out of range names the field',
    request: '/work?ms=100000',
    status: 400,
    message: /querystring\/ms must be <= 500/,
  },
  {
    name: 'query of the wrong type names the field',
    request: '/work?ms=lots',
    status: 400,
    message: /^querystring\/ms must be a plain decimal integer, like 50$/,
  },
  {
    name: 'path parameter out of range',
    request: '/status/99',
    status: 400,
    message: /params\/code must be >= 200/,
  },
  {
    name: 'delay beyond its bound',
    request: '/delay/11',
    status: 400,
    message: /params\/seconds must be <= 10/,
  },
  {
    name: 'invalid JSON body',
    request: {
      method: 'PUT',
      url: '/faults',
      headers: { 'content-type': 'application/json', ...FAULT_AUTH },
      payload: '{"errorRate":',
    },
    status: 400,
    message: /not valid JSON/,
  },
  {
    name: 'unknown body field',
    request: {
      method: 'PUT',
      url: '/faults',
      headers: FAULT_AUTH,
      payload: { errorRate: 0, surprise: true },
    },
    status: 400,
    message: /body must NOT have additional properties/,
  },
  {
    name: 'body over the limit',
    request: {
      method: 'PUT',
      url: '/faults',
      headers: { 'content-type': 'application/json', ...FAULT_AUTH },
      payload: `{"x":"${'a'.repeat(20_000)}"}`,
    },
    status: 413,
    message: /too large/i,
  },
  {
    name: 'unsupported media type',
    request: {
      method: 'PUT',
      url: '/faults',
      headers: { 'content-type': 'text/csv', ...FAULT_AUTH },
      payload: 'a,b',
    },
    status: 415,
    message: /Unsupported Media Type/i,
  },
  {
    // Fastify parses text/plain by default; the API takes JSON only.
    name: 'plain text is another unsupported media type, not a body that fails validation',
    request: {
      method: 'PUT',
      url: '/faults',
      headers: { 'content-type': 'text/plain', ...FAULT_AUTH },
      payload: '{"errorRate":0}',
    },
    status: 415,
    message: /Unsupported Media Type/i,
  },
  {
    name: 'deliberate 4xx from /status',
    request: '/status/418',
    status: 418,
    message: /Requested status 418/,
  },
];

for (const { name, request, status, message } of CASES) {
  test(`${name} -> ${status} in the JSON error shape`, async (t) => {
    const app = await appFor(t, FAULT_TOKEN_ENV);
    const response = await app.inject(request);
    assert.equal(response.statusCode, status);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assertErrorShape(response.json(), status, message);
    assert.equal(response.json<ErrorShape>().requestId, response.headers['x-request-id']);
    assertApiSecurityHeaders(response.headers, name);
  });
}

test('an unexpected error is a 500 without internals, logged with its stack', async (t) => {
  const logged: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
  const app = await buildApp(testConfig(), { logger });
  t.after(() => app.close());
  app.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  await app.ready();
  const response = await app.inject('/boom');
  assert.equal(response.statusCode, 500);
  assertErrorShape(response.json(), 500, /^Internal Server Error$/);
  assert.ok(!response.body.includes('hunter2') && !response.body.includes('at '));
  assert.ok(logged.some((line) => line.includes('request failed') && line.includes('"stack"')));
});

test('malformed HTTP and oversized headers get the JSON error shape from the raw socket', async (t) => {
  const app = await appFor(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const send = (raw: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(address.port, '127.0.0.1', () => {
        socket.write(raw);
      });
      let answer = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
      socket.on('end', () => {
        resolve(answer);
      });
      socket.on('error', reject);
    });

  const malformed = await send('GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
  assert.match(malformed, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assertErrorShape(JSON.parse(malformed.split('\r\n\r\n')[1] ?? ''), 400, /Malformed HTTP request/);
  assertApiSecurityHeaders(rawHeaders(malformed), 'malformed HTTP');

  const oversized = await send(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.match(oversized, /^HTTP\/1\.1 431 /);
  assertErrorShape(JSON.parse(oversized.split('\r\n\r\n')[1] ?? ''), 431, /headers are too large/);
  assertApiSecurityHeaders(rawHeaders(oversized), 'oversized headers');

  // HTTP/1.1 without Host: refused by the errors plugin before any other hook has run.
  const hostless = await send('GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.match(hostless, /^HTTP\/1\.1 400 /);
  assertErrorShape(JSON.parse(hostless.split('\r\n\r\n')[1] ?? ''), 400, /^Missing Host header$/);
  assertApiSecurityHeaders(rawHeaders(hostless), 'missing Host');
});
