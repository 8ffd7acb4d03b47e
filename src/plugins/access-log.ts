// One JSON line per request, written when the response is done. Probes and scrapes go at debug
// level so a healthy pod's log is not a wall of /healthz. Headers are never logged, so
// Authorization and Cookie cannot leak; the query string is left out for the same reason. With
// tracing on, a request whose trace is recorded carries its trace_id and span_id, the ids
// Grafana links to Tempo with (docs/tracing.md).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_ID_HEADER } from '../http/request-id.js';
import { isProbeRoute, routeLabel } from '../http/route-kind.js';
import type { ProcessTracing } from '../tracing/process-tracing.js';

/** trace_id and span_id of a recorded trace; nothing for an unsampled one, which is in no backend. */
function traceFieldsOf(tracing: ProcessTracing, request: FastifyRequest) {
  const ids = tracing.spanIdsOf(request.raw);
  return ids?.sampled === true ? { trace_id: ids.traceId, span_id: ids.spanId } : undefined;
}

export default fp<{ tracing: ProcessTracing | undefined }>(
  function accessLogPlugin(app: FastifyInstance, { tracing }) {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });

    // Written on the app logger with the id in the line, the same fields and order as
    // request.log would give, so a request that logs nothing else never needs its child logger.
    const log = app.log;
    app.addHook('onResponse', (request, reply, done) => {
      const entry = {
        reqId: request.id,
        method: request.method,
        route: routeLabel(request),
        path: request.url.split('?', 1)[0],
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      };
      // With tracing off this is one comparison: the line is exactly what it was before.
      if (tracing !== undefined) Object.assign(entry, traceFieldsOf(tracing, request));
      if (isProbeRoute(request)) log.debug(entry, 'request completed');
      else log.info(entry, 'request completed');
      done();
    });
  },
  { name: 'access-log' },
);
