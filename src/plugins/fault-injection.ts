// Applies the fault settings (added latency, a fraction of 500s) to faultable routes only; probes,
// /metrics, docs and the fault endpoints themselves are spared so a drill never hides the service
// from its own monitoring.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../http/error-response.js';
import type { FaultSettings } from '../faults/fault-settings.js';
import { addRouteHook } from '../http/add-route-hook.js';

export default fp<{ faults: FaultSettings }>(
  function faultInjectionPlugin(app: FastifyInstance, { faults }) {
    const injectedError = () => new HttpError(500, 'Injected fault: FAULT_ERROR_RATE is set');
    // Callback style, not async: with no fault set (the usual case) the hook costs no promise.
    const injectFault: preHandlerHookHandler = (_request, _reply, done) => {
      if (faults.latencyMs === 0) {
        done(faults.shouldFail() ? injectedError() : undefined);
        return;
      }
      void sleep(faults.latencyMs).then(() => {
        done(faults.shouldFail() ? injectedError() : undefined);
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
