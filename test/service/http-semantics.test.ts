// HTTP semantics a client, a browser or an API gateway checks, each on a real socket with raw
// bytes, since an HTTP client would normalise or refuse most of these requests: 405 with Allow
// (RFC 9110 15.5.6), 400 for a missing, repeated or invalid Host (RFC 9112 3.2), an answer to
// CONNECT (501, RFC 9110 9.1), 417 in the error shape for an unmet Expect (RFC 9110 10.1.1),
// 415 with Accept-Encoding for a coded body (RFC 9110 8.4.1, 15.5.16), x-request-id readable by
// browser code (Access-Control-Expose-Headers), OPTIONS answered per path (RFC 9110 9.3.7), and
// numeric parameters written as the plain integers and numbers the OpenAPI document promises.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/app.js';
import { appWith } from '../helpers/app.js';
import { FAULT_AUTH, FAULT_TOKEN_ENV } from '../helpers/fault-token.js';
import { rawExchange, requestText, type RawAnswer } from '../helpers/raw-http.js';
import { answerProblem } from '../helpers/reliability-fuzz.js';

interface Sent {
  method: string;
  path: string;
  headers?: readonly string[];
  body?: string;
  /** The request line's version (default HTTP/1.1). */
  version?: string;
  /** Replaces the default `Host: x` line (an empty list sends no Host at all). */
  host?: readonly string[];
}

/** Sends one request on its own connection and returns its one answer. */
async function send(port: number, sent: Sent): Promise<RawAnswer> {
  const { method, path, headers = [], body = '', version = 'HTTP/1.1', host = ['Host: x'] } = sent;
  const length = body === '' ? [] : [`Content-Length: ${Buffer.byteLength(body)}`];
  const text = requestText(
    `${method} ${path} ${version}`,
    [...host, ...headers, ...length, 'Connection: close'],
    body,
  );
  const answers = await rawExchange(port, text);
  assert.equal(answers.length, 1, `${method} ${path}: expected one answer, got ${answers.length}`);
  const answer = answers[0];
  assert.ok(answer);
  return { ...answer, method, path };
}

/** The answer is `status` in the one JSON error shape, with the security headers, and says `message`. */
function assertError(answer: RawAnswer, status: number, message: RegExp): void {
  const where = `${answer.method} ${answer.path}`;
  assert.equal(answer.status, status, `${where}: ${answer.body}`);
  assert.equal(answerProblem(answer), undefined, where);
  assert.match((JSON.parse(answer.body) as { message: string }).message, message, where);
}

