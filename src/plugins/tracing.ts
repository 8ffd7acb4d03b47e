// Wires the process's tracing (started by the preload) into the app: probe routes get no span,
// the SDK's problems go to the app's log, and closing the app exports the spans still buffered
// before the process exits, within the shutdown budget.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { ProcessTracing } from '../tracing/process-tracing.js';

interface TracingOptions {
  config: Config;
  tracing: ProcessTracing;
}

/**
 * The flush may take what an export may take, but at most half of SHUTDOWN_TIMEOUT_MS, which
 * also covers the in-flight requests before it: a backend that hangs cannot make the shutdown
 * overrun its budget.
 */
export function flushBudgetMs(config: Config): number {
  return Math.min(config.tracing.exportTimeoutMs, Math.floor(config.shutdownTimeoutMs / 2));
}

export default fp<TracingOptions>(
  function tracingPlugin(app: FastifyInstance, { config, tracing }) {
    // Probes and /metrics are polled every few seconds by machines: a span each would be most
    // of the traces and none of the interest.
    app.addHook('onRoute', (route) => {
      if (route.config?.probe === true) tracing.excludePath(route.url);
    });
    tracing.reportProblemsTo((message) => {
      app.log.warn({ component: 'tracing' }, `tracing: ${message}`);
    });
    // onClose runs after the server has stopped and every in-flight request has ended, so
    // every span of this process has ended and is in the exporter's buffer.
    app.addHook('onClose', async () => {
      try {
        await tracing.shutdown(flushBudgetMs(config));
        app.log.info('tracing: every span exported');
      } catch (error) {
        app.log.warn({ component: 'tracing' }, `tracing: ${(error as Error).message}`);
      }
    });
  },
  { name: 'tracing' },
);
