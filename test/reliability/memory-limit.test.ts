// Memory safety in the pod: the smallest environment gives the container 256Mi, and its
// kustomization sets NODE_OPTIONS (read here from k8s/overlays/dev) with --max-old-space-size at
// 75 % of that (192) and the young generation capped, leaving room for code and buffers. This
// runs the service with those options under a mixed load (CPU work, error paths, near-limit
// bodies, metrics scrapes) and checks that it stays alive, answers, never serves a 5xx, and keeps
// its resident memory under the container limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import autocannon from 'autocannon';
import { request } from 'undici';
import { PeakRssSampler } from '../../scripts/bench/process-stats.js';
import { FAULT_AUTH, FAULT_TOKEN_ENV } from '../helpers/fault-token.js';
import { overlayNodeOptions } from '../../scripts/lib/environments.js';
import { serviceFor } from '../helpers/service.js';

const CONTAINER_LIMIT_BYTES = 256 * 1024 * 1024; // k8s/overlays/dev: limits.memory 256Mi
const NODE_OPTIONS = overlayNodeOptions('dev');
const BODY_LIMIT = 16_384;

test(`with dev's NODE_OPTIONS (${NODE_OPTIONS}) the service survives load inside 256Mi`, async (t) => {
  const service = await serviceFor(t, {
    env: {
      NODE_OPTIONS,
      LOG_LEVEL: 'info',
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      FAULT_INJECTION_ENABLED: 'true',
      ...FAULT_TOKEN_ENV,
    },
  });
  const pid = service.process.pid;
  assert.ok(pid !== undefined, 'the service process has no pid');
  const sampler = new PeakRssSampler(pid);
  t.after(() => {
    sampler.stop();
  });
  const result = await autocannon({
    url: service.url,
    connections: 50,
    duration: 4,
    requests: [
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/work?ms=2' },
      {
        method: 'PUT',
        path: '/faults',
        headers: { 'content-type': 'application/json', ...FAULT_AUTH },
        body: `{"errorRate":"${'x'.repeat(BODY_LIMIT - 32)}"}`,
      },
      { method: 'GET', path: '/metrics' },
      { method: 'GET', path: '/no/such/route' },
    ],
  });
  const peak = sampler.stop();

  assert.equal(service.process.exitCode, null, 'the service died under load');
  assert.equal(result.errors, 0, 'connection errors or timeouts under load');
  assert.equal(result['5xx'], 0, 'server errors under load');
  // A floor that proves the load ran, low enough for a busy CI machine.
  assert.ok(result.requests.total > 100, `only ${result.requests.total} requests in 4 s`);
  assert.ok(
    peak < CONTAINER_LIMIT_BYTES,
    `peak RSS ${Math.round(peak / 1024 / 1024)} MiB exceeds the 256Mi container limit`,
  );
  const health = await request(`${service.url}/healthz`);
  await health.body.dump();
  assert.equal(health.statusCode, 200);
});
