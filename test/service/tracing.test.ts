// Traces from the built service (dist/, started with the tracing preload exactly as the image's
// ENTRYPOINT starts it) to a real OTLP/HTTP receiver that decodes the protobuf payload: a
// caller's traceparent is continued, the server span is named by route template, and its ids are
// in the access-log line and in the request histogram's exemplar; probes make no span; errors
// and injected faults are visible; the caller's sampling decision is honoured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { otlpReceiverFor, SPAN_KIND, STATUS_CODE } from '../helpers/otlp-receiver.js';
import { callerSpan, tracedServiceFor } from '../helpers/tracing.js';

const OPENMETRICS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

function accessLine(logs: Record<string, unknown>[], path: string) {
  return logs.find((line) => line.msg === 'request completed' && line.path === path);
}

test(
  "a caller's traceparent: server span with its trace id and parent, named by route; the same ids in the access log and the exemplar",
  { timeout: 60_000 },
  async (t) => {
    const receiver = await otlpReceiverFor(t);
    const service = await tracedServiceFor(t, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    const caller = callerSpan();

    const response = await fetch(`${service.url}/work?ms=20`, {
      headers: { traceparent: caller.traceparent },
    });
    assert.equal(response.status, 200);
    await response.text();

    const server = await receiver.waitForSpan(
      (span) => span.traceId === caller.traceId && span.kind === SPAN_KIND.SERVER,
      'the server span of GET /work',
    );
    assert.equal(server.name, 'GET /work');
    assert.equal(server.parentSpanId, caller.spanId, 'continues the caller span');
    assert.equal(server.attributes['http.route'], '/work');
    assert.equal(server.attributes['http.response.status_code'], 200);
    assert.equal(server.status.code, STATUS_CODE.UNSET);
    assert.equal(server.scope, '@opentelemetry/instrumentation-http');

    // Fastify's instrumentation: the request span under the server span, the handler under it,
    // and the handler's span covers the 20 ms of CPU the route burns.
    const request = await receiver.waitForSpan(
      (span) => span.traceId === caller.traceId && span.parentSpanId === server.spanId,
      "@fastify/otel's request span",
    );
    assert.equal(request.scope, '@fastify/otel');
    const handler = await receiver.waitForSpan(
      (span) => span.traceId === caller.traceId && span.parentSpanId === request.spanId,
      'the route handler span',
    );
    assert.match(handler.name, /^handler - /);
    assert.ok(handler.durationMs >= 20, `handler span ${handler.durationMs} ms for ms=20`);

    const line = accessLine(service.logs(), '/work');
    assert.ok(line, 'the access-log line of /work');
    assert.equal(line.trace_id, caller.traceId, 'trace_id in the access-log line');
    assert.equal(line.span_id, server.spanId, 'span_id of the server span in the access-log line');

    const metrics = await fetch(`${service.url}/metrics`, {
      headers: { accept: OPENMETRICS_ACCEPT },
    });
    assert.match(
      metrics.headers.get('content-type') ?? '',
      /^application\/openmetrics-text; version=1\.0\.0/,
    );
    const exposition = await metrics.text();
    const exemplar = exposition
      .split('\n')
      .find(
        (l) =>
          l.startsWith('http_request_duration_seconds_bucket{') &&
          l.includes('route="/work"') &&
          l.includes(' # {'),
      );
    assert.ok(exemplar, `an exemplar on a /work bucket:\n${exposition}`);
    assert.ok(
      exemplar.includes(`trace_id="${caller.traceId}"`) &&
        exemplar.includes(`span_id="${server.spanId}"`),
      exemplar,
    );
    assert.ok(exposition.endsWith('# EOF\n'), 'OpenMetrics ends with # EOF');

    // The classic format for a scraper that does not ask for OpenMetrics: no exemplars, and the
    // counters keep their _total names after an OpenMetrics scrape renamed them in prom-client.
    const classic = await (await fetch(`${service.url}/metrics`)).text();
    assert.ok(!classic.includes(' # {'), 'no exemplar in the classic text format');
    assert.match(classic, /^http_probe_requests_total\{/m);
  },
);

test(
  'probes and /metrics make no span; ordinary requests without traceparent start a new trace',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await otlpReceiverFor(t);
    const service = await tracedServiceFor(t, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    for (const path of ['/healthz', '/readyz', '/metrics', '/healthz?verbose=1']) {
      const probe = await fetch(`${service.url}${path}`, {
        headers: { traceparent: callerSpan().traceparent },
      });
      await probe.text();
    }
    const response = await fetch(`${service.url}/`);
    await response.text();
    const root = await receiver.waitForSpan(
      (span) => span.name === 'GET /',
      'the server span of GET /',
    );
    assert.equal(root.parentSpanId, '', 'a new trace');
    // Spans are exported in the order they end: everything before GET / has arrived by now.
    const probeSpans = receiver.spans.filter((span) => span.traceId !== root.traceId);
    assert.deepEqual(
      probeSpans.map((span) => span.name),
      [],
      'spans that do not belong to GET /',
    );
    const probeLine = accessLine(service.logs(), '/metrics');
    assert.equal(probeLine, undefined, 'probes are logged at debug only');
  },
);

test(
  'a 5xx is an error span; an injected fault is an event on its span',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await otlpReceiverFor(t);
    const service = await tracedServiceFor(t, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      FAULT_INJECTION_ENABLED: 'true',
      FAULT_ERROR_RATE: '1',
      FAULT_LATENCY_MS: '30',
    });
    const caller = callerSpan();
    const failed = await fetch(`${service.url}/`, { headers: { traceparent: caller.traceparent } });
    assert.equal(failed.status, 500);
    await failed.text();
    const server = await receiver.waitForSpan(
      (span) => span.traceId === caller.traceId && span.kind === SPAN_KIND.SERVER,
      'the server span of the faulted GET /',
    );
    assert.equal(server.name, 'GET /');
    assert.equal(server.status.code, STATUS_CODE.ERROR);
    assert.deepEqual(server.events, [
      { name: 'fault injected', attributes: { 'fault.latency_ms': 30, 'fault.error': true } },
    ]);

    const status = callerSpan();
    await (
      await fetch(`${service.url}/status/503`, { headers: { traceparent: status.traceparent } })
    ).text();
    const statusSpan = await receiver.waitForSpan(
      (span) => span.traceId === status.traceId && span.kind === SPAN_KIND.SERVER,
      'the server span of GET /status/503',
    );
    assert.equal(statusSpan.name, 'GET /status/:code');
    assert.equal(statusSpan.attributes['http.response.status_code'], 503);
    assert.equal(statusSpan.status.code, STATUS_CODE.ERROR);
  },
);

