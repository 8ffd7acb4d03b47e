// Graceful shutdown on a real listening process: readiness turns 503 at once, in-flight and new
// requests are served during the drain delay, in-flight requests finish after it, exit 0 within
// delay + timeout. A second signal exits at once; an overrun of the timeout exits non-zero.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { FIRST_REQUEST_GRACE_MS } from '../../src/lifecycle/connection-drain.js';
import { parseLogLines, serviceFor, spawnService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';

const DELAY_MS = 1000;

/** Waits until a new connection to `url` is refused: the listener has closed. */
function listenerClosed(url: string, timeoutMs: number): Promise<void> {
  return until(
    async () => {
      try {
        await fetch(`${url}/healthz`);
        return false;
      } catch {
        return true;
      }
    },
    'the listener to close',
    timeoutMs,
  );
}
const TIMEOUT_MS = 3000;

test('SIGTERM with requests in flight: all complete with 200, readiness 503 during the delay, exit 0', async (t) => {
  const service = await serviceFor(t, {
    env: { SHUTDOWN_DELAY_MS: String(DELAY_MS), SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
  const agent = new Agent({ connections: 10, pipelining: 1 });
  t.after(async () => {
    await agent.close();
  });
  // In flight across the whole sequence: the last ones outlive the drain delay.
  const inFlight = [0.2, 0.8, 1.5, 1.8].map((seconds) =>
    request(`${service.url}/delay/${seconds}`, { dispatcher: agent }).then(async (r) => ({
      status: r.statusCode,
      body: await r.body.text(),
    })),
  );
  await until(
    async () => {
      const r = await request(`${service.url}/metrics`, { dispatcher: agent });
      return /^http_requests_in_flight 5$/m.test(await r.body.text());
    },
    'four requests in flight',
    5000,
  );
  const signalledAt = performance.now();
  service.process.kill('SIGTERM');

  await until(
    async () => (await fetch(`${service.url}/readyz`)).status === 503,
    'readiness to turn 503',
    500,
  );
  const readyAt = performance.now() - signalledAt;
  // Still serving ordinary requests during the delay, each telling the client to reconnect.
  const during = await fetch(`${service.url}/`);
  assert.equal(during.status, 200);
  assert.equal(during.headers.get('connection'), 'close');

  const results = await Promise.all(inFlight);
  const status = await service.exited;
  const elapsed = performance.now() - signalledAt;

  assert.ok(readyAt < DELAY_MS, `readiness turned 503 after ${readyAt} ms, before the delay ended`);
  assert.deepEqual(
    results.map((r) => r.status),
    [200, 200, 200, 200],
  );
  assert.deepEqual(status, { code: 0, signal: null });
  assert.ok(elapsed >= DELAY_MS, `kept serving for the delay (${elapsed} ms)`);
  assert.ok(elapsed < DELAY_MS + TIMEOUT_MS, `exited within delay + timeout (${elapsed} ms)`);
  const messages = service.logs().map((record) => record.msg);
  const sequence = [
    'shutdown started: readiness now 503, still serving during the drain delay',
    'drain delay over: no longer accepting connections, finishing in-flight requests',
    'shutdown complete: all requests finished, exiting 0',
  ];
  assert.deepEqual(
    messages.filter((m) => typeof m === 'string' && sequence.includes(m)),
    sequence,
  );
});

test('after the delay the listener is closed: new connections are refused', async (t) => {
  const service = await serviceFor(t, {
    env: { SHUTDOWN_DELAY_MS: '200', SHUTDOWN_TIMEOUT_MS: '2000' },
  });
  const slow = fetch(`${service.url}/delay/1`);
  service.process.kill('SIGTERM');
  await listenerClosed(service.url, 1500);
  assert.equal((await slow).status, 200, 'the in-flight request still completes');
  assert.equal((await service.exited).code, 0);
});

/** A raw connection that records what it received and when the server closed it. */
function rawConnection(port: number): {
  socket: Socket;
  received: () => string;
  closedAt: Promise<number>;
} {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => undefined);
  const closedAt = new Promise<number>((resolve) => {
    socket.on('close', () => {
      resolve(performance.now());
    });
  });
  return { socket, received: () => data, closedAt };
}

test('at the cut-over idle keep-alive connections close at once; new ones may still send their request within the grace', async (t) => {
  const delayMs = 300;
  const service = await serviceFor(t, {
    env: { SHUTDOWN_DELAY_MS: String(delayMs), SHUTDOWN_TIMEOUT_MS: '5000' },
  });
  const idle = rawConnection(service.port);
  t.after(() => idle.socket.destroy());
  await once(idle.socket, 'connect');
  idle.socket.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => idle.received().includes('"version"'), 'the keep-alive answer', 5000);
  assert.doesNotMatch(
    idle.received(),
    /connection: close/i,
    'answered before the drain: kept alive',
  );

  const signalledAt = performance.now();
  service.process.kill('SIGTERM');
  await until(async () => (await fetch(`${service.url}/readyz`)).status === 503, 'draining', 2000);
  // Accepted during the delay: one sends its request only after the listener closed, one never.
  const late = rawConnection(service.port);
  const silent = rawConnection(service.port);
  t.after(() => {
    late.socket.destroy();
    silent.socket.destroy();
  });
  await Promise.all([once(late.socket, 'connect'), once(silent.socket, 'connect')]);
  await listenerClosed(service.url, 3000);
  late.socket.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');

  const idleClosed = (await idle.closedAt) - signalledAt;
  assert.ok(idleClosed >= delayMs, `idle connection closed ${idleClosed} ms after the signal`);
  assert.ok(idleClosed < delayMs + 500, `idle connection held for ${idleClosed} ms`);
  await late.closedAt;
  assert.match(late.received(), /^HTTP\/1\.1 200 /, 'the late request is served');
  assert.match(late.received(), /connection: close/i);
  const silentClosed = (await silent.closedAt) - signalledAt;
  assert.equal(silent.received(), '', 'nothing is written to a connection that sent nothing');
  assert.ok(
    silentClosed >= delayMs + FIRST_REQUEST_GRACE_MS,
    `a silent new connection was closed ${silentClosed} ms after the signal, before the grace ended`,
  );
  assert.deepEqual(await service.exited, { code: 0, signal: null });
});

test('a silent new connection cannot make a short SHUTDOWN_TIMEOUT_MS overrun: its grace is half the timeout', async (t) => {
  const timeoutMs = 600;
  const service = await serviceFor(t, {
    env: { SHUTDOWN_DELAY_MS: '200', SHUTDOWN_TIMEOUT_MS: String(timeoutMs) },
  });
  service.process.kill('SIGTERM');
  await until(async () => (await fetch(`${service.url}/readyz`)).status === 503, 'draining', 2000);
  const silent = rawConnection(service.port);
  t.after(() => silent.socket.destroy());
  await once(silent.socket, 'connect');
  assert.deepEqual(await service.exited, { code: 0, signal: null });
  assert.equal(silent.received(), '');
});

test('a second signal during the drain exits at once with code 1', async (t) => {
  const service = await serviceFor(t, { env: { SHUTDOWN_DELAY_MS: '30000' } });
  service.process.kill('SIGTERM');
  await until(async () => (await fetch(`${service.url}/readyz`)).status === 503, 'draining', 2000);
  const started = performance.now();
  service.process.kill('SIGINT');
  const status = await service.exited;
  assert.equal(status.code, 1);
  assert.ok(performance.now() - started < 2000);
  assert.ok(
    service.logs().some((r) => r.msg === 'second signal during shutdown: exiting now with code 1'),
  );
});

test('requests outliving SHUTDOWN_TIMEOUT_MS are cut and the process exits 1', async (t) => {
  const service = await serviceFor(t, {
    env: { SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '300' },
  });
  const stuck = fetch(`${service.url}/delay/5`).then(
    (r) => r.status,
    () => 'connection closed',
  );
  await until(
    async () =>
      /^http_requests_in_flight 2$/m.test(await (await fetch(`${service.url}/metrics`)).text()),
    'the slow request to be in flight',
    3000,
  );
  const started = performance.now();
  service.process.kill('SIGTERM');
  const status = await service.exited;
  assert.equal(status.code, 1);
  assert.ok(performance.now() - started < 2000);
  assert.equal(await stuck, 'connection closed');
  assert.ok(service.logs().some((r) => String(r.msg).startsWith('shutdown timeout')));
});

test('an uncaught exception logs one fatal line and exits 1', async (t) => {
  // A preloaded module throws outside any request once the server runs.
  const thrower = 'data:text/javascript,setTimeout(() => { throw new Error("kaboom") }, 300)';
  const { lines, exited } = spawnService(t, { nodeArgs: ['--import', thrower] });
  const status = await exited;
  assert.equal(status.code, 1);
  const fatal = parseLogLines(lines).filter((r) => r.level === 'fatal');
  assert.equal(fatal.length, 1);
  assert.equal(fatal[0]?.msg, 'uncaught exception: exiting');
});

test('when stdout goes away (its reader closed it), the service exits 1 instead of serving blind', async (t) => {
  const service = await serviceFor(t, { env: { SHUTDOWN_DELAY_MS: '0' } });
  // The test is stdout's only reader; closing it makes the next log write fail with EPIPE.
  service.process.stdout?.destroy();
  // The answer goes out before the turn's log lines are written, so this request still works.
  const answer = await fetch(`${service.url}/`);
  assert.equal(answer.status, 200);
  await answer.arrayBuffer();
  let timer: NodeJS.Timeout | undefined;
  const status = await Promise.race([
    service.exited,
    new Promise<string>((resolve) => {
      timer = setTimeout(() => {
        resolve('still running after 5 s');
      }, 5000);
    }),
  ]);
  clearTimeout(timer);
  assert.deepEqual(status, { code: 1, signal: null });
});
