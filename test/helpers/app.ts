// Builds the app in-process for inject()-based tests, with a silent logger unless a test wants
// to read the log lines.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildApp, type App, type AppOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', ...env }, '1.2.3');
}

export async function appWith(
  env: Record<string, string> = {},
  options: AppOptions = {},
): Promise<App> {
  const app = await buildApp(testConfig(env), { logger: pino({ level: 'silent' }), ...options });
  await app.ready();
  app.lifecycle.markReady();
  return app;
}

/** An app whose log lines are captured as parsed JSON records. */
export async function appWithLogs(
  env: Record<string, string> = {},
): Promise<{ app: App; records: () => Record<string, unknown>[]; raw: string[] }> {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const config = testConfig({ LOG_LEVEL: 'debug', ...env });
  const app = await buildApp(config, { logger: createLogger(config, sink) });
  await app.ready();
  app.lifecycle.markReady();
  return {
    app,
    raw,
    records: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
