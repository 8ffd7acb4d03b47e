// The request histogram's buckets resolve this service: for known sets of durations (an idle
// service at about 0.2 ms, one with a slow tail, and the idle one three times slower), the p50 and
// p99 that histogram_quantile() computes from the real buckets (prom-client, the boundaries
// src/metrics/duration-buckets.ts defines) are within one bucket of the true quantiles, and within
// the widest ratio between neighbouring boundaries (2.5); a threefold regression below 1 ms shows.
// Every `le` the shipped rules and dashboards read is a boundary, the latency SLO's 0.5 s included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS } from '../../src/metrics/duration-buckets.js';
import {
  bucketIndex,
  bucketsOf,
  histogramQuantile,
  type Bucket,
} from '../helpers/histogram-quantile.js';
import { seededRandom } from '../helpers/reliability-fuzz.js';
import { dashboardQueries, shippedRuleExpressions } from '../helpers/monitoring-config.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

/** Log-normal durations (seconds) around `median`, spread by `sigma` (Box-Muller). */
function logNormal(random: () => number, count: number, median: number, sigma: number): number[] {
  return Array.from({ length: count }, () => {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return median * Math.exp(sigma * normal);
  });
}

const random = seededRandom(18);
const idle = logNormal(random, 10_000, 0.0002, 0.25);
const DURATION_SETS: Record<string, number[]> = {
  'idle service (about 0.2 ms)': idle,
  'a slow tail (3 % queued 5-100 ms)': [
    ...logNormal(random, 9_700, 0.0002, 0.25),
    ...logNormal(random, 300, 0.02, 0.6),
  ],
  'three times slower': idle.map((seconds) => seconds * 3),
};

/** The true q-quantile: the smallest duration with at least q of them at or below it. */
function trueQuantile(durations: readonly number[], q: number): number {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

async function bucketsAfterObserving(durations: readonly number[]): Promise<Bucket[]> {
  const registry = new Registry();
  const histogram = new Histogram({
    name: 'known_durations_seconds',
    help: 'durations of the test',
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
  });
  for (const seconds of durations) histogram.observe(seconds);
  return bucketsOf(parsePrometheusText(await registry.metrics()), 'known_durations_seconds_bucket');
}

const WIDEST_RATIO = Math.max(
  ...DURATION_BUCKETS.slice(1).map((bound, i) => bound / (DURATION_BUCKETS[i] ?? bound)),
);

for (const [name, durations] of Object.entries(DURATION_SETS)) {
  test(`${name}: p50 and p99 from the buckets are within one bucket of the truth`, async () => {
    const buckets = await bucketsAfterObserving(durations);
    for (const q of [0.5, 0.99]) {
      const truth = trueQuantile(durations, q);
      const estimate = histogramQuantile(q, buckets);
      const label = `p${q * 100}: true ${(truth * 1000).toFixed(3)} ms, from buckets ${(estimate * 1000).toFixed(3)} ms`;
      assert.ok(
        Math.abs(bucketIndex(estimate, DURATION_BUCKETS) - bucketIndex(truth, DURATION_BUCKETS)) <=
          1,
        `${label}: more than one bucket apart`,
      );
      assert.ok(
        Math.max(estimate / truth, truth / estimate) <= WIDEST_RATIO,
        `${label}: off by more than the ${WIDEST_RATIO}x between neighbouring boundaries`,
      );
    }
  });
}

test('a threefold regression below 1 ms shows in p50 and p99', async () => {
  const before = await bucketsAfterObserving(idle);
  const after = await bucketsAfterObserving(DURATION_SETS['three times slower'] ?? []);
  for (const q of [0.5, 0.99]) {
    const ratio = histogramQuantile(q, after) / histogramQuantile(q, before);
    assert.ok(ratio >= 2, `p${q * 100} moved only ${ratio.toFixed(2)}x for a 3x slowdown`);
  }
});

test('every le the shipped rules and dashboards read is a bucket boundary, 0.5 s included', () => {
  const expressions = [...shippedRuleExpressions(), ...dashboardQueries().map((q) => q.expr)];
  const read = new Set(
    expressions.flatMap((expr) => [...expr.matchAll(/\ble="([^"]+)"/g)].map((m) => m[1] ?? '')),
  );
  assert.ok(read.has('0.5'), 'the latency SLO counts requests in le="0.5"');
  for (const le of read) {
    assert.ok(DURATION_BUCKETS.includes(Number(le)), `le="${le}" is not a bucket boundary`);
  }
});
