// A client cannot grow /metrics. Each sweep sends every status GET /status/:code accepts (200-599,
// by GET and HEAD), every method Node's parser knows on known and unknown paths, a seeded fuzz of
// hostile requests (random paths, percent-encodings, headers, bodies) and malformed raw requests.
// Before the labels were bounded one sweep of /status/:code alone made /metrics about 670 KiB
// (one histogram child per status). Now every label has a finite set of values, none of them taken
// from what the client wrote: route templates and "unmatched", eight method values, codes the
// service itself chose, and a class for /status/:code. After four sweeps with different seeds
// every value is in those sets and the exposition stays under METRICS_LIMIT_BYTES (seen here:
// about 56 histogram children, 121 kB). Which random request lands on which rare combination (a
// 500 from /work while a fuzzed PUT /faults had set an error rate) is chance, so the test checks
// the sets, not that a later sweep adds nothing.
import assert from 'node:assert/strict';
import { METHODS, STATUS_CODES } from 'node:http';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { TEST_FAULT_TOKEN } from '../helpers/fault-token.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { sendRaw } from '../helpers/raw-socket.js';
import {
  Picker,
  fuzzRequest,
  inParallel,
  rawRequest,
  seededRandom,
  type FuzzRequest,
} from '../helpers/reliability-fuzz.js';
import { serviceFor, type RunningService } from '../helpers/service.js';

/** The stated bound: what the sweeps fill (about 121 kB) with room for routes still to come. */
const METRICS_LIMIT_BYTES = 160 * 1024;
const CONCURRENCY = 8;
const BODY_LIMIT = 4096;
const DELAY_MAX = 1;
/** Routes the service has beside its documented paths: OPTIONS *, and the docs plugin's own. */
const UNDOCUMENTED_ROUTES = ['*', '/openapi.json'];
const PATHS = ['/', '/version', '/work?ms=1', '/faults', '/status/500', '/healthz', '/nowhere'];

async function sweep(service: RunningService, agent: Agent, seed: number): Promise<void> {
  const pick = new Picker(seededRandom(seed));
  const requests: FuzzRequest[] = [];
  for (let code = 200; code <= 599; code += 1) {
    for (const method of ['GET', 'HEAD'])
      requests.push({ method, path: `/status/${code}`, headers: {} });
  }
  // CONNECT takes the socket out of HTTP (raw answer below); the rest reach the router.
  for (const method of METHODS.filter((m) => m !== 'CONNECT')) {
    for (const path of PATHS) requests.push({ method, path, headers: {} });
  }
  const limits = { bodyLimit: BODY_LIMIT, delayMax: DELAY_MAX, faultToken: TEST_FAULT_TOKEN };
  for (let i = 0; i < 1000; i += 1) requests.push(fuzzRequest(pick, limits));
  await inParallel(CONCURRENCY, requests.length, async (index) => {
    const fuzz = requests[index];
    if (!fuzz) return;
    try {
      const response = await request(`${service.url}${fuzz.path}`, {
        dispatcher: agent,
        method: fuzz.method as 'GET',
        headers: fuzz.headers,
        ...(fuzz.body === undefined ? {} : { body: fuzz.body }),
      });
      await response.body.dump();
    } catch {
      // A request the service refuses at the socket still counts for the metrics it may add.
    }
  });
  const raws = Array.from({ length: 200 }, () => rawRequest(pick));
  await inParallel(CONCURRENCY, raws.length, async (index) => {
    const bytes = raws[index];
    if (bytes !== undefined) await sendRaw(service.port, bytes, { halfClose: true });
  });
}

async function exposition(
  service: RunningService,
): Promise<{ bytes: number; labels: Record<string, string>[] }> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const labels = parsePrometheusText(text)
    .filter((s) => s.name.startsWith('http_request_duration_seconds'))
    .map((s) => s.labels);
  return { bytes: Buffer.byteLength(text), labels };
}

/** The service's own route templates, from its OpenAPI document (/status/{code} -> /status/:code). */
async function routeTemplates(service: RunningService): Promise<Set<string>> {
  const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
    paths: Record<string, unknown>;
  };
  return new Set(Object.keys(document.paths).map((path) => path.replace(/\{(\w+)\}/g, ':$1')));
}

test(
  `hostile sweeps cannot grow /metrics past ${METRICS_LIMIT_BYTES / 1024} KiB`,
  { timeout: 300_000 },
  async (t) => {
    const service = await serviceFor(t, {
      env: {
        BODY_LIMIT_BYTES: String(BODY_LIMIT),
        DELAY_MAX_SECONDS: String(DELAY_MAX),
        WORK_MAX_MS: '20',
        FAULT_INJECTION_ENABLED: 'true',
        FAULT_TOKEN: TEST_FAULT_TOKEN,
      },
    });
    const agent = new Agent({ connections: CONCURRENCY });
    t.after(() => agent.close());

    for (const seed of [1, 2, 3, 4]) await sweep(service, agent, seed);
    const after = await exposition(service);
    const children = after.labels.filter((labels) => labels.le === undefined).length / 2;
    t.diagnostic(
      `/metrics: ${after.bytes} bytes, ${children} histogram children after four sweeps`,
    );

    assert.ok(
      after.bytes < METRICS_LIMIT_BYTES,
      `/metrics is ${after.bytes} bytes, over ${METRICS_LIMIT_BYTES}`,
    );
    // Every label value comes from a finite set the service defines, never from the request.
    const routes = await routeTemplates(service);
    const methods = new Set([...METHODS, 'OTHER']);
    const problems = new Set<string>();
    for (const { method = '', route = '', status_code: status = '' } of after.labels) {
      if (
        route !== 'unmatched' &&
        !routes.has(route) &&
        !UNDOCUMENTED_ROUTES.includes(route) &&
        !route.startsWith('/docs')
      )
        problems.add(`route "${route}" is not a route template`);
      if (!methods.has(method)) problems.add(`method "${method}" is not an HTTP method`);
      const classOnly = route === '/status/:code';
      if (classOnly ? !/^[1-5]xx$/.test(status) : STATUS_CODES[status] === undefined)
        problems.add(
          `${route}: status_code "${status}" is not ${classOnly ? 'a class' : 'a known code'}`,
        );
    }
    assert.deepEqual([...problems], []);
    assert.ok(routes.has('/status/:code'), 'the OpenAPI paths were read');
  },
);
