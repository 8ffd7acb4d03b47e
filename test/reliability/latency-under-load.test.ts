// The request histogram tracks what clients wait, also when the event loop is saturated. A load
// generator in its own process keeps the service's loop busy (16 keep-alive connections on
// GET /work?ms=1, so every turn of the loop has about 16 ms of work); meanwhile an independent
// client times GET /version on new connections, one at a time, from connect() to the last byte.
// Only that client asks for /version, so the histogram's /version series holds exactly its
// requests: its p50 and p99 (histogram_quantile as Prometheus computes it) must be within one
// bucket of what the client measured. Fastify's own elapsedTime, which the histogram used to
// observe, starts after the wait and put these requests below 1 ms while clients waited ~30 ms.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { DURATION_BUCKETS } from '../../src/metrics/duration-buckets.js';
import { getOnFreshConnection } from '../helpers/fresh-connection.js';
import {
  bucketIndex,
  bucketsOf,
  histogramQuantile,
  type Bucket,
} from '../helpers/histogram-quantile.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { seededRandom } from '../helpers/reliability-fuzz.js';
import { serviceFor, type RunningService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';

const PROBES = 200;
const LOAD_CONNECTIONS = 16;
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** Cumulative bucket counts of the GET /version 200 series, and the work requests served. */
async function scrape(service: RunningService): Promise<{ version: Bucket[]; work: number }> {
  const samples = parsePrometheusText(await (await fetch(`${service.url}/metrics`)).text());
  const version = bucketsOf(
    samples,
    'http_request_duration_seconds_bucket',
    (labels) => labels.route === '/version' && labels.status_code === '200',
  );
  const work = samples
    .filter((s) => s.name === 'http_request_duration_seconds_count' && s.labels.route === '/work')
    .reduce((sum, s) => sum + s.value, 0);
  return { version, work };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

test(
  'under a saturating load the histogram agrees, within a bucket, with a client on new connections',
  { timeout: 120_000 },
  async (t) => {
    const service = await serviceFor(t);
    const load = spawn(
      process.execPath,
      [
        AUTOCANNON,
        '-c',
        String(LOAD_CONNECTIONS),
        '-d',
        '60',
        '--json',
        `${service.url}/work?ms=1`,
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    t.after(() => {
      load.kill('SIGKILL');
    });
    await until(
      async () => (await scrape(service)).work >= 500,
      'the load to saturate the loop',
      20_000,
    );

    const before = await scrape(service);
    const random = seededRandom(19);
    const measured: number[] = [];
    for (let i = 0; i < PROBES; i += 1) {
      const outcome = await getOnFreshConnection(service.port, '/version');
      if (outcome.kind !== 'answered')
        assert.fail(`a probe was not answered: ${JSON.stringify(outcome)}`);
      measured.push(outcome.ms / 1000);
      // A random gap, so the probes land at every point of the loop's turns.
      await pause(random() * 5);
    }
    const after = await scrape(service);
    assert.ok(load.exitCode === null, 'the load generator stopped before the probes ended');

    const delta = after.version.map((bucket) => ({
      le: bucket.le,
      count: bucket.count - (before.version.find((b) => b.le === bucket.le)?.count ?? 0),
    }));
    assert.equal(delta.at(-1)?.count, PROBES, 'the histogram saw exactly the probes');
    measured.sort((a, b) => a - b);
    const p50 = quantile(measured, 0.5);
    assert.ok(p50 > 0.005, `client p50 ${p50 * 1000} ms: the loop was not saturated`);
    for (const q of [0.5, 0.99]) {
      const client = quantile(measured, q);
      const histogram = histogramQuantile(q, delta);
      t.diagnostic(
        `p${q * 100}: client ${(client * 1000).toFixed(1)} ms, histogram ${(histogram * 1000).toFixed(1)} ms`,
      );
      const apart = Math.abs(
        bucketIndex(histogram, DURATION_BUCKETS) - bucketIndex(client, DURATION_BUCKETS),
      );
      assert.ok(
        apart <= 1,
        `p${q * 100}: the client measured ${(client * 1000).toFixed(1)} ms, the histogram says ${(histogram * 1000).toFixed(1)} ms (${apart} buckets apart)`,
      );
    }
  },
);
