// Hostile input: a bounded, seeded fuzz run against every route of a real listening service.
// Thousands of well-formed but hostile requests (random methods, paths, percent-encodings, query
// strings, oversized headers, invalid and oversized bodies) go through an HTTP client, and
// malformed raw requests (bad request lines, broken headers, smuggling attempts, garbage bytes)
// through plain sockets. The service must answer every one without a 5xx (except /status/5xx and
// the injected error rate, on purpose), put every error in the one JSON error shape, send the
// security headers on every answer, stay alive, keep its memory stable, and never log an
// unhandled rejection or a fatal error.
// The seed is fixed, so a failure reproduces; set FUZZ_SEED to explore other sequences.
// Found so far and fixed in src/: /work?ms=Infinity spun forever and /status/Infinity was a 500
// (Ajv skips limits for coerced Infinity), bad percent-encodings, bare OPTIONS and a missing
// Host header were answered outside the JSON error shape; the raw-socket, pre-routing and
// missing-Host answers went without the security headers. Since then also sent: bearer tokens
// right and wrong on PUT /faults, coded bodies, two Host lines, invalid Hosts, unmet Expect,
// CONNECT (once closed without a word, now a 501), TRACE and DELETE on known paths (405).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { residentBytes } from '../../scripts/bench/process-stats.js';
import {
  Picker,
  answerProblem,
  fuzzRequest,
  inParallel,
  parseRawAnswers,
  rawRequest,
  seededRandom,
  type FuzzRequest,
} from '../helpers/reliability-fuzz.js';
import { TEST_FAULT_TOKEN } from '../helpers/fault-token.js';
import { sendRaw } from '../helpers/raw-socket.js';
import { serviceFor } from '../helpers/service.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const WARMUP_REQUESTS = 300;
const CLIENT_REQUESTS = 2400;
const RAW_REQUESTS = 500;
const CONCURRENCY = 16;
const BODY_LIMIT = 4096;
const DELAY_MAX = 1;
/** Generous: a leak of a few KB per request over this run would still cross it. */
const RSS_GROWTH_LIMIT = 64 * 1024 * 1024;

async function send(baseUrl: string, agent: Agent, fuzz: FuzzRequest) {
  const response = await request(`${baseUrl}${fuzz.path}`, {
    dispatcher: agent,
    method: fuzz.method as 'GET',
    headers: fuzz.headers,
    ...(fuzz.body === undefined ? {} : { body: fuzz.body }),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  return {
    method: fuzz.method,
    path: fuzz.path,
    status: response.statusCode,
    headers: response.headers,
    body: await response.body.text(),
  };
}

/** Runs `count` tasks with at most CONCURRENCY at a time. */

test(`hostile input (seed ${SEED}): no unexpected 5xx, one error shape, alive, memory stable`, async (t) => {
  const service = await serviceFor(t, {
    env: {
      LOG_LEVEL: 'info',
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      DELAY_MAX_SECONDS: String(DELAY_MAX),
      WORK_MAX_MS: '20',
      FAULT_INJECTION_ENABLED: 'true',
      FAULT_TOKEN: TEST_FAULT_TOKEN,
    },
  });
  const pid = service.process.pid;
  assert.ok(pid !== undefined, 'the service process has no pid');
  const pick = new Picker(seededRandom(SEED));
  const agent = new Agent({ connections: CONCURRENCY });
  const problems: string[] = [];
  const limits = { bodyLimit: BODY_LIMIT, delayMax: DELAY_MAX, faultToken: TEST_FAULT_TOKEN };
  const statuses = new Map<number, number>();

  async function client(count: number): Promise<void> {
    const requests = Array.from({ length: count }, () => fuzzRequest(pick, limits));
    await inParallel(CONCURRENCY, count, async (index) => {
      const fuzz = requests[index];
      if (!fuzz) return;
      try {
        const answer = await send(service.url, agent, fuzz);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problem = answerProblem(answer);
        if (problem) problems.push(problem);
      } catch (error) {
        problems.push(`${fuzz.method} ${fuzz.path.slice(0, 120)}: ${String(error)}`);
      }
    });
  }

  t.after(async () => {
    await agent.close();
  });
  await client(WARMUP_REQUESTS);
  const rssBefore = residentBytes(pid) ?? 0;

  await client(CLIENT_REQUESTS);
  const raws = Array.from({ length: RAW_REQUESTS }, () => rawRequest(pick));
  let unanswered = 0;
  await inParallel(CONCURRENCY, RAW_REQUESTS, async (index) => {
    const bytes = raws[index] ?? '';
    const label = `raw #${index}: ${JSON.stringify(bytes.toString().slice(0, 80))}`;
    try {
      const data = await sendRaw(service.port, bytes, { halfClose: true });
      if (data.length === 0) unanswered += 1;
      for (const answer of parseRawAnswers(data, label)) {
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problem = answerProblem(answer);
        if (problem) problems.push(problem);
      }
    } catch (error) {
      problems.push(`${label}: ${String(error)}`);
    }
  });
  const rssAfter = residentBytes(pid) ?? Infinity;

  // FUZZ_DUMP=file writes every problem, for triage when there are more than the 20 shown.
  if (process.env.FUZZ_DUMP) writeFileSync(process.env.FUZZ_DUMP, problems.join('\n'));
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} bad answers`);
  // Most malformed requests get an answer; a silent close is allowed only for a few
  // (e.g. random bytes that never form a request line).
  assert.ok(unanswered < RAW_REQUESTS / 4, `${unanswered} raw requests got no answer at all`);
  assert.equal(service.process.exitCode, null, 'the service exited during the run');
  const health = await request(`${service.url}/healthz`);
  assert.equal(health.statusCode, 200);
  await health.body.dump();
  assert.ok(
    rssAfter - rssBefore < RSS_GROWTH_LIMIT,
    `RSS grew from ${rssBefore} to ${rssAfter} bytes over the run`,
  );
  const bad = service
    .logs()
    .filter((record) => record.level === 'fatal' || /unhandled|uncaught/i.test(String(record.msg)));
  assert.deepEqual(bad, []);
  assert.ok(
    !service.lines.some((line) => line.includes(TEST_FAULT_TOKEN)),
    'the fault token appears in the log',
  );
  // Errors logged at error level are only the deliberate injected faults.
  const errors = service.logs().filter((record) => record.level === 'error');
  for (const record of errors) {
    assert.match(JSON.stringify(record.err), /Injected fault/, JSON.stringify(record));
  }
  // The run really reached the client-error paths, not only happy routes.
  for (const status of [200, 400, 401, 404, 405, 413, 415, 417]) {
    assert.ok(
      (statuses.get(status) ?? 0) > 0,
      `no ${status} seen: ${JSON.stringify([...statuses])}`,
    );
  }
});
