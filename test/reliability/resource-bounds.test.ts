// Resource bounds: what one request may cost the service is limited, and clients that hold a
// connection without finishing their request are cut off by the server's own timeouts (so a slow
// or hostile client cannot pin sockets and memory). Runs against a real listening process with
// short limits, so each bound is observable within a few seconds.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { request } from 'undici';
import { answerProblem, parseRawAnswers } from '../helpers/reliability-fuzz.js';
import { FAULT_AUTH, FAULT_TOKEN_ENV } from '../helpers/fault-token.js';
import { serviceFor } from '../helpers/service.js';

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const KEEP_ALIVE_TIMEOUT_MS = 1000;
/** Node checks the header and request timeouts once a second (connectionsCheckingInterval). */
const CHECK_INTERVAL_MS = 1000;
/** Room for a busy test machine; the bounds below are still far from "never". */
const SLACK_MS = 2000;

interface CutOff {
  afterMs: number;
  data: Buffer;
}

/** Opens a socket, runs `feed` on it, and resolves when the server closes the connection. */
function cutOff(port: number, feed: (socket: Socket) => void): Promise<CutOff> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => {
      feed(socket);
    });
    socket.setTimeout(15_000, () => {
      socket.destroy(new Error('the server never closed the connection'));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      resolve({ afterMs: Date.now() - started, data: Buffer.concat(chunks) });
    });
  });
}

/** Whatever the server wrote before closing must be a 408 in the JSON error shape, or nothing. */
function assertTimeoutAnswer(result: CutOff, label: string): void {
  if (result.data.length === 0) return;
  const answers = parseRawAnswers(result.data, label);
  const last = answers.at(-1);
  assert.ok(last, label);
  assert.equal(last.status, 408, `${label}: ${result.data.toString()}`);
  assert.equal(answerProblem(last), undefined);
}

test('resource bounds and slow-client timeouts', async (t) => {
  const service = await serviceFor(t, {
    env: {
      DELAY_MAX_SECONDS: '1',
      WORK_MAX_MS: '50',
      BODY_LIMIT_BYTES: '1024',
      HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      FAULT_INJECTION_ENABLED: 'true',
      ...FAULT_TOKEN_ENV,
    },
  });

  async function get(path: string, init: Parameters<typeof request>[1] = {}) {
    const response = await request(`${service.url}${path}`, init);
    const text = await response.body.text();
    return {
      status: response.statusCode,
      headers: response.headers,
      body: text,
      problem: answerProblem({
        method: String(init.method ?? 'GET'),
        path,
        status: response.statusCode,
        headers: response.headers,
        body: text,
      }),
    };
  }

  await t.test('GET /delay/:seconds rejects values beyond DELAY_MAX_SECONDS', async () => {
    for (const value of ['1.5', '2', '60', '-1', 'Infinity', '1e9', 'abc']) {
      const answer = await get(`/delay/${value}`);
      assert.equal(answer.status, 400, `/delay/${value}: ${answer.body}`);
      assert.equal(answer.problem, undefined);
    }
    const started = Date.now();
    const atLimit = await get('/delay/1');
    assert.equal(atLimit.status, 200);
    assert.deepEqual(JSON.parse(atLimit.body), { delayedSeconds: 1 });
    assert.ok(Date.now() - started >= 990, 'the delay at the limit was not served');
  });

  await t.test('GET /work rejects ms beyond WORK_MAX_MS', async () => {
    for (const value of ['51', '0', '-5', '1.5', 'Infinity', '1e9', 'x']) {
      const answer = await get(`/work?ms=${value}`);
      assert.equal(answer.status, 400, `/work?ms=${value}: ${answer.body}`);
      assert.equal(answer.problem, undefined);
    }
    const atLimit = await get('/work?ms=50');
    assert.equal(atLimit.status, 200);
    assert.equal((JSON.parse(atLimit.body) as { ms: number }).ms, 50);
  });

  await t.test('a body over BODY_LIMIT_BYTES gets 413 in the error shape', async () => {
    const answer = await get('/faults', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...FAULT_AUTH },
      body: JSON.stringify({ errorRate: 0, padding: 'x'.repeat(2000) }),
    });
    assert.equal(answer.status, 413);
    assert.equal(answer.problem, undefined);
  });

  await t.test('headers never finished: cut off after HEADERS_TIMEOUT_MS', async () => {
    const result = await cutOff(service.port, (socket) => {
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    });
    assert.ok(result.afterMs >= HEADERS_TIMEOUT_MS - 50, `closed after ${result.afterMs} ms`);
    assert.ok(
      result.afterMs < HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS,
      `closed only after ${result.afterMs} ms`,
    );
    assertTimeoutAnswer(result, 'unfinished headers');
  });

  await t.test('headers trickled one line at a time: still cut off', async () => {
    let timer: NodeJS.Timeout | undefined;
    const result = await cutOff(service.port, (socket) => {
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
      let line = 0;
      timer = setInterval(() => {
        if (socket.writable) socket.write(`X-Slow-${line++}: y\r\n`);
      }, 200);
    });
    clearInterval(timer);
    assert.ok(
      result.afterMs < HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS,
      `a trickling client held the socket for ${result.afterMs} ms`,
    );
    assertTimeoutAnswer(result, 'trickled headers');
  });

  await t.test('body never finished: cut off after REQUEST_TIMEOUT_MS', async () => {
    const result = await cutOff(service.port, (socket) => {
      socket.write(
        `PUT /faults HTTP/1.1\r\nHost: x\r\nAuthorization: ${FAULT_AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"errorRate"`,
      );
    });
    assert.ok(result.afterMs >= REQUEST_TIMEOUT_MS - 50, `closed after ${result.afterMs} ms`);
    assert.ok(
      result.afterMs < REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS,
      `closed only after ${result.afterMs} ms`,
    );
    assertTimeoutAnswer(result, 'unfinished body');
  });

  await t.test('idle keep-alive connection: closed after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const result = await cutOff(service.port, (socket) => {
      socket.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    const answers = parseRawAnswers(result.data, 'keep-alive');
    assert.equal(answers[0]?.status, 200);
    assert.ok(result.afterMs >= KEEP_ALIVE_TIMEOUT_MS - 50, `closed after ${result.afterMs} ms`);
    assert.ok(
      result.afterMs < KEEP_ALIVE_TIMEOUT_MS + SLACK_MS,
      `idle socket kept for ${result.afterMs} ms`,
    );
  });

  assert.equal(service.process.exitCode, null, 'the service died');
});
