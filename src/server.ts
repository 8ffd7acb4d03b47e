// Process entry: read configuration (exit 1 on any bad variable), build the app, listen (exit 1
// with one line naming HOST or PORT when the address cannot be had), and handle signals and
// fatal errors. Nothing else lives here.
import { ConfigError, describeConfig, type Config } from './config.js';
import { listenFailure } from './config/listen-failure.js';
import { loadProcessConfig } from './config/process-config.js';
import { createShutdown } from './lifecycle/graceful-shutdown.js';
import { createLogger } from './logging/logger.js';

function configOrExit(): Config {
  try {
    return loadProcessConfig(new URL('../package.json', import.meta.url));
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config);
  const exit = (code: number) => process.exit(code);

  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: exiting');
    exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection: exiting');
    exit(1);
  });

  // Node as PID 1 in a container gets no default signal handling: these handlers are required.
  // Until the app exists there is nothing to drain, so an early signal just exits 0.
  let onSignal = (signal: string): void => {
    logger.info({ signal }, 'signal before the server started: exiting 0');
    exit(0);
  };
  process.on('SIGTERM', () => {
    onSignal('SIGTERM');
  });
  process.on('SIGINT', () => {
    onSignal('SIGINT');
  });

  // Loaded only after the configuration is known to be good, so a bad variable fails fast.
  const { buildApp } = await import('./app.js');
  const app = await buildApp(config, { logger });
  onSignal = createShutdown({ app, config, logger, exit });

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const line = listenFailure(error, config);
    if (line === undefined) throw error;
    process.stderr.write(`listen error: ${line}\n`);
    exit(1);
    return;
  }
  app.lifecycle.markReady();
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ port, config: describeConfig(config) }, 'ready: accepting traffic');
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