describe('on a listening app with FAULT_TOKEN set', () => {
  let app: App | undefined;
  let port = 0;
  before(async () => {
    app = await appWith(FAULT_TOKEN_ENV);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    port = address.port;
  });
  after(async () => {
    await app?.close();
  });

  test('a method the path does not answer is 405 with Allow listing what it does answer', async () => {
    for (const [method, path, allow] of [
      ['POST', '/', 'GET, HEAD, OPTIONS'],
      ['DELETE', '/version', 'GET, HEAD, OPTIONS'],
      ['PATCH', '/status/500', 'GET, HEAD, OPTIONS'],
      ['DELETE', '/faults', 'GET, HEAD, PUT, OPTIONS'],
      ['POST', '/work?ms=5', 'GET, HEAD, OPTIONS'],
    ] as const) {
      const answer = await send(port, { method, path });
      assertError(answer, 405, new RegExp(`^${method} is not allowed on ${path.split('?')[0]}`));
      assert.equal(answer.headers.allow, allow, `${method} ${path}: Allow`);
    }
  });

  test('a path no route serves stays 404, without Allow, whatever the method', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const answer = await send(port, { method, path: '/no/such/path' });
      assertError(answer, 404, /^No route for /);
      assert.equal(answer.headers.allow, undefined, method);
    }
    // A route that matched but found nothing (a missing Swagger UI file) is a 404, not a 405.
    const missing = await send(port, { method: 'GET', path: '/docs/static/no-such-file.js' });
    assertError(missing, 404, /^No route for GET \/docs\/static\/no-such-file\.js$/);
  });

  test('404 and 405 do not depend on the body: it is not read', async () => {
    const bad = { headers: ['Content-Type: application/json'], body: '{"broken":' };
    assertError(await send(port, { method: 'POST', path: '/nope', ...bad }), 404, /^No route/);
    assertError(await send(port, { method: 'POST', path: '/', ...bad }), 405, /^POST is not/);
    const csv = { headers: ['Content-Type: text/csv'], body: 'a,b' };
    assertError(await send(port, { method: 'PATCH', path: '/faults', ...csv }), 405, /^PATCH/);
  });

  test('two Host lines, or an invalid Host, are 400 (RFC 9112 3.2); a valid Host is served', async () => {
    for (const host of [
      ['Host: x', 'Host: x'],
      ['Host: a.example', 'host: b.example'],
    ]) {
      assertError(await send(port, { method: 'GET', path: '/', host }), 400, /^More than one Host/);
    }
    for (const value of ['a b', 'a/b', 'x:80a', '[::1', 'a@b', 'ex%zzample']) {
      const answer = await send(port, { method: 'GET', path: '/', host: [`Host: ${value}`] });
      assertError(answer, 400, /^Invalid Host header$/);
    }
    for (const value of ['127.0.0.1:8000', '[::1]:8000', 'hello-api.dev.svc', 'x:', '']) {
      const answer = await send(port, { method: 'GET', path: '/', host: [`Host: ${value}`] });
      assert.equal(answer.status, 200, `Host: ${value}: ${answer.body}`);
    }
    const missing = await send(port, { method: 'GET', path: '/', host: [] });
    assertError(missing, 400, /^Missing Host header$/);
    const http10 = await send(port, { method: 'GET', path: '/', host: [], version: 'HTTP/1.0' });
    assert.equal(http10.status, 200, 'HTTP/1.0 needs no Host');
  });

  test('CONNECT gets a 501 in the JSON error shape instead of a silent close', async () => {
    const answer = await send(port, {
      method: 'CONNECT',
      path: '127.0.0.1:22',
      host: ['Host: 127.0.0.1:22'],
    });
    assertError(answer, 501, /^CONNECT is not supported/);
    assert.equal(answer.headers.connection, 'close');
  });

  test('an Expect other than 100-continue is 417 in the JSON error shape; 100-continue still works', async () => {
    const failed = await send(port, {
      method: 'PUT',
      path: '/faults',
      headers: [
        'Expect: 200-ok',
        'Content-Type: application/json',
        `Authorization: ${FAULT_AUTH.authorization}`,
      ],
      body: '{}',
    });
    assertError(failed, 417, /^Unsupported Expect header: only 100-continue/);
    assert.equal(failed.headers['access-control-expose-headers'], 'x-request-id');

    const text = requestText(
      'PUT /faults HTTP/1.1',
      [
        'Host: x',
        'Expect: 100-continue',
        'Content-Type: application/json',
        `Authorization: ${FAULT_AUTH.authorization}`,
        'Content-Length: 2',
        'Connection: close',
      ],
      '{}',
    );
    const answers = await rawExchange(port, text);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [100, 200],
    );
  });

  test('a request body with a Content-Encoding is 415 with Accept-Encoding: identity', async () => {
    const headers = (coding: string) => [
      'Content-Type: application/json',
      `Authorization: ${FAULT_AUTH.authorization}`,
      `Content-Encoding: ${coding}`,
    ];
    for (const coding of ['gzip', 'br', 'deflate', 'gzip, identity', 'x-unknown']) {
      const answer = await send(port, {
        method: 'PUT',
        path: '/faults',
        headers: headers(coding),
        body: '{}',
      });
      assertError(answer, 415, /^Unsupported Content-Encoding/);
      assert.equal(answer.headers['accept-encoding'], 'identity', coding);
    }
    const identity = await send(port, {
      method: 'PUT',
      path: '/faults',
      headers: headers('identity'),
      body: '{}',
    });
    assert.equal(identity.status, 200, identity.body);
  });

  test('browser code can read x-request-id on every answer, errors included', async () => {
    for (const path of ['/', '/version', '/no/such/path', '/work?ms=0']) {
      const answer = await send(port, {
        method: 'GET',
        path,
        headers: ['Origin: https://app.example'],
      });
      assert.equal(answer.headers['access-control-expose-headers'], 'x-request-id', path);
      assert.ok(answer.headers['x-request-id'], path);
    }
  });

  test('OPTIONS: a known path answers 204 with its Allow; an unknown path 404, preflight or not', async () => {
    const preflight = (path: string, method: string) =>
      send(port, {
        method: 'OPTIONS',
        path,
        headers: ['Origin: https://app.example', `Access-Control-Request-Method: ${method}`],
      });
    const known = await preflight('/faults', 'PUT');
    assert.equal(known.status, 204);
    assert.equal(known.body, '');
    assert.equal(known.headers.allow, 'GET, HEAD, PUT, OPTIONS');
    assert.equal(known.headers['access-control-allow-methods'], 'GET, HEAD, PUT, OPTIONS');
    assert.equal(known.headers['access-control-allow-origin'], '*');
    // The preflight for / offers what / answers: no PUT, so the browser never sends one.
    const root = await preflight('/', 'PUT');
    assert.equal(root.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');

    const unknown = await preflight('/no/such/path', 'GET');
    assertError(unknown, 404, /^No route for OPTIONS \/no\/such\/path$/);
    assert.equal(unknown.headers['access-control-allow-methods'], undefined);

    const bare = await send(port, { method: 'OPTIONS', path: '/version' });
    assert.equal(bare.status, 204);
    assert.equal(bare.headers.allow, 'GET, HEAD, OPTIONS');
    const bareUnknown = await send(port, { method: 'OPTIONS', path: '/nope' });
    assertError(bareUnknown, 404, /^No route for OPTIONS \/nope$/);

    const server = await send(port, { method: 'OPTIONS', path: '*' });
    assert.equal(server.status, 204);
    assert.equal(server.headers.allow, 'GET, HEAD, PUT, OPTIONS');
  });

  test('numeric parameters must be plain decimals: no hex, padding, sign, fraction or exponent', async () => {
    const refused: [string, RegExp][] = [
      ...['0x1f4', '0500', '500.0', '+500', '5e2', '%20500', '500%20', '1_000', 'Infinity', ''].map(
        (code): [string, RegExp] => [
          `/status/${code}`,
          /^params\/code must be a plain decimal integer/,
        ],
      ),
      ...['0x10', '010', '10.0', '+10', '1e1', '%2010', 'NaN', ''].map((ms): [string, RegExp] => [
        `/work?ms=${ms}`,
        /^querystring\/ms must be a plain decimal integer/,
      ]),
      ...['1e-1', '01', '.5', '+1', '0x1', '1.', 'Infinity'].map((seconds): [string, RegExp] => [
        `/delay/${seconds}`,
        /^params\/seconds must be a plain decimal number/,
      ]),
    ];
    for (const [path, message] of refused) {
      assertError(await send(port, { method: 'GET', path }), 400, message);
    }
    // Plain values pass this check and meet the schema's own limits.
    assert.equal((await send(port, { method: 'GET', path: '/status/418' })).status, 418);
    assert.equal((await send(port, { method: 'GET', path: '/work?ms=5' })).status, 200);
    assert.equal((await send(port, { method: 'GET', path: '/delay/0.05' })).status, 200);
    assertError(await send(port, { method: 'GET', path: '/work?ms=-1' }), 400, /must be >= 1/);
    assertError(await send(port, { method: 'GET', path: '/status/199' }), 400, /must be >= 200/);
  });
});
