// buildApp(config): the whole HTTP application, plugins then routes, without listening. The
// process entry (server.ts) listens; tests build the app directly and use inject() or listen
// on an ephemeral port.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { FaultSettings } from './faults/fault-settings.js';
import { AllowedMethods } from './http/allowed-methods.js';
import errorHandlingPlugin, { frameworkErrorHandler } from './http/error-handling.js';
import { requestIdFor } from './http/request-id.js';
import { serverFactoryFor } from './http/server-factory.js';
import { ConnectionDrain } from './lifecycle/connection-drain.js';
import { EventLoopMonitor } from './lifecycle/event-loop-monitor.js';
import { Lifecycle } from './lifecycle/lifecycle-state.js';
import { lazyChildLoggerFactory } from './logging/lazy-request-logger.js';
import { createLogger } from './logging/logger.js';
import accessLogPlugin from './plugins/access-log.js';
import docsPlugin from './plugins/docs.js';
import contentEncodingPlugin from './plugins/content-encoding.js';
import faultInjectionPlugin from './plugins/fault-injection.js';
import lifecyclePlugin from './plugins/lifecycle.js';
import metricsPlugin from './plugins/metrics.js';
import plainNumbersPlugin from './plugins/plain-numbers.js';
import securityPlugin from './plugins/security.js';
import tracingPlugin from './plugins/tracing.js';
import { faultRoutes } from './routes/faults.js';
import { healthRoutes } from './routes/health.js';
import { rootRoute } from './routes/root.js';
import { versionRoute } from './routes/version.js';
import { workRoute } from './routes/work.js';
import { processTracing } from './tracing/process-tracing.js';

export interface AppOptions {
  logger?: Logger;
  lifecycle?: Lifecycle;
  /** Clock for GET /; tests pin it. */
  now?: () => Date;
  /** Source of randomness for the fault error rate; tests pin it. */
  random?: () => number;
}

export type App = FastifyInstance & { lifecycle: Lifecycle; connections: ConnectionDrain };

export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const lifecycle = options.lifecycle ?? new Lifecycle();
  const eventLoop = new EventLoopMonitor();
  const faults = new FaultSettings(config.faultErrorRate, config.faultLatencyMs, options.random);
  // Undefined unless the preload started tracing: then nothing below touches OpenTelemetry.
  const tracing = processTracing();

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

  // The API takes JSON bodies only. Fastify also parses text/plain by default, which turned a
  // text body into a 400 "body must be object" instead of the 415 the OpenAPI document promises
  // (and OWASP's REST Security Cheat Sheet asks for: reject unexpected content types with 415).
  app.removeContentTypeParser('text/plain');
  // Filled once per request by http/route-kind.ts, read by the access log and the metrics.
  app.decorateRequest('routeInfoCache', null);
  // Before any route is added: it records every route's methods, for Allow.
  const allowed = new AllowedMethods(app as unknown as FastifyInstance);

  // The request id and security headers first: their onRequest hooks then run before the error
  // handling's Host check, so its early 400 carries them like every other answer.
  // Before any route exists, so its onRoute hook sees every probe route.
  if (tracing) await app.register(tracingPlugin, { config, tracing });
  await app.register(accessLogPlugin, { tracing });
  await app.register(securityPlugin, { config, allowed });
  await app.register(errorHandlingPlugin, { allowed });
  await app.register(lifecyclePlugin, { lifecycle, eventLoop });
  await app.register(plainNumbersPlugin);
  await app.register(contentEncodingPlugin);
  // Docs first among the route-adding plugins: @fastify/swagger only sees routes added after it.
  await app.register(docsPlugin, { config });
  await app.register(metricsPlugin, { config, tracing });
  if (config.faultInjectionEnabled) await app.register(faultInjectionPlugin, { faults, tracing });

  await app.register(rootRoute, { config, ...(options.now ? { now: options.now } : {}) });
  await app.register(healthRoutes, { config, lifecycle, eventLoop });
  await app.register(versionRoute, { config });
  if (config.workEndpointEnabled) await app.register(workRoute, { config });
  if (config.faultInjectionEnabled) await app.register(faultRoutes, { config, faults });

  // Watches the server's connections from the start, so the drain knows which are really idle.
  const connections = new ConnectionDrain(app.server, lifecycle);
  return Object.assign(app as unknown as FastifyInstance, { lifecycle, connections });
}
