// Applies the fault settings (added latency, a fraction of 500s) to ordinary routes only; probes,
// /metrics, docs and the fault endpoints themselves are spared so a drill never hides the service
// from its own monitoring.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';
import type { FaultSettings } from '../fault-settings.js';
import { isFaultableRoute } from '../route-info.js';

export default fp<{ faults: FaultSettings }>(
  function faultInjectionPlugin(app: FastifyInstance, { faults }) {
    const injectedError = () => new HttpError(500, 'Injected fault: FAULT_ERROR_RATE is set');
    // Callback style, not async: with no fault set (the usual case) the hook costs no promise.
    app.addHook('preHandler', (request, _reply, done) => {
      if (!isFaultableRoute(request)) {
        done();
        return;
      }
      if (faults.latencyMs === 0) {
        done(faults.shouldFail() ? injectedError() : undefined);
        return;
      }
      void sleep(faults.latencyMs).then(() => {
        done(faults.shouldFail() ? injectedError() : undefined);
      });
    });
  },
  { name: 'fault-injection' },
);
