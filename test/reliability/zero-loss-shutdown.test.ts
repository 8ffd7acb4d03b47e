// Zero-loss shutdown under load, against real listening processes (dist/server.js).
//
// 1. One instance: a steady keep-alive load runs while the process gets SIGTERM, and keeps
//    running through the whole drain: it does not stop at the first 503 from /readyz or the first
//    `Connection: close` (the service's "reconnect elsewhere"), it reconnects and sends on, as a
//    client or proxy that ignores readiness would. Every request it sent must succeed; a
//    connection refused after the listener closed is expected (nothing was sent) and counted
//    apart, and none may come before the drain delay is over. Long requests started before the
//    signal must finish after the listener closed, and the process must exit 0 within
//    SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS.
// 2. The cut-over itself, with a client that reconnects the moment it gets an answer (every
//    drain answer says Connection: close) over plain sockets, nothing pooled or retried: at the
//    moment the listener closes such clients are mid-handshake or have just sent their request,
//    which Node's own server.close() reset (about one per client). Not one request may fail once
//    its connection was open; refusals after the listener closed are expected and counted apart.
// 3. Two instances behind a readiness-polling proxy (as kube-proxy routes only to ready pods): a
//    rolling restart (surge one new instance, stop one old, twice) with zero client-visible errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { getOnFreshConnection, type FreshOutcome } from '../helpers/fresh-connection.js';
import { steadyLoad } from '../helpers/reliability-load.js';
import { ReadinessProxy } from '../helpers/reliability-proxy.js';
import { until } from '../helpers/wait.js';
import { serviceFor, type RunningService } from '../helpers/service.js';

const SHUTDOWN_DELAY_MS = 2000;
const SHUTDOWN_TIMEOUT_MS = 5000;
const ENV = {
  SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
  SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  LOG_LEVEL: 'info',
};
const SHUTDOWN_MESSAGES = [
  'shutdown started: readiness now 503, still serving during the drain delay',
  'drain delay over: no longer accepting connections, finishing in-flight requests',
  'shutdown complete: all requests finished, exiting 0',
];

function messages(service: RunningService): string[] {
  return service.logs().map((record) => String(record.msg));
}

