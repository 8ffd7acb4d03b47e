// One JSON line per request, written when the response is done. Probes and scrapes go at debug
// level so a healthy pod's log is not a wall of /healthz. Headers are never logged, so
// Authorization and Cookie cannot leak; the query string is left out for the same reason.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_ID_HEADER } from '../http/request-id.js';
import { isProbeRoute, routeLabel } from '../http/route-kind.js';

export default fp(
  function accessLogPlugin(app: FastifyInstance) {
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
      if (isProbeRoute(request)) log.debug(entry, 'request completed');
      else log.info(entry, 'request completed');
      done();
    });
  },
  { name: 'access-log' },
);
