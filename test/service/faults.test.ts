// Fault injection and the CPU-work endpoint: bounded, switchable only with FAULT_TOKEN, and never
// touching probes or /metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { appFor } from '../helpers/app.js';
import { FAULT_AUTH, FAULT_TOKEN_ENV, TEST_FAULT_TOKEN } from '../helpers/fault-token.js';
import { serviceFor } from '../helpers/service.js';

test('/status/:code answers with the requested code', async (t) => {
  const app = await appFor(t);
  const ok = await app.inject('/status/202');
  assert.equal(ok.statusCode, 202);
  assert.deepEqual(ok.json(), { statusCode: 202, message: 'Requested status 202' });
  const redirect = await app.inject('/status/302');
  assert.equal(redirect.statusCode, 302);
  const unavailable = await app.inject('/status/503');
  assert.equal(unavailable.statusCode, 503);
  assert.equal(unavailable.json<{ error: string }>().error, 'Service Unavailable');
});

test('/status/204, 205 and 304 answer without content, as RFC 9110 requires', async (t) => {
  const app = await appFor(t);
  for (const code of [204, 205, 304]) {
    const response = await app.inject(`/status/${code}`);
    assert.equal(response.statusCode, code);
    assert.equal(response.body, '', `${code} has no content`);
    assert.equal(response.headers['content-type'], undefined, `${code} has no content type`);
  }
});

test('/status/401 and /status/405 carry the header their status requires', async (t) => {
  const app = await appFor(t);
  const unauthorized = await app.inject('/status/401');
  assert.equal(unauthorized.headers['www-authenticate'], 'Bearer realm="hello-api"');
  const notAllowed = await app.inject('/status/405');
  assert.equal(notAllowed.headers.allow, 'GET, HEAD, OPTIONS');
});

test('/delay/:seconds waits that long, within DELAY_MAX_SECONDS', async (t) => {
  const app = await appFor(t, { DELAY_MAX_SECONDS: '1' });
  const started = performance.now();
  const response = await app.inject('/delay/0.2');
  const elapsed = performance.now() - started;
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { delayedSeconds: 0.2 });
  assert.ok(elapsed >= 195, `waited ${elapsed} ms`);
  assert.equal((await app.inject('/delay/1.5')).statusCode, 400);
  assert.equal((await app.inject('/delay/-1')).statusCode, 400);
});

test('the error-rate switch fails ordinary routes only, and can be changed at runtime', async (t) => {
  let draw = 0.5;
  const app = await appFor(
    t,
    { FAULT_ERROR_RATE: '0.6', ...FAULT_TOKEN_ENV },
    { random: () => draw },
  );
  const failed = await app.inject('/');
  assert.equal(failed.statusCode, 500);
  assert.equal(
    failed.json<{ message: string }>().message,
    'Injected fault: FAULT_ERROR_RATE is set',
  );
  draw = 0.7;
  assert.equal((await app.inject('/')).statusCode, 200, 'a draw above the rate passes');
  draw = 0;
  for (const spared of [
    '/healthz',
    '/readyz',
    '/metrics',
    '/version',
    '/faults',
    '/openapi.json',
  ]) {
    assert.equal((await app.inject(spared)).statusCode, 200, `${spared} is spared`);
  }
  const off = await app.inject({
    method: 'PUT',
    url: '/faults',
    headers: FAULT_AUTH,
    payload: { errorRate: 0 },
  });
  assert.deepEqual(off.json(), { errorRate: 0, latencyMs: 0 });
  assert.equal((await app.inject('/')).statusCode, 200);
  assert.equal((await app.inject('/work?ms=1')).statusCode, 200);
});

test('the latency switch slows ordinary routes and spares probes', async (t) => {
  const app = await appFor(t, FAULT_TOKEN_ENV);
  const set = await app.inject({
    method: 'PUT',
    url: '/faults',
    headers: FAULT_AUTH,
    payload: { latencyMs: 150 },
  });
  assert.deepEqual(set.json(), { errorRate: 0, latencyMs: 150 });
  const timed = async (url: string) => {
    const started = performance.now();
    await app.inject(url);
    return performance.now() - started;
  };
  assert.ok((await timed('/')) >= 145);
  assert.ok((await timed('/healthz')) < 100);
  assert.deepEqual((await app.inject('/faults')).json(), { errorRate: 0, latencyMs: 150 });
});

test('without FAULT_TOKEN the fault settings are read-only: PUT /faults is not served', async (t) => {
  const app = await appFor(t);
  assert.equal((await app.inject('/faults')).statusCode, 200);
  const put = await app.inject({
    method: 'PUT',
    url: '/faults',
    headers: FAULT_AUTH,
    payload: { errorRate: 1 },
  });
  assert.equal(put.statusCode, 405);
  assert.equal(put.headers.allow, 'GET, HEAD, OPTIONS');
  assert.deepEqual((await app.inject('/faults')).json(), { errorRate: 0, latencyMs: 0 });
});

