// The pure parts of `make bench` and `make loadtest`: reading wrk's output, combining the bench's
// alternating slices, and the load test's per-second window, so the numbers they print are the
// numbers measured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWrkOutput } from '../../scripts/bench/load-generators.js';
import { combineSlices, sliceOrder, sliceRatios, type Slice } from '../../scripts/bench/slices.js';
import { ProgressWindow, formatProgress } from '../../scripts/loadtest/progress.js';

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

test('ProgressWindow counts one second at a time, with its own p99', () => {
  const window = new ProgressWindow();
  for (let ms = 1; ms <= 100; ms += 1) window.record(ms === 100 ? 503 : 200, ms);
  window.recordError();
  assert.deepEqual(window.takeSecond(), { requests: 100, errors: 1, non2xx: 1, p99Ms: 100 });
  assert.deepEqual(window.takeSecond(), { requests: 0, errors: 0, non2xx: 0, p99Ms: 0 });
  assert.equal(
    formatProgress({ requests: 42, errors: 0, non2xx: 1, p99Ms: 12.4 }, 7.2, {
      durationSeconds: 60,
      pods: 3,
    }),
    '[7/60 s]  42 req/s  p99 12 ms  errors 0  non-2xx 1  pods seen 3',
  );
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
