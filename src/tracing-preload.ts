// Process preload: `node --import ./dist/tracing-preload.js dist/server.js` (the image's entry
// point). It starts OpenTelemetry before any module of the service runs, so the instrumentation
// is in place before Fastify and the HTTP server exist (module hooks cannot reach into the
// bundle; see tracing/sdk.ts for what works instead). With tracing off, the default, it reads
// the configuration and loads nothing else: the SDK is a separate chunk of the bundle that only
// this dynamic import loads. A bad variable is left to server.ts, which reports every problem
// and exits 1.
import { ConfigError, type Config } from './config.js';
import { loadProcessConfig } from './config/process-config.js';
import { setProcessTracing } from './tracing/process-tracing.js';

function configOrNothing(): Config | undefined {
  try {
    return loadProcessConfig(new URL('../package.json', import.meta.url));
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

const config = configOrNothing();
if (config?.tracing.enabled === true) {
  await import('./tracing/sdk.js').then(({ startTracing }) => {
    setProcessTracing(startTracing(config));
  });
}
