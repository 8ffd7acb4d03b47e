// The pure parts of `make bench` and `make loadtest`: reading wrk's output and the load test's
// per-second window, so the numbers they print are the numbers measured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWrkOutput } from '../../scripts/bench/load-generators.js';
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
