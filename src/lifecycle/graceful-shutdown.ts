// Graceful shutdown as Kubernetes needs it. On the first SIGTERM/SIGINT: readiness turns 503 at
// once; the server keeps serving for SHUTDOWN_DELAY_MS so endpoints and kube-proxy stop routing
// here (every answer says Connection: close); then it stops accepting connections without
// resetting any it had accepted, serves what they send and closes the really idle ones
// (connection-drain.ts), giving all of that SHUTDOWN_TIMEOUT_MS (counted from the end of the
// delay); then the app closes (its onClose hooks) and the process exits 0. A second signal
// exits at once with 1.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { App } from '../app.js';
import type { Config } from '../config.js';

interface ShutdownDeps {
  app: App;
  config: Config;
  logger: Logger;
  exit: (code: number) => void;
}

export function createShutdown({ app, config, logger, exit }: ShutdownDeps) {
  let started = false;

  async function drainAndClose(signal: string): Promise<void> {
    app.lifecycle.beginDraining();
    logger.info(
      {
        signal,
        shutdownDelayMs: config.shutdownDelayMs,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
      },
      'shutdown started: readiness now 503, still serving during the drain delay',
    );
    await sleep(config.shutdownDelayMs);

    logger.info('drain delay over: no longer accepting connections, finishing in-flight requests');
    const deadline = setTimeout(() => {
      logger.error(
        { shutdownTimeoutMs: config.shutdownTimeoutMs },
        'shutdown timeout: in-flight requests did not finish, closing their connections',
      );
      app.connections.closeAll();
      exit(1);
    }, config.shutdownTimeoutMs);

    await app.connections.close(config.shutdownTimeoutMs);
    await app.close();
    clearTimeout(deadline);
    logger.info('shutdown complete: all requests finished, exiting 0');
    exit(0);
  }

  return function onSignal(signal: string): void {
    if (started) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now with code 1');
      exit(1);
      return;
    }
    started = true;
    drainAndClose(signal).catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      exit(1);
    });
  };
}
