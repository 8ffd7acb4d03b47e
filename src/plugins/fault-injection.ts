// Applies the fault settings (added latency, a fraction of 500s) to faultable routes only; probes,
// /metrics, docs and the fault endpoints themselves are spared so a drill never hides the service
// from its own monitoring. With tracing on, a request that got a fault says so in its trace (a
// span event), so a slow or failed trace from a drill is not mistaken for a real problem.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../http/error-response.js';
import type { FaultSettings } from '../faults/fault-settings.js';
import { addRouteHook } from '../http/add-route-hook.js';
import type { ProcessTracing } from '../tracing/process-tracing.js';

export default fp<{ faults: FaultSettings; tracing: ProcessTracing | undefined }>(
  function faultInjectionPlugin(app: FastifyInstance, { faults, tracing }) {
    const injectedError = () => new HttpError(500, 'Injected fault: FAULT_ERROR_RATE is set');
    const recordFault = (request: FastifyRequest, latencyMs: number, failed: boolean) => {
      tracing?.addEvent(request.raw, 'fault injected', {
        'fault.latency_ms': latencyMs,
        'fault.error': failed,
      });
    };
    // Callback style, not async: with no fault set (the usual case) the hook costs no promise.
    const injectFault: preHandlerHookHandler = (request, _reply, done) => {
      const latencyMs = faults.latencyMs;
      if (latencyMs === 0) {
        const failed = faults.shouldFail();
        if (failed) recordFault(request, 0, true);
        done(failed ? injectedError() : undefined);
        return;
      }
      void sleep(latencyMs).then(() => {
        const failed = faults.shouldFail();
        recordFault(request, latencyMs, failed);
        done(failed ? injectedError() : undefined);
      });
    };
    // Attached to the faultable routes as they are added, so no other request pays for it.
    app.addHook('onRoute', (route) => {
      if (route.config?.faultable === true) {
        addRouteHook(route, 'preHandler', injectFault);
      }
    });
  },
  { name: 'fault-injection' },
);