/** Status of one GET on a fresh connection (closed afterwards), or the error code. */
async function probe(url: string): Promise<{ status: number; connection?: string } | string> {
  try {
    const response = await request(url, { reset: true, headersTimeout: 5000 });
    await response.body.dump();
    const connection = response.headers.connection;
    return {
      status: response.statusCode,
      ...(typeof connection === 'string' ? { connection } : {}),
    };
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

test('one instance: SIGTERM under keep-alive load that ignores readiness drops no request and exits 0 in time', async (t) => {
  const service = await serviceFor(t, { env: ENV });
  let sending = true; // stops the load if an assertion ends the test early
  t.after(() => {
    sending = false;
  });
  let drainNoticedAt: number | undefined; // first 503 or Connection: close: noticed, not obeyed
  const readiness: { at: number; status: number }[] = [];

  // The readiness probe, as the kubelet runs it (faster, to keep the test short).
  const prober = (async () => {
    for (;;) {
      const answer = await probe(`${service.url}/readyz`);
      if (answer === 'ECONNREFUSED') break; // the listener has closed
      if (typeof answer === 'string') continue; // a probe timed out: the next one decides
      readiness.push({ at: Date.now(), status: answer.status });
      if (answer.status === 503) drainNoticedAt ??= Date.now();
      await sleep(50);
    }
  })();

  const load = steadyLoad({
    baseUrl: service.url,
    concurrency: 16,
    paths: ['/', '/version', '/work?ms=2'],
    shouldContinue: () => sending,
    onAnswer: (_status, headers) => {
      if (headers.connection === 'close') drainNoticedAt ??= Date.now();
    },
  });
  await until(() => load.report.ok >= 200, '200 requests served before the signal');

  // In flight across the moment the listener closes: started before SIGTERM, they end about a
  // second after the drain delay is over.
  const slowAgent = new Agent({ connections: 3 });
  t.after(() => slowAgent.destroy());
  const inFlight = Array.from({ length: 3 }, async () => {
    const response = await request(`${service.url}/delay/3`, { dispatcher: slowAgent });
    const body = await response.body.json();
    return {
      status: response.statusCode,
      body,
      closingAlreadyStarted: messages(service).includes(SHUTDOWN_MESSAGES[1] ?? ''),
    };
  });
  await until(
    () =>
      service.logs().length > 0 && readiness.length > 0 && readiness.every((r) => r.status === 200),
    'readiness 200 before the signal',
  );

  const signalledAt = Date.now();
  service.process.kill('SIGTERM');
  await until(() => drainNoticedAt !== undefined, 'the drain to show', SHUTDOWN_DELAY_MS);

  // Still serving during the drain delay, on a new connection, and saying "reconnect elsewhere".
  const during = await probe(`${service.url}/`);
  assert.ok(Date.now() - signalledAt < SHUTDOWN_DELAY_MS, 'the drain-delay probe came too late');
  assert.deepEqual(during, { status: 200, connection: 'close' });

  const status = await service.exited;
  const elapsed = Date.now() - signalledAt;
  const report = await load.finished;
  const slow = await Promise.all(inFlight);
  await slowAgent.close();
  await prober;

  assert.deepEqual(report.failures, [], 'requests failed during shutdown');
  assert.ok(report.ok >= 200, `only ${report.ok} requests succeeded`);
  assert.ok(report.connectionClose > 0, 'the load kept sending after the drain began');
  if (report.firstRefusedAt !== undefined) {
    assert.ok(
      report.firstRefusedAt - signalledAt >= SHUTDOWN_DELAY_MS,
      `a connection was refused ${report.firstRefusedAt - signalledAt} ms after the signal, before the drain delay ended`,
    );
  }
  assert.deepEqual(status, { code: 0, signal: null });
  assert.ok(
    elapsed < SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS,
    `exited after ${elapsed} ms, limit ${SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS} ms`,
  );
  assert.ok(elapsed >= SHUTDOWN_DELAY_MS, `exited after ${elapsed} ms, before the drain delay`);
  for (const answer of slow) {
    assert.deepEqual(answer, {
      status: 200,
      body: { delayedSeconds: 3 },
      closingAlreadyStarted: true,
    });
  }
  const first503 = readiness.find((r) => r.status === 503);
  assert.ok(first503, 'readiness never answered 503');
  assert.ok(first503.at - signalledAt < SHUTDOWN_DELAY_MS, 'readiness turned 503 too late');
  const seen = messages(service).filter((msg) => SHUTDOWN_MESSAGES.includes(msg));
  assert.deepEqual(seen, SHUTDOWN_MESSAGES);
});

test('the cut-over: a client that reconnects after every answer has no request reset, only refusals after the listener closed', async (t) => {
  const service = await serviceFor(t, { env: { ...ENV, SHUTDOWN_DELAY_MS: '1000' } });
  let sending = true;
  t.after(() => {
    sending = false;
  });
  const outcomes: (FreshOutcome & { at: number })[] = [];
  // Each worker: connect, send, read the answer, repeat at once; it stops when refused.
  const workers = Array.from({ length: 16 }, async () => {
    while (sending) {
      const outcome = await getOnFreshConnection(service.port, '/version');
      outcomes.push({ ...outcome, at: Date.now() });
      if (outcome.kind === 'refused') return;
    }
  });
  await until(() => outcomes.length >= 200, '200 answers before the signal');
  const signalledAt = Date.now();
  service.process.kill('SIGTERM');
  const status = await service.exited;
  await Promise.all(workers);

  const failed = outcomes.filter(
    (o) => o.kind === 'failed before sending' || o.kind === 'failed after sending',
  );
  assert.deepEqual(failed, [], 'requests reset or cut once their connection was open');
  const answered = outcomes.filter((o) => o.kind === 'answered');
  assert.deepEqual(
    answered.filter((o) => o.status !== 200),
    [],
    'every answer is a 200',
  );
  const drainAnswers = answered.filter((o) => o.connectionClose).length;
  assert.ok(drainAnswers > 50, `only ${drainAnswers} answers during the drain: the client stopped`);
  const refused = outcomes.filter((o) => o.kind === 'refused');
  assert.equal(refused.length, 16, 'each worker ends refused, once the listener has closed');
  for (const refusal of refused) {
    assert.ok(refusal.at - signalledAt >= 1000, 'refused before the drain delay ended');
  }
  assert.deepEqual(status, { code: 0, signal: null });
});

test('two instances behind a readiness-aware proxy: a rolling restart shows no client error', async (t) => {
  let running = true; // the load runs while this is true
  t.after(() => {
    running = false;
  });
  const proxy = await ReadinessProxy.start(100);
  t.after(() => proxy.close());
  const instances = new Map<string, RunningService>();
  async function launch(name: string): Promise<void> {
    // The proxy probes every 100 ms, so one second of drain delay is ample here.
    const service = await serviceFor(t, { env: { ...ENV, SHUTDOWN_DELAY_MS: '1000' } });
    instances.set(name, service);
    proxy.add(name, service.url);
    await until(() => proxy.isRouting(name), `${name} to enter the rotation`);
  }
  async function retire(name: string): Promise<void> {
    const service = instances.get(name);
    assert.ok(service, `no instance named ${name}`);
    const status = await service.stop('SIGTERM');
    proxy.remove(name);
    assert.deepEqual(status, { code: 0, signal: null }, `${name} did not exit cleanly`);
  }

  await Promise.all([launch('old-a'), launch('old-b')]);
  const load = steadyLoad({
    baseUrl: proxy.url,
    concurrency: 12,
    paths: ['/', '/work?ms=1', '/version'],
    shouldContinue: () => running,
  });
  await until(() => load.report.ok >= 100, 'traffic through both instances');

  // A Deployment with maxSurge 1 and maxUnavailable 0: a new pod is ready before an old one goes.
  await launch('new-a');
  await retire('old-a');
  await launch('new-b');
  await retire('old-b');
  await until(() => proxy.served('new-b') >= 50, 'traffic on the last new instance');
  running = false;
  const report = await load.finished;

  assert.deepEqual(report.failures, [], 'client-visible errors during the rolling restart');
  for (const name of ['new-a', 'new-b']) {
    assert.ok(proxy.served(name) > 0, `${name} served no request`);
  }
  assert.ok(report.ok >= 100, `only ${report.ok} requests succeeded`);
});
