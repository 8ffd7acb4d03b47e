// Fault injection and the CPU-work endpoint: bounded, switchable, and never touching probes or
// /metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appFor } from '../helpers/app.js';

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
  const app = await appFor(t, { FAULT_ERROR_RATE: '0.6' }, { random: () => draw });
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
  const off = await app.inject({ method: 'PUT', url: '/faults', payload: { errorRate: 0 } });
  assert.deepEqual(off.json(), { errorRate: 0, latencyMs: 0 });
  assert.equal((await app.inject('/')).statusCode, 200);
  assert.equal((await app.inject('/work?ms=1')).statusCode, 200);
});

test('the latency switch slows ordinary routes and spares probes', async (t) => {
  const app = await appFor(t);
  const set = await app.inject({ method: 'PUT', url: '/faults', payload: { latencyMs: 150 } });
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

test('with fault injection off (prod default) the fault routes do not exist and no fault applies', async (t) => {
  const app = await appFor(t, { APP_ENV: 'prod', FAULT_ERROR_RATE: '1' });
  for (const url of ['/status/500', '/delay/1', '/faults']) {
    assert.equal((await app.inject(url)).statusCode, 404, url);
  }
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
