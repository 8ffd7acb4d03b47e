// Liveness and readiness. Neither looks outside the process: a database or a neighbour being
// down must not make Kubernetes restart this pod (liveness) or must be handled by the caller.
// Liveness fails only when the event loop has been stalled; readiness follows the lifecycle.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config.js';
import { errorBody, errorRef } from '../http/error-response.js';
import type { EventLoopMonitor } from '../lifecycle/event-loop-monitor.js';
import type { Lifecycle } from '../lifecycle/lifecycle-state.js';

const ProbeOk = Type.Object({ status: Type.Literal('ok') }, { description: 'Healthy' });

interface HealthRouteOptions {
  config: Config;
  lifecycle: Lifecycle;
  eventLoop: EventLoopMonitor;
}

export const healthRoutes: FastifyPluginCallbackTypebox<HealthRouteOptions> = (
  app,
  { config, lifecycle, eventLoop },
  done,
) => {
  app.get(
    '/healthz',
    {
      config: { probe: true },
      schema: {
        operationId: 'getLiveness',
        tags: ['operations'],
        summary: 'Liveness: the process runs and its event loop is not stalled',
        response: {
          200: ProbeOk,
          503: errorRef('The event loop was stalled'),
        },
      },
    },
    (request, reply) => {
      const delay = eventLoop.maxDelayMs;
      if (delay > config.eventLoopStallMs) {
        return reply
          .code(503)
          .send(
            errorBody(
              503,
              `event loop stalled for ${Math.round(delay)} ms (limit EVENT_LOOP_STALL_MS=${config.eventLoopStallMs})`,
              request.id,
            ),
          );
      }
      return { status: 'ok' as const };
    },
  );

  app.get(
    '/readyz',
    {
      config: { probe: true },
      schema: {
        operationId: 'getReadiness',
        tags: ['operations'],
        summary: 'Readiness: 503 while starting and from the moment shutdown begins',
        response: {
          200: ProbeOk,
          503: errorRef('Starting or draining'),
        },
      },
    },
    (request, reply) => {
      if (!lifecycle.isReady) {
        return reply.code(503).send(errorBody(503, `not ready: ${lifecycle.state}`, request.id));
      }
      return { status: 'ok' as const };
    },
  );
  done();
};
