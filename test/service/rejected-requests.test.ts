// Requests answered on the raw socket before Fastify sees them (Node's parser rejected them, or
// CONNECT) are counted in http_rejected_requests_total by reason and logged, at most one line per
// reason per interval with the count: on a real listening app with malformed, oversized,
// too-slow and CONNECT requests; and the log's rate limit with mocked timers.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { LOG_INTERVAL_MS, RejectionLog } from '../../src/metrics/rejected-requests.js';
import { appWithLogs } from '../helpers/app.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { sendRaw } from '../helpers/raw-socket.js';
import { until } from '../helpers/wait.js';

test('malformed, oversized and too-slow requests are counted by reason and logged once each', async (t) => {
  const { app, records } = await appWithLogs(t, { HEADERS_TIMEOUT_MS: '200' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;

  const malformed = 'GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n';
  for (let i = 0; i < 5; i += 1)
    assert.match((await sendRaw(port, malformed)).toString('latin1'), /^HTTP\/1\.1 400 /);
  const huge = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
  assert.match((await sendRaw(port, huge)).toString('latin1'), /^HTTP\/1\.1 431 /);
  // Headers that never finish: Node's headersTimeout answers 408.
  assert.match(
    (await sendRaw(port, 'GET / HTTP/1.1\r\nHost: x\r\n')).toString('latin1'),
    /^HTTP\/1\.1 408 /,
  );
  assert.match(
    (await sendRaw(port, 'CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n')).toString('latin1'),
    / 501 /,
  );

  const rejected = async (reason: string) =>
    parsePrometheusText((await app.inject('/metrics')).body).find(
      (s) => s.name === 'http_rejected_requests_total' && s.labels.reason === reason,
    )?.value;
  assert.equal(await rejected('malformed'), 5);
  assert.equal(await rejected('header_overflow'), 1);
  assert.equal(await rejected('request_timeout'), 1);
  assert.equal(await rejected('connect'), 1);

  await until(
    () => records().filter((r) => r.level === 'warn').length >= 4,
    'the rejection log lines',
    2000,
  );
  const lines = records().filter((r) =>
    String(r.msg).startsWith('requests rejected before routing'),
  );
  assert.deepEqual(
    lines.map((line) => [line.level, line.reason, line.count]).sort(),
    [
      ['warn', 'connect', 1],
      ['warn', 'header_overflow', 1],
      ['warn', 'malformed', 1],
      ['warn', 'request_timeout', 1],
    ],
    'the first of each reason at once; the other four malformed ones wait for the interval',
  );
});

test('the rejection log writes one line per reason per interval, the rest as a count when it ends', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const written: [string, Record<string, unknown>][] = [];
  const logger = {
    warn: (fields: Record<string, unknown>) => written.push(['warn', fields]),
    debug: (fields: Record<string, unknown>) => written.push(['debug', fields]),
  } as unknown as FastifyBaseLogger;
  const log = new RejectionLog(logger);
  t.after(() => {
    log.stop();
  });

  for (let i = 0; i < 100; i += 1) log.record('malformed');
  log.record('connection_error');
  assert.deepEqual(
    written.map(([level, fields]) => [level, fields.reason, fields.count]),
    [
      ['warn', 'malformed', 1],
      ['debug', 'connection_error', 1],
    ],
  );
  t.mock.timers.tick(LOG_INTERVAL_MS);
  assert.deepEqual(written.at(-1)?.[1], {
    reason: 'malformed',
    count: 99,
    intervalMs: LOG_INTERVAL_MS,
  });
  assert.equal(written.length, 3, 'a reason with nothing suppressed writes nothing more');
  log.record('malformed');
  assert.deepEqual(written.at(-1)?.[1].count, 1, 'a new interval starts with a line at once');
});
