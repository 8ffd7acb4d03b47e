// The OpenTelemetry SDK for Node, loaded and started by the preload only when tracing is on: a
// TracerProvider with a batching OTLP/HTTP protobuf exporter, the AsyncLocalStorage context
// manager and the W3C propagators, which is what @opentelemetry/sdk-node's NodeSDK builds for
// traces. NodeSDK itself is not used: it loads every exporter it could build from the
// environment (gRPC, Zipkin, Prometheus, logs, metrics, the declarative-configuration parser),
// 1.3 MB of code this service never runs, four times this chunk, which put the image over its
// 5 MB budget (docs/tracing.md).
// Spans come from two instrumentations: node:http's makes the one SERVER span per request
// (W3C traceparent extracted, status from the response), and Fastify's own (@fastify/otel,
// registered through Fastify's 'fastify.initialization' diagnostics channel, so it works on the
// bundled Fastify where module hooks cannot) names that span by route template and adds a
// request span and a handler span under it. Every setting comes from the validated config, none
// from the SDK's own reading of the environment (config/otel-variables.ts refuses the others).
import { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import {
  context,
  diag,
  DiagLogLevel,
  propagation,
  trace,
  TraceFlags,
  type Span,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import {
  defaultResource,
  detectResources,
  hostDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import type { Config } from '../config.js';
import type { SamplerName } from '../config/otel-variables.js';
import type { ProcessTracing, SpanIds } from './process-tracing.js';

/**
 * How long finished spans wait to be batched. The specification's default is 5 s; 1 s puts a
 * slow request's trace in Tempo about as soon as someone can search for it, and a batch still
 * leaves early when it reaches 512 spans, so a busy pod does not export more often.
 */
const EXPORT_DELAY_MS = 1000;
/** At most one line a minute about failing exports: a backend that is down must not flood the log. */
const PROBLEM_REPORT_INTERVAL_MS = 60_000;

/** The specification's sampler names (sdk-environment-variables.md, OTEL_TRACES_SAMPLER). */
function samplerFor(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/** The resource every span carries: what runs, which build, where (semantic conventions names). */
function resourceAttributes(config: Config): Record<string, string> {
  return {
    'service.version': config.build.version,
    'vcs.ref.head.revision': config.build.commit,
    'deployment.environment.name': config.appEnv,
    ...config.tracing.resourceAttributes,
    'service.name': config.tracing.serviceName,
  };
}

function pathOf(url: string | undefined): string {
  const path = url ?? '';
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

/** Warnings and errors of the SDK (failed exports, dropped spans), throttled, to the app's log. */
function problemReporter(): {
  report: (message: string) => void;
  reportTo: (sink: (message: string) => void) => void;
} {
  let sink: ((message: string) => void) | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return {
    report(message) {
      const now = Date.now();
      if (sink === undefined || now - lastAt < PROBLEM_REPORT_INTERVAL_MS) {
        suppressed += 1;
        return;
      }
      lastAt = now;
      const more = suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
      suppressed = 0;
      sink(`${message}${more}`);
    },
    reportTo(target) {
      sink = target;
    },
  };
}

export function startTracing(config: Config): ProcessTracing {
  const { tracing } = config;
  const excluded = new Set<string>();
  const serverSpans = new WeakMap<IncomingMessage, Span>();
  const problems = problemReporter();
  const asText = (args: unknown[]) =>
    args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' ');
  diag.setLogger(
    {
      error: (...args: unknown[]) => {
        problems.report(asText(args));
      },
      warn: (...args: unknown[]) => {
        problems.report(asText(args));
      },
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );

  const exporter = new OTLPTraceExporter({
    url: tracing.tracesUrl,
    headers: { ...tracing.headers },
    timeoutMillis: tracing.exportTimeoutMs,
  });
  const provider = new TracerProvider({
    resource: defaultResource()
      // host.name: the pod's name in Kubernetes, so a trace says which pod served it.
      .merge(detectResources({ detectors: [hostDetector] }))
      .merge(resourceFromAttributes(resourceAttributes(config))),
    sampler: samplerFor(tracing.sampler, tracing.samplerRatio),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: EXPORT_DELAY_MS,
        exportTimeoutMillis: tracing.exportTimeoutMs,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // The service calls nothing over HTTP; the exporter's own requests must not be traced.
        disableOutgoingRequestInstrumentation: true,
        ignoreIncomingRequestHook: (request) => excluded.has(pathOf(request.url)),
        requestHook: (span, request) => {
          if (request instanceof IncomingMessage) serverSpans.set(request, span);
        },
      }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        // A span per hook would be ten spans per request for a few microseconds each; the
        // request and handler spans show where the time went, span events show injected faults.
        instrumentHooks: false,
      }),
    ],
  });
  // The http instrumentation patches node:http when the module is required through Node's
  // require (its hook on Module.prototype.require); an ESM import of node:http (the service's
  // own server factory) does not go through it. Today Fastify's require in the bundle happens to
  // trigger it; requiring it here makes the patch not depend on that, before any server exists.
  createRequire(import.meta.url)('node:http');

  return {
    spanIdsOf(request): SpanIds | undefined {
      const span = serverSpans.get(request);
      if (span === undefined) return undefined;
      const { traceId, spanId, traceFlags } = span.spanContext();
      return { traceId, spanId, sampled: (traceFlags & TraceFlags.SAMPLED) !== 0 };
    },
    addEvent(request, name, attributes) {
      serverSpans.get(request)?.addEvent(name, attributes);
    },
    excludePath(path) {
      excluded.add(path);
    },
    reportProblemsTo: problems.reportTo,
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`spans not exported within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      try {
        await Promise.race([provider.shutdown(), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
