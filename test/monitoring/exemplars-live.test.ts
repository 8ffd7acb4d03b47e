// Exemplars end to end with real processes: the built service with tracing on (preload, a real
// OTLP receiver), scraped by a real Prometheus with the shipped scrape job (OpenMetrics first)
// and the shipped feature flags (exemplar storage). A request with a caller's traceparent must
// come back from Prometheus's exemplar API with that trace id on the request histogram: the link
// Grafana follows from a slow bucket to its trace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findFirstExecutable } from '../../scripts/lib/find-executable.js';
import { ALERTMANAGER_NAMES, waitUntil } from '../../scripts/monitor/processes.js';
import { startMonitoringStack } from '../../scripts/monitor/stack.js';
import { tempDir } from '../helpers/monitoring-config.js';
import { otlpReceiverFor } from '../helpers/otlp-receiver.js';
import { requireTool } from '../helpers/tools.js';
import { callerSpan, tracedServiceFor } from '../helpers/tracing.js';

interface ExemplarResult {
  status: string;
  data?: {
    seriesLabels: Record<string, string>;
    exemplars: { labels: Record<string, string> }[];
  }[];
}

test(
  'Prometheus stores the trace id of a request as an exemplar of its latency bucket',
  { timeout: 90_000 },
  async (t) => {
    if (!requireTool(t, 'prometheus', 'Debian package prometheus')) return;
    if (!findFirstExecutable(ALERTMANAGER_NAMES) && !requireTool(t, 'prometheus-alertmanager'))
      return;
    const receiver = await otlpReceiverFor(t);
    const service = await tracedServiceFor(t, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    const work = tempDir('exemplars-live');
    t.after(work.cleanup);
    const stack = await startMonitoringStack({
      dir: work.path,
      servicePort: service.port,
      environment: 'prod',
      interval: '1s',
    });
    t.after(() => stack.stop());

    const caller = callerSpan();
    const response = await fetch(`${service.url}/work?ms=5`, {
      headers: { traceparent: caller.traceparent },
    });
    assert.equal(response.status, 200);
    await response.text();

    const query = encodeURIComponent('http_request_duration_seconds_bucket{job="hello-api"}');
    const found = async () => {
      const end = Date.now() / 1000;
      const url = `${stack.prometheus.url}/api/v1/query_exemplars?query=${query}&start=${end - 300}&end=${end + 60}`;
      const result = (await (await fetch(url)).json()) as ExemplarResult;
      return (result.data ?? []).find((series) =>
        series.exemplars.some((e) => e.labels.trace_id === caller.traceId),
      );
    };
    await waitUntil(
      'the exemplar with the caller trace id in Prometheus',
      async () => (await found()) !== undefined,
      30_000,
    );
    const series = await found();
    assert.equal(series?.seriesLabels.route, '/work');
    assert.equal(series.seriesLabels.namespace, 'prod');
    // The span behind it is in the receiver under the same id.
    await receiver.waitForSpan(
      (span) => span.traceId === caller.traceId,
      'the trace behind the exemplar',
    );
  },
);
