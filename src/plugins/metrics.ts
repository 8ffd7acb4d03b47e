// Prometheus metrics: a request-duration histogram by route template that includes the time a
// request waited for the event loop, requests in flight, requests rejected before routing, an
// info gauge, and Node's default process metrics, served at GET /metrics. Each app gets its own
// registry so tests can build many apps in one process. With tracing on, an observation of a
// recorded trace also sets its bucket's exemplar (trace_id, span_id), which the OpenMetrics
// exposition carries (metrics/exposition.ts).
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config.js';
import { hasClientChosenStatus, isProbeRoute, routeLabel } from '../http/route-kind.js';
import { DURATION_BUCKETS } from '../metrics/duration-buckets.js';
import { expositionOf } from '../metrics/exposition.js';
import {
  REJECTION_REASONS,
  RejectionLog,
  rejectionReason,
  type RejectionReason,
} from '../metrics/rejected-requests.js';
import { RequestArrivals } from '../metrics/request-arrival.js';
import { statusCodeLabel } from '../metrics/status-label.js';
import type { ProcessTracing } from '../tracing/process-tracing.js';

/** Methods get their own label value; anything else shares one so the label stays bounded. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * prom-client's gauges named like counters (`promtool check metrics`: "non-counter metrics
 * should not have _total suffix"). Each is the sum of its labelled sibling without the suffix,
 * e.g. sum(nodejs_active_handles), so nothing is lost by leaving them out.
 */
const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

interface MetricsOptions {
  config: Config;
  tracing: ProcessTracing | undefined;
}

export default fp<MetricsOptions>(
  function metricsPlugin(app: FastifyInstance, { config, tracing }) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);

    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from the request reaching the process (its connection accepted or its bytes read, waiting for the event loop included) to the answer, by method, route template and status code (a class for GET /status/:code; probes and /metrics excluded).',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [...DURATION_BUCKETS],
      // prom-client refuses exemplars on a classic registry at construction; registered below,
      // the classic format simply leaves them out.
      enableExemplars: tracing !== undefined,
      registers: [],
    });
    registry.registerMetric(duration);
    // A plain count, read at scrape time: cheaper per request than Gauge.inc()/dec().
    let inFlight = 0;
    const requestClosed = () => {
      inFlight -= 1;
    };
    new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being served right now, probes and /metrics included.',
      registers: [registry],
      collect() {
        this.set(inFlight);
      },
    });
    const probes = new Counter({
      name: 'http_probe_requests_total',
      help: 'Requests to /healthz, /readyz and /metrics, counted apart from the request metrics.',
      labelNames: ['route', 'status_code'] as const,
      registers: [registry],
    });
    const rejected = new Counter({
      name: 'http_rejected_requests_total',
      help: "Requests answered on the raw socket before routing: rejected by Node's HTTP parser, malformed (400), header_overflow (431), request_timeout (408); connect (CONNECT, 501); connection_error (reset first, no answer).",
      labelNames: ['reason'] as const,
      registers: [registry],
    });
    for (const reason of REJECTION_REASONS) rejected.inc({ reason }, 0);
    new Gauge({
      name: 'app_info',
      help: 'Always 1; labels carry the running version, commit and environment.',
      labelNames: ['version', 'commit', 'environment'] as const,
      registers: [registry],
    }).set(
      { version: config.build.version, commit: config.build.commit, environment: config.appEnv },
      1,
    );

    const rejectionLog = new RejectionLog(app.log);
    const reject = (reason: RejectionReason) => {
      rejected.inc({ reason });
      rejectionLog.record(reason);
    };
    app.server.on('clientError', (error: NodeJS.ErrnoException) => {
      reject(rejectionReason(error));
    });
    app.server.on('connect', () => {
      reject('connect');
    });

    const arrivals = new RequestArrivals();
    app.server.on('connection', (socket: Socket) => {
      arrivals.connectionAccepted(socket);
    });
    // Estimated arrival (performance.now() ms) of each request, taken from Node's own events in
    // the turn that read it, before Fastify sees it: a request that an earlier plugin answers in
    // its onRequest hook (404, 405, OPTIONS, a bad Host, an unmet Expect), or that Fastify
    // answers before routing, is timed from its arrival like every other.
    const arrivedAt = new WeakMap<IncomingMessage, number>();
    const stampArrival = (raw: IncomingMessage) => {
      arrivedAt.set(raw, arrivals.requestStarted(raw.socket));
    };
    app.server.prependListener('request', stampArrival);
    app.server.prependListener('checkExpectation', stampArrival);

    // One histogram child per (method, route, status): prom-client would otherwise sort and hash
    // the label object on every observation. Bounded like the labels themselves.
    type Labels = Record<'method' | 'route' | 'status_code', string>;
    interface Series {
      labels: Labels;
      child: Histogram.Internal<keyof Labels>;
    }
    const children = new Map<string, Series>();
    const durationSeries = (method: string, route: string, statusCode: string) => {
      const key = `${method} ${statusCode} ${route}`;
      let series = children.get(key);
      if (series === undefined) {
        const labels = { method, route, status_code: statusCode };
        series = { labels, child: duration.labels(labels) };
        children.set(key, series);
      }
      return series;
    };
    /** The observation, with the trace behind it as the bucket's exemplar when one is recorded. */
    const observe = (series: Series, seconds: number, request: FastifyRequest) => {
      const ids = tracing?.spanIdsOf(request.raw);
      if (ids?.sampled !== true) {
        series.child.observe(seconds);
        return;
      }
      // prom-client's types name the exemplar's labels after the metric's own; any names work.
      const exemplarLabels = { trace_id: ids.traceId, span_id: ids.spanId } as unknown as Labels;
      duration.observe({ labels: series.labels, value: seconds, exemplarLabels });
    };

    app.addHook('onRequest', (request, reply, done) => {
      // inject() goes around the server's events.
      if (!arrivedAt.has(request.raw)) stampArrival(request.raw);
      inFlight += 1;
      // A response emits 'close' exactly once, whether it finished or the client went away; the
      // listener is shared and never removed (the response object is dropped after the request).
      reply.raw.on('close', requestClosed);
      done();
    });

    app.addHook('onResponse', (request, reply, done) => {
      const now = performance.now();
      arrivals.answerFinished(request.raw.socket, now);
      const route = routeLabel(request);
      if (isProbeRoute(request)) {
        probes.inc({ route, status_code: String(reply.statusCode) });
      } else {
        const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
        const status = statusCodeLabel(reply.statusCode, hasClientChosenStatus(request));
        // Only an inject() answered before this plugin's onRequest has no arrival: counted from now.
        const arrived = arrivedAt.get(request.raw) ?? now;
        // The one observation of the request histogram.
        observe(durationSeries(method, route, status), (now - arrived) / 1000, request);
      }
      done();
    });

    app.addHook('onClose', (_instance, done) => {
      rejectionLog.stop();
      done();
    });

    const exposition = expositionOf(registry);
    app.get(
      '/metrics',
      {
        config: { probe: true },
        schema: {
          tags: ['operations'],
          summary:
            'Prometheus metrics: OpenMetrics 1.0 (with exemplars) if asked for, else text 0.0.4',
          produces: ['text/plain', 'application/openmetrics-text'],
          response: {
            200: {
              type: 'string',
              description:
                'OpenMetrics 1.0 when Accept names application/openmetrics-text, else Prometheus text format 0.0.4',
            },
          },
        },
      },
      async (request, reply) => {
        const { body, contentType } = await exposition(request.headers.accept);
        return reply.type(contentType).send(body);
      },
    );
  },
  { name: 'metrics' },
);