test(
  'an unsampled caller is honoured: no span, no trace_id in the log, no exemplar (parentbased sampler)',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await otlpReceiverFor(t);
    const service = await tracedServiceFor(t, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
    });
    const unsampled = callerSpan(false);
    await (
      await fetch(`${service.url}/version`, { headers: { traceparent: unsampled.traceparent } })
    ).text();
    // A sampled request after it: once its span is in, the unsampled one would have been too.
    const sampled = callerSpan(true);
    await (
      await fetch(`${service.url}/`, { headers: { traceparent: sampled.traceparent } })
    ).text();
    await receiver.waitForSpan((span) => span.traceId === sampled.traceId, 'the sampled request');
    assert.equal(receiver.spans.filter((span) => span.traceId === unsampled.traceId).length, 0);
    const line = accessLine(service.logs(), '/version');
    assert.ok(line, 'the access line of /version');
    assert.equal(line.trace_id, undefined);
    const exposition = await (
      await fetch(`${service.url}/metrics`, { headers: { accept: OPENMETRICS_ACCEPT } })
    ).text();
    const versionBuckets = exposition.split('\n').filter((l) => l.includes('route="/version"'));
    assert.ok(versionBuckets.length > 0);
    assert.ok(
      versionBuckets.every((l) => !l.includes(' # {')),
      versionBuckets.join('\n'),
    );
  },
);

test(
  'the resource says what runs: service name, version, commit, environment, extra attributes',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await otlpReceiverFor(t);
    const service = await tracedServiceFor(t, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      APP_ENV: 'stage',
      APP_VERSION: '2.3.4',
      GIT_COMMIT: 'abc1234',
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.namespace.name=stage,k8s.pod.name=hello-api-7d9%2Cx',
    });
    await (await fetch(`${service.url}/`)).text();
    const span = await receiver.waitForSpan((s) => s.name === 'GET /', 'GET /');
    assert.deepEqual(
      {
        name: span.resource['service.name'],
        version: span.resource['service.version'],
        commit: span.resource['vcs.ref.head.revision'],
        environment: span.resource['deployment.environment.name'],
        namespace: span.resource['k8s.namespace.name'],
        pod: span.resource['k8s.pod.name'],
      },
      {
        name: 'hello-api',
        version: '2.3.4',
        commit: 'abc1234',
        environment: 'stage',
        namespace: 'stage',
        pod: 'hello-api-7d9,x',
      },
    );

    const renamed = await otlpReceiverFor(t);
    const other = await tracedServiceFor(t, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${renamed.endpoint}/v1/traces`,
      OTEL_SERVICE_NAME: 'hello-api-canary',
    });
    await (await fetch(`${other.url}/`)).text();
    const canary = await renamed.waitForSpan(
      (s) => s.name === 'GET /',
      'GET / of the renamed service',
    );
    assert.equal(canary.resource['service.name'], 'hello-api-canary');
  },
);
