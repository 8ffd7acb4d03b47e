// Builds the app in-process for inject()-based tests, with a silent logger unless a test wants
// to read the log lines. Functions that take the test context `t` follow fastify/demo's
// build(t): they register t.after(() => app.close()), so a failed assertion or a timeout never
// leaves an app (or its listening server) open. appWith, without `t`, is for suite-level
// before() hooks, whose after() hook closes the app.
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { buildApp, type App, type AppOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logging/logger.js';

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

/** A ready app, closed when the test `t` ends. */
export async function appFor(
  t: TestContext,
  env: Record<string, string> = {},
  options: AppOptions = {},
): Promise<App> {
  const app = await appWith(env, options);
  t.after(() => app.close());
  return app;
}

/** An app whose log lines are captured as parsed JSON records, closed when the test `t` ends. */
export async function appWithLogs(
  t: TestContext,
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
  t.after(() => app.close());
  await app.ready();
  app.lifecycle.markReady();
  return {
    app,
    raw,
    records: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
