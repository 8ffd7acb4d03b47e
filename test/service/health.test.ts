// Liveness and readiness: both answer from process state only. Readiness follows the lifecycle
// (starting -> ready -> draining); liveness fails only when the event loop has been stalled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { Lifecycle } from '../../src/lifecycle/lifecycle-state.js';
import { request } from 'undici';
import { appFor, testConfig } from '../helpers/app.js';
import { until } from '../helpers/wait.js';

/** The http_requests_in_flight value of one scrape (the scrape itself counts 1). */
async function inFlightCount(base: string): Promise<number> {
  const text = await (await request(`${base}/metrics`)).body.text();
  return Number(/^http_requests_in_flight (\d+)$/m.exec(text)?.[1] ?? 0);
}

test('/readyz is 503 while starting, 200 when ready, 503 from the moment draining begins', async (t) => {
  const lifecycle = new Lifecycle();
  const app = await buildApp(testConfig(), { logger: pino({ level: 'silent' }), lifecycle });
  t.after(() => app.close());
  await app.ready();

  const starting = await app.inject('/readyz');
  assert.equal(starting.statusCode, 503);
  assert.equal(starting.json<{ message: string }>().message, 'not ready: starting');

  lifecycle.markReady();
  const ready = await app.inject('/readyz');
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json(), { status: 'ok' });

  lifecycle.beginDraining();
  lifecycle.markReady(); // a drain is never undone
  const draining = await app.inject('/readyz');
  assert.equal(draining.statusCode, 503);
  assert.equal(draining.json<{ message: string }>().message, 'not ready: draining');
});

test('while draining, every answer says Connection: close, also one already in flight', async (t) => {
  const lifecycle = new Lifecycle();
  const app = await buildApp(testConfig(), { logger: pino({ level: 'silent' }), lifecycle });
  t.after(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  lifecycle.markReady();
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

  const before = await request(`${base}/`);
  await before.body.dump();
  assert.equal(before.headers.connection, 'keep-alive', 'ready: connections are kept');

  const inFlight = request(`${base}/delay/0.3`);
  await until(async () => (await inFlightCount(base)) === 2, 'the slow request and a scrape', 2000);
  lifecycle.beginDraining();
  const slow = await inFlight;
  await slow.body.dump();
  assert.equal(slow.statusCode, 200);
  assert.equal(slow.headers.connection, 'close', 'the in-flight request, answered after');

  const during = await request(`${base}/`);
  await during.body.dump();
  assert.equal(during.statusCode, 200);
  assert.equal(during.headers.connection, 'close', 'a new request while draining');
});

test('/healthz is 200 while the event loop runs freely', async (t) => {
  const app = await appFor(t);
  const response = await app.inject('/healthz');
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { status: 'ok' });
});

test('/healthz is 503 after the event loop was blocked longer than EVENT_LOOP_STALL_MS', async (t) => {
  const app = await appFor(t, { EVENT_LOOP_STALL_MS: '100' });
  // Block the loop for 300 ms, then let the monitor's 100 ms timer record how late it ran: its
  // tick is due before this test's own 150 ms timer, so it has run when the probe is asked.
  const until = Date.now() + 300;
  while (Date.now() < until) {
    // busy wait on purpose: this is the stall being detected
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  const response = await app.inject('/healthz');
  assert.equal(response.statusCode, 503);
  assert.match(
    response.json<{ message: string }>().message,
    /event loop stalled for \d+ ms \(limit EVENT_LOOP_STALL_MS=100\)/,
  );
});
