// `make bench` and `make loadtest`: the bench's reading of wrk's output and combining of its
// alternating slices (so the numbers it prints are the numbers measured), and the load test run
// for real against a local server that counts connections: it must recycle them (kube-proxy
// balances connections, not requests), hit /work, and stop with its summary on Ctrl-C.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { test } from 'node:test';
import { parseWrkOutput } from '../../scripts/bench/load-generators.js';
import { combineSlices, sliceOrder, sliceRatios, type Slice } from '../../scripts/bench/slices.js';
import { pollUntil } from '../../scripts/lib/poll.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { run } from '../helpers/run.js';

const WRK_OUTPUT = `Running 10s test @ http://127.0.0.1:41763/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.12ms    9.03ms 208.71ms   98.25%
    Req/Sec    24.39k     9.41k   41.41k    70.00%
  Latency Distribution
     50%  812.00us
     75%    1.33ms
     90%    2.00ms
     99%    1.41s 
  243012 requests in 10.04s, 76.48MB read
  Socket errors: connect 0, read 2, write 0, timeout 9
  Non-2xx or 3xx responses: 4
Requests/sec:  24199.01
Transfer/sec:      7.62MB
`;

test('parseWrkOutput reads rate, percentiles in any unit, and every kind of error', () => {
  assert.deepEqual(parseWrkOutput(WRK_OUTPUT), {
    requestsPerSecond: 24199.01,
    p50Ms: 0.812,
    p99Ms: 1410,
    errors: 15,
    requests: 243012,
  });
});

test('parseWrkOutput names what is missing instead of inventing a number', () => {
  assert.throws(() => parseWrkOutput('Running 1s test\n'), /no Requests\/sec/);
});

function slice(requests: number, seconds: number, p50Ms: number, p99Ms: number, errors = 0): Slice {
  return {
    requests,
    requestsPerSecond: requests / seconds,
    p50Ms,
    p99Ms,
    errors,
    seconds,
    cpuSeconds: seconds * 0.9,
  };
}

test('combineSlices: rate over all the time, median p50, worst p99, errors summed', () => {
  const combined = combineSlices([
    slice(20_000, 2, 1.5, 6),
    slice(10_000, 2, 3.0, 9.5, 2),
    slice(30_000, 2, 1.0, 4),
  ]);
  assert.equal(combined.requests, 60_000);
  assert.equal(combined.requestsPerSecond, 10_000);
  assert.equal(combined.p50Ms, 1.5);
  assert.equal(combined.p99Ms, 9.5);
  assert.equal(combined.errors, 2);
  assert.ok(Math.abs(combined.cpuShare - 0.9) < 1e-9);
  assert.equal(combineSlices([slice(1, 1, 1, 1), slice(1, 1, 3, 1)]).p50Ms, 2, 'even count');
  assert.throws(() => combineSlices([]), /no slices/);
});

test('sliceRatios pairs the slices in run order; sliceOrder alternates who goes first', () => {
  const ceiling = [slice(60_000, 2, 1, 4), slice(40_000, 2, 1, 4)];
  const service = [slice(36_000, 2, 2, 8), slice(30_000, 2, 2, 8)];
  assert.deepEqual(sliceRatios(ceiling, service), [0.6, 0.75]);
  assert.throws(() => sliceRatios(ceiling, service.slice(1)), /2 ceiling slices but 1/);
  assert.deepEqual(
    [0, 1, 2, 3].map((index) => sliceOrder(index, 'ceiling', 'service')),
    [
      ['ceiling', 'service'],
      ['service', 'ceiling'],
      ['ceiling', 'service'],
      ['service', 'ceiling'],
    ],
  );
});

const LOADTEST = ['--import', 'tsx', 'scripts/loadtest/loadtest.ts'];

test(
  'make loadtest: recycles connections, loads /work, and prints its summary when stopped with Ctrl-C',
  { timeout: 60_000 },
  async (t) => {
    let connections = 0;
    const paths = new Set<string>();
    const server = createServer((request, response) => {
      paths.add(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    server.on('connection', () => {
      connections += 1;
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');

    // Its own defaults but two connections and a long duration: only Ctrl-C ends this run.
    const child = spawn(
      process.execPath,
      [
        ...LOADTEST,
        '--url',
        `http://127.0.0.1:${address.port}`,
        '--connections',
        '2',
        '--work-ms',
        '7',
        '--duration',
        '600',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    t.after(() => {
      child.kill('SIGKILL');
    });

    // Two connections recycled every 20 requests open many; without recycling they stay two.
    await pollUntil(
      'the load test opens new connections as it goes (at least 10 with 2 at a time)',
      () => {
        if (child.exitCode !== null) assert.fail(`load test exited early:\n${output}`);
        return connections >= 10;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    child.kill('SIGINT');
    const [code] = await exited;
    assert.equal(code, 0, `exit code ${code} after Ctrl-C:\n${output}`);
    assert.deepEqual([...paths], ['/work?ms=7']);
    assert.match(output, /new connection every 20 requests/);
    // autocannon's own results table: latency, request rate, and the count of requests.
    for (const part of [/Latency/, /Req\/Sec/, /\d+k? requests in [\d.]+s/]) {
      assert.match(output, part, `summary incomplete:\n${output}`);
    }
  },
);

test('make loadtest: a bad URL or number ends with exit code 2 and one line naming it', async () => {
  const cases = [
    {
      args: ['--url', 'ftp://example.test'],
      line: 'loadtest: URL="ftp://example.test" is invalid: expected an http or https URL, e.g. URL=http://203.0.113.10:30082',
    },
    {
      args: ['--url', 'http://127.0.0.1:1', '--duration', '5m'],
      line: 'loadtest: DURATION="5m" is invalid: expected a whole number from 1 to 86400',
    },
  ];
  for (const { args, line } of cases) {
    const result = await run(process.execPath, [...LOADTEST, ...args], {
      cwd: REPO_ROOT,
      timeoutMs: 30_000,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim(), line);
  }
});

test(
  'make bench-log measures every destination, each child delivering all its lines',
  { timeout: 60_000 },
  async () => {
    const result = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/bench/log-destination.ts', '--lines', '2000', '--rounds', '1'],
      { cwd: REPO_ROOT, timeoutMs: 50_000 },
    );
    assert.equal(result.code, 0, result.stderr);
    // One table row per destination, each with a number in every column; the numbers themselves
    // are the machine's and are not judged (a destination's own cost, a difference of two noisy
    // medians, can come out below zero on a busy machine with one round).
    const rows = result.stdout.split('\n').filter((line) => /^\| [a-z]/.test(line));
    assert.deepEqual(
      rows.map((line) => line.split('|')[1]?.trim()),
      [
        'destination',
        'baseline: lines discarded',
        'turn-batched blocking write (service)',
        'sonic-boom (pino default)',
        'sonic-boom minLength 4096',
      ],
    );
    for (const row of rows.slice(2)) assert.match(row, /\| [\d.]+ \| -?[\d.]+ \| \d+ \|$/);
  },
);
