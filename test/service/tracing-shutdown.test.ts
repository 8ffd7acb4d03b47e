// Graceful shutdown exports the spans still buffered (the exporter batches for a second) before
// the process exits 0, within the shutdown budget; a trace backend that never answers cannot
// hold the shutdown past it either.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { flushBudgetMs } from '../../src/plugins/tracing.js';
import { testConfig } from '../helpers/app.js';
import { otlpReceiverFor, SPAN_KIND } from '../helpers/otlp-receiver.js';
import { callerSpan, tracedServiceFor } from '../helpers/tracing.js';

const SHUTDOWN = { SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '4000' };

test(
  'SIGTERM right after a request: its spans reach the receiver before the process exits 0',
  { timeout: 30_000 },
  async (t) => {
    const receiver = await otlpReceiverFor(t);
    const service = await tracedServiceFor(t, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      ...SHUTDOWN,
    });
    const caller = callerSpan();
    await (await fetch(`${service.url}/`, { headers: { traceparent: caller.traceparent } })).text();
    const signalledAt = performance.now();
    const status = await service.stop('SIGTERM');
    const elapsed = performance.now() - signalledAt;
    assert.deepEqual(status, { code: 0, signal: null });
    // Checked the moment the process is gone: nothing could have arrived after.
    const server = receiver.spans.find(
      (s) => s.traceId === caller.traceId && s.kind === SPAN_KIND.SERVER,
    );
    assert.ok(
      server,
      `the server span was exported before exit (${receiver.requests} export requests)`,
    );
    assert.ok(elapsed < 4000, `exited ${Math.round(elapsed)} ms after SIGTERM`);
    assert.ok(service.logs().some((line) => line.msg === 'tracing: every span exported'));
  },
);

test(
  'a backend that never answers: the flush gives up within its budget, the process still exits 0',
  { timeout: 30_000 },
  async (t) => {
    // Accepts the export and never answers it.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(async () => {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    });
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_TIMEOUT: '30000',
      ...SHUTDOWN,
    };
    const budget = flushBudgetMs(testConfig(env));
    assert.equal(budget, 2000, 'half of SHUTDOWN_TIMEOUT_MS, below the export timeout');
    const service = await tracedServiceFor(t, env);
    await (await fetch(`${service.url}/`)).text();
    const signalledAt = performance.now();
    const status = await service.stop('SIGTERM');
    const elapsed = performance.now() - signalledAt;
    assert.deepEqual(status, { code: 0, signal: null });
    assert.ok(
      elapsed >= budget - 50 && elapsed < 4000,
      `exited ${Math.round(elapsed)} ms after SIGTERM`,
    );
    const warning = service.logs().find((line) => line.component === 'tracing');
    assert.equal(warning?.msg, `tracing: spans not exported within ${budget} ms`);
  },
);