test('PUT /faults needs the bearer token: 401/400 with WWW-Authenticate (RFC 6750), before the body is read', async (t) => {
  const service = await serviceFor(t, {
    env: { ...FAULT_TOKEN_ENV, FAULT_INJECTION_ENABLED: 'true' },
  });
  const put = async (authorization: string | undefined, body = '{"errorRate":1}') => {
    const response = await request(`${service.url}/faults`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body,
    });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, body: text };
  };
  const refused: [string | undefined, number, string, RegExp][] = [
    [undefined, 401, 'Bearer realm="hello-api"', /needs FAULT_TOKEN: send Authorization: Bearer/],
    [
      `Basic ${Buffer.from(`u:${TEST_FAULT_TOKEN}`).toString('base64')}`,
      401,
      'Bearer realm="hello-api"',
      /needs FAULT_TOKEN/,
    ],
    [
      'Bearer',
      400,
      'Bearer realm="hello-api", error="invalid_request"',
      /^Malformed Authorization/,
    ],
    [
      `Bearer ${TEST_FAULT_TOKEN} extra`,
      400,
      'Bearer realm="hello-api", error="invalid_request"',
      /^Malformed/,
    ],
    [
      `Bearer ${TEST_FAULT_TOKEN.slice(0, -1)}`,
      401,
      'Bearer realm="hello-api", error="invalid_token"',
      /not valid/,
    ],
    [
      `Bearer ${TEST_FAULT_TOKEN}x`,
      401,
      'Bearer realm="hello-api", error="invalid_token"',
      /not valid/,
    ],
    [
      `Bearer ${TEST_FAULT_TOKEN.toUpperCase()}`,
      401,
      'Bearer realm="hello-api", error="invalid_token"',
      /not valid/,
    ],
  ];
  for (const [authorization, status, challenge, message] of refused) {
    const answer = await put(authorization);
    const where = `Authorization: ${String(authorization)}`;
    assert.equal(answer.status, status, `${where}: ${answer.body}`);
    assert.equal(answer.headers['www-authenticate'], challenge, where);
    const body = JSON.parse(answer.body) as {
      statusCode: number;
      message: string;
      requestId: string;
    };
    assert.equal(body.statusCode, status, where);
    assert.match(body.message, message, where);
    assert.equal(body.requestId, answer.headers['x-request-id'], where);
  }
  // Refused before the body is parsed: a broken body still gets the 401, not a 400.
  assert.equal((await put(undefined, '{"errorRate":')).status, 401);
  // Nothing changed, and the token is not in any log line.
  assert.deepEqual(JSON.parse(await request(`${service.url}/faults`).then((r) => r.body.text())), {
    errorRate: 0,
    latencyMs: 0,
  });
  // The scheme is case-insensitive (RFC 9110 section 11.1); the right token changes the settings.
  const accepted = await put(`bearer ${TEST_FAULT_TOKEN}`, '{"latencyMs":5}');
  assert.equal(accepted.status, 200, accepted.body);
  assert.deepEqual(JSON.parse(accepted.body), { errorRate: 0, latencyMs: 5 });
  assert.ok(!service.lines.some((line) => line.includes(TEST_FAULT_TOKEN)), 'token logged');
  const ready = service.logs().find((record) => record.msg === 'ready: accepting traffic');
  assert.equal((ready?.config as { faultTokenSet?: unknown } | undefined)?.faultTokenSet, true);
});

test('with fault injection off (prod default) the fault routes do not exist and no fault applies', async (t) => {
  const app = await appFor(t, { APP_ENV: 'prod', FAULT_ERROR_RATE: '1', ...FAULT_TOKEN_ENV });
  for (const url of ['/status/500', '/delay/1', '/faults']) {
    assert.equal((await app.inject(url)).statusCode, 404, url);
  }
  const put = await app.inject({ method: 'PUT', url: '/faults', headers: FAULT_AUTH, payload: {} });
  assert.equal(put.statusCode, 404, 'a token does not bring the switch back when injection is off');
  assert.equal((await app.inject('/')).statusCode, 200);
});

test('/work burns CPU for the asked time, within WORK_MAX_MS, and can be switched off', async (t) => {
  const app = await appFor(t, { WORK_MAX_MS: '100' });
  const started = performance.now();
  const response = await app.inject('/work?ms=60');
  assert.ok(performance.now() - started >= 59);
  const body = response.json<{ ms: number; iterations: number }>();
  assert.equal(body.ms, 60);
  assert.ok(body.iterations > 0);
  assert.equal((await app.inject('/work')).json<{ ms: number }>().ms, 50, 'default ms');
  assert.equal((await app.inject('/work?ms=101')).statusCode, 400);
  assert.equal((await app.inject('/work?ms=0')).statusCode, 400);

  const disabled = await appFor(t, { WORK_ENDPOINT_ENABLED: 'false' });
  assert.equal((await disabled.inject('/work?ms=1')).statusCode, 404);
});
