// Logs: one JSON access line per request with method, route, status, duration and request id;
// probes at debug; credentials and the secret never appear in any log line or response.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTimestamp } from '../../src/logging/logger.js';
import { appWithLogs } from '../helpers/app.js';
import { serviceFor } from '../helpers/service.js';

test('one access-log line per request, with the fields an operator needs', async (t) => {
  const { app, records } = await appWithLogs(t);
  await app.inject({ url: '/work?ms=1', headers: { 'x-request-id': 'abc-123' } });
  const access = records().filter((r) => r.msg === 'request completed');
  assert.equal(access.length, 1);
  const line = access[0];
  assert.ok(line);
  assert.equal(line.level, 'info');
  assert.equal(line.method, 'GET');
  assert.equal(line.route, '/work');
  assert.equal(line.path, '/work', 'no query string in logs');
  assert.equal(line.statusCode, 200);
  assert.equal(line.reqId, 'abc-123');
  assert.equal(typeof line.durationMs, 'number');
  assert.equal(line.service, 'hello-api');
});

test('every line carries the time as ISO 8601 UTC, to the millisecond', async (t) => {
  const before = Date.now();
  const { app, records } = await appWithLogs(t);
  await app.inject('/');
  const after = Date.now();
  const times = records().map((r) => r.time);
  assert.ok(times.length > 0);
  for (const time of times) {
    assert.match(String(time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const at = Date.parse(String(time));
    assert.ok(at >= before && at <= after, `${String(time)} is within the test`);
  }
});

test('the log time is formatted once per millisecond and follows the clock', () => {
  const first = isoTimestamp(Date.UTC(2026, 10, 27, 3, 4, 5, 6));
  assert.equal(first, ',"time":"2026-11-27T03:04:05.006Z"');
  assert.equal(isoTimestamp(Date.UTC(2026, 10, 27, 3, 4, 5, 6)), first);
  assert.equal(
    isoTimestamp(Date.UTC(2026, 10, 27, 3, 4, 5, 7)),
    ',"time":"2026-11-27T03:04:05.007Z"',
  );
});

test('probes and scrapes are logged at debug level', async (t) => {
  const { app, records } = await appWithLogs(t);
  for (const url of ['/healthz', '/readyz', '/metrics']) await app.inject(url);
  const access = records().filter((r) => r.msg === 'request completed');
  assert.deepEqual(
    access.map((r) => [r.route, r.level]),
    [
      ['/healthz', 'debug'],
      ['/readyz', 'debug'],
      ['/metrics', 'debug'],
    ],
  );
});

test('the secret and credentials appear in no response and no log line of a real process', async (t) => {
  const SECRET = 'TopSecret-9f8e7d';
  const service = await serviceFor(t, {
    env: { SECRET_MESSAGE: SECRET, LOG_LEVEL: 'trace', SHUTDOWN_DELAY_MS: '0' },
  });
  const headers = { authorization: 'Bearer tok-1a2b3c', cookie: 'session=cook-4d5e6f' };
  const bodies: string[] = [];
  for (const path of [
    '/',
    '/version',
    '/healthz',
    '/readyz',
    '/metrics',
    '/openapi.json',
    '/nope',
    '/status/500',
    '/faults',
  ]) {
    const response = await fetch(`${service.url}${path}`, { headers });
    bodies.push(await response.text());
  }
  await service.stop();
  for (const text of [...bodies, ...service.lines]) {
    for (const forbidden of [SECRET, 'tok-1a2b3c', 'cook-4d5e6f']) {
      assert.ok(!text.includes(forbidden), `${forbidden} leaked in: ${text.slice(0, 200)}`);
    }
  }
  const ready = service.logs().find((r) => r.msg === 'ready: accepting traffic');
  assert.equal((ready?.config as { secret: string }).secret, 'configured');
});
