// buildApp(config): the whole HTTP application, plugins then routes, without listening. The
// process entry (server.ts) listens; tests build the app directly and use inject() or listen
// on an ephemeral port.
import { createServer, type Server } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { handleClientError } from './client-error.js';
import type { Config } from './config.js';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { FaultSettings } from './fault-settings.js';
import { frameworkErrorHandler } from './framework-errors.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger } from './logger.js';
import accessLogPlugin from './plugins/access-log.js';
import docsPlugin from './plugins/docs.js';
import errorsPlugin from './plugins/errors.js';
import faultInjectionPlugin from './plugins/fault-injection.js';
import finiteNumbersPlugin from './plugins/finite-numbers.js';
import metricsPlugin from './plugins/metrics.js';
import securityPlugin from './plugins/security.js';
import { requestIdFor } from './request-id.js';
import { lazyChildLoggerFactory } from './request-logger.js';
import { faultRoutes } from './routes/faults.js';
import { healthRoutes } from './routes/health.js';
import { rootRoute } from './routes/root.js';
import { versionRoute } from './routes/version.js';
import { workRoute } from './routes/work.js';

export interface AppOptions {
  logger?: Logger;
  lifecycle?: Lifecycle;
  /** Clock for GET /; tests pin it. */
  now?: () => Date;
  /** Source of randomness for the fault error rate; tests pin it. */
  random?: () => number;
}

export type App = FastifyInstance & { lifecycle: Lifecycle };

/** Creates the Node server with timeouts fit for life behind a load balancer. */
function serverFactoryFor(config: Config) {
  return (handler: Parameters<typeof createServer>[1]): Server => {
    const server = createServer(
      {
        keepAliveTimeout: config.keepAliveTimeoutMs,
        headersTimeout: config.headersTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        // How often Node checks the two timeouts above; the default (30 s) lets a slow client
        // hold a socket far longer than HEADERS_TIMEOUT_MS.
        connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
        // Node would answer a request without Host with an empty 400; the errors plugin answers
        // it in the JSON error shape instead.
        requireHostHeader: false,
      },
      handler,
    );
    server.on('clientError', handleClientError);
    return server;
  };
}

export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const lifecycle = options.lifecycle ?? new Lifecycle();
  const eventLoop = new EventLoopMonitor();
  const faults = new FaultSettings(config.faultErrorRate, config.faultLatencyMs, options.random);

  const app = Fastify({
    loggerInstance: options.logger ?? createLogger(config),
    // The access-log plugin writes one line per request; Fastify's own two lines are off.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    childLoggerFactory: lazyChildLoggerFactory,
    bodyLimit: config.bodyLimitBytes,
    // Reject unknown fields with a 400 naming them, rather than silently dropping them.
    // validateSchema: the route schemas are fixed at build time and exercised by the tests; checking
    // them against the JSON Schema meta-schema at every start cost ~70 ms (a third of start-up).
    ajv: { customOptions: { removeAdditional: false, validateSchema: false } },
    // During the drain delay the service keeps answering normally; Fastify's default would
    // answer 503 to every request on a kept-alive connection once close() starts.
    return503OnClosing: false,
    frameworkErrors: frameworkErrorHandler,
    serverFactory: serverFactoryFor(config),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('routeInfoCache', null);
  app.addHook('onClose', (_instance, done) => {
    eventLoop.stop();
    done();
  });
  // While draining, tell keep-alive clients to reconnect, so they move to another pod. Decided
  // when the answer is sent, so requests already in flight when draining starts say it too.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (lifecycle.state === 'draining') reply.header('connection', 'close');
    done(null, payload);
  });

  // The request id and security headers first: their onRequest hooks then run before the errors
  // plugin's Host check, so its early 400 carries them like every other answer.
  await app.register(accessLogPlugin);
  await app.register(securityPlugin, { config });
  await app.register(errorsPlugin);
  await app.register(finiteNumbersPlugin);
  // Docs first among the route-adding plugins: @fastify/swagger only sees routes added after it.
  await app.register(docsPlugin, { config });
  await app.register(metricsPlugin, { config });
  if (config.faultInjectionEnabled) await app.register(faultInjectionPlugin, { faults });

  await app.register(rootRoute, { config, ...(options.now ? { now: options.now } : {}) });
  await app.register(healthRoutes, { config, lifecycle, eventLoop });
  await app.register(versionRoute, { config });
  if (config.workEndpointEnabled) await app.register(workRoute, { config });
  if (config.faultInjectionEnabled) await app.register(faultRoutes, { config, faults });

  return Object.assign(app as unknown as FastifyInstance, { lifecycle });
}
