// /metrics: Prometheus text with the request histogram by route template, in-flight gauge,
// rejected-request counter, info gauge and Node defaults; probes kept out of the request metrics;
// the route and status labels bounded.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { DURATION_BUCKETS } from '../../src/metrics/duration-buckets.js';
import { REJECTION_REASONS } from '../../src/metrics/rejected-requests.js';
import { appFor } from '../helpers/app.js';
import { parsePrometheusText, type Sample } from '../helpers/prometheus-text.js';

type TestApp = Awaited<ReturnType<typeof appFor>>;

async function scrape(app: TestApp): Promise<Sample[]> {
  const response = await app.inject('/metrics');
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(response.body);
}

test('exposes the request histogram, in-flight gauge, info gauge and Node defaults', async (t) => {
  const app = await appFor(t, { APP_ENV: 'stage', GIT_COMMIT: 'c0ffee' });
  await app.inject('/');
  await app.inject('/work?ms=1');
  await app.inject('/status/503');
  const samples = await scrape(app);
  const names = new Set(samples.map((s) => s.name));
  for (const name of [
    'http_request_duration_seconds_bucket',
    'http_request_duration_seconds_sum',
    'http_request_duration_seconds_count',
    'http_requests_in_flight',
    'http_rejected_requests_total',
    'app_info',
    'nodejs_eventloop_lag_seconds',
    'nodejs_heap_size_used_bytes',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
  ]) {
    assert.ok(names.has(name), `missing ${name}`);
  }
  const count = (route: string, status: string) =>
    samples.find(
      (s) =>
        s.name === 'http_request_duration_seconds_count' &&
        s.labels.route === route &&
        s.labels.status_code === status &&
        s.labels.method === 'GET',
    )?.value;
  assert.equal(count('/', '200'), 1);
  assert.equal(count('/work', '200'), 1);
  assert.equal(count('/status/:code', '5xx'), 1, 'the route template, the status by class');
  // GC samples appear only after a collection; the metric itself is always declared.
  const raw = (await app.inject('/metrics')).body;
  assert.match(raw, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
  const info = samples.find((s) => s.name === 'app_info');
  assert.deepEqual(info?.labels, { version: '1.2.3', commit: 'c0ffee', environment: 'stage' });
  assert.equal(info.value, 1);
  const buckets = samples
    .filter((s) => s.name === 'http_request_duration_seconds_bucket' && s.labels.route === '/')
    .map((s) => s.labels.le);
  assert.deepEqual(buckets, [...DURATION_BUCKETS.map(String), '+Inf']);
  for (const reason of REJECTION_REASONS) {
    const rejected = samples.find(
      (s) => s.name === 'http_rejected_requests_total' && s.labels.reason === reason,
    );
    assert.equal(
      rejected?.value,
      0,
      `http_rejected_requests_total{reason="${reason}"} from the start`,
    );
  }
});

test('only counters are named _total (promtool check metrics: no gauge with the suffix)', async (t) => {
  const app = await appFor(t);
  const raw = (await app.inject('/metrics')).body;
  const types = new Map(
    [...raw.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']),
  );
  assert.ok(types.size > 10, 'the exposition declares its metrics');
  for (const [name, type] of types) {
    if (name.endsWith('_total')) assert.equal(type, 'counter', `${name} is a ${type}`);
  }
  assert.equal(types.get('nodejs_active_handles'), 'gauge', 'the labelled gauge stays');
});

test('GET /status/:code answers any code but adds at most one series per status class', async (t) => {
  const app = await appFor(t);
  for (let code = 200; code <= 599; code += 1) await app.inject(`/status/${code}`);
  const samples = await scrape(app);
  const statuses = samples
    .filter(
      (s) => s.name === 'http_request_duration_seconds_count' && s.labels.route === '/status/:code',
    )
    .map((s) => [s.labels.status_code, s.value]);
  assert.deepEqual(statuses.sort(), [
    ['2xx', 100],
    ['3xx', 100],
    ['4xx', 100],
    ['5xx', 100],
  ]);
});

test('probes and scrapes are counted apart from the request histogram', async (t) => {
  const app = await appFor(t);
  await app.inject('/healthz');
  await app.inject('/readyz');
  await app.inject('/metrics');
  const samples = await scrape(app);
  const histogramRoutes = new Set(
    samples
      .filter((s) => s.name === 'http_request_duration_seconds_count')
      .map((s) => s.labels.route),
  );
  for (const probe of ['/healthz', '/readyz', '/metrics']) {
    assert.ok(!histogramRoutes.has(probe), `${probe} must not be in the request histogram`);
    const counted = samples.find(
      (s) => s.name === 'http_probe_requests_total' && s.labels.route === probe,
    );
    assert.ok(counted && counted.value >= 1, `${probe} counted in http_probe_requests_total`);
  }
});

test('many distinct unknown URLs share one route label', async (t) => {
  const app = await appFor(t);
  for (let i = 0; i < 200; i += 1) await app.inject(`/does-not-exist/${i}?q=${i}`);
  await app.inject({ method: 'DELETE', url: '/' });
  const samples = await scrape(app);
  const routes = new Set(
    samples
      .filter((s) => s.name === 'http_request_duration_seconds_count')
      .map((s) => s.labels.route),
  );
  assert.deepEqual([...routes].sort(), ['unmatched']);
  const unmatched = samples.filter(
    (s) => s.name === 'http_request_duration_seconds_count' && s.labels.route === 'unmatched',
  );
  assert.equal(
    unmatched.reduce((sum, s) => sum + s.value, 0),
    201,
  );
});

test('answers given before the route runs (404, 405, OPTIONS) are timed from their arrival, like any other', async (t) => {
  const app = await appFor(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const open = async () => {
    const socket = connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    await once(socket, 'connect');
    return socket;
  };
  const busy = await open();
  const waiting = {
    'GET /nope': await open(),
    'DELETE /': await open(),
    'OPTIONS /': await open(),
    'GET /': await open(),
  };
  // Sent while the service is busy with GET /work?ms=300 (from its 'request' event, before the
  // handler burns the CPU): these wait in their sockets for that turn to end, as they would on a
  // saturated pod, and the histogram must count that wait for every one of them.
  app.server.prependOnceListener('request', () => {
    for (const [line, socket] of Object.entries(waiting)) {
      socket.write(`${line} HTTP/1.1\r\nHost: test\r\n\r\n`);
    }
  });
  const answered = [busy, ...Object.values(waiting)].map((socket) => once(socket, 'data'));
  busy.write('GET /work?ms=300 HTTP/1.1\r\nHost: test\r\n\r\n');
  await Promise.all(answered);

  const samples = await scrape(app);
  for (const [method, route, status] of [
    ['GET', 'unmatched', '404'],
    ['DELETE', 'unmatched', '405'],
    ['OPTIONS', '*', '204'],
    ['GET', '/', '200'],
  ] as const) {
    const sum = samples.find(
      (s) =>
        s.name === 'http_request_duration_seconds_sum' &&
        s.labels.method === method &&
        s.labels.route === route &&
        s.labels.status_code === status,
    )?.value;
    assert.ok(
      sum !== undefined && sum >= 0.1,
      `${method} ${route} ${status}: ${sum} s observed, expected the wait behind /work (>= 0.1 s)`,
    );
  }
});

async function inFlightNow(app: TestApp): Promise<number | undefined> {
  return (await scrape(app)).find((s) => s.name === 'http_requests_in_flight')?.value;
}

/** Scrapes until the gauge reads `expected` (the scrape itself counts 1), for up to 2 s. */
async function inFlightBecomes(app: TestApp, expected: number): Promise<number | undefined> {
  const deadline = Date.now() + 2000;
  let value = await inFlightNow(app);
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = await inFlightNow(app);
  }
  return value;
}

test('the in-flight gauge counts a request while it runs', async (t) => {
  const app = await appFor(t);
  assert.equal(await inFlightNow(app), 1, 'only the scrape itself');
  const slow = app.inject('/delay/0.5');
  assert.equal(await inFlightBecomes(app, 2), 2, 'the slow request and the scrape');
  await slow;
  assert.equal(await inFlightNow(app), 1);
});

test('a client that hangs up mid-request leaves the in-flight gauge', async (t) => {
  const app = await appFor(t);
  t.after(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.write('GET /delay/2 HTTP/1.1\r\nHost: test\r\n\r\n');
  assert.equal(await inFlightBecomes(app, 2), 2, 'the hung request and the scrape');
  socket.destroy();
  assert.equal(await inFlightBecomes(app, 1), 1, 'only the scrape once the client is gone');
});
