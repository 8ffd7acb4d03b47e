// GET /: the original service's contract (status, message, timestamp, secret) plus what an
// operator needs to tell pods apart. The secret's value never leaves the process: the answer
// only says whether one is configured.
import { hostname } from 'node:os';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config.js';
import { formatLocalTimestamp } from './root-timestamp.js';

const RootResponse = Type.Object(
  {
    status: Type.Literal('ok'),
    message: Type.String({ description: 'GREETING' }),
    timestamp: Type.String({
      description: 'Local time at TIMEZONE_OFFSET, "YYYY-MM-DD HH:MM:SS"',
      examples: ['2026-11-27 06:21:00'],
    }),
    secret: Type.Union([Type.Literal('configured'), Type.Literal('N/A')], {
      description: 'Whether SECRET_MESSAGE is set; its value is never returned',
    }),
    environment: Type.String({ description: 'APP_ENV' }),
    version: Type.String(),
    hostname: Type.String({ description: 'The host or pod name' }),
  },
  { description: 'The greeting' },
);

interface RootRouteOptions {
  config: Config;
  now?: () => Date;
}

export const rootRoute: FastifyPluginCallbackTypebox<RootRouteOptions> = (app, options, done) => {
  const { config } = options;
  const now = options.now ?? (() => new Date());
  const host = hostname();
  const secret: 'configured' | 'N/A' = config.secretMessage === '' ? 'N/A' : 'configured';

  app.get(
    '/',
    {
      config: { faultable: true },
      schema: {
        operationId: 'getGreeting',
        tags: ['service'],
        summary: 'Greeting, local time and which pod answered',
        response: { 200: RootResponse },
      },
    },
    () => ({
      status: 'ok' as const,
      message: config.greeting,
      timestamp: formatLocalTimestamp(now(), config.timezoneOffsetMinutes),
      secret,
      environment: config.appEnv,
      version: config.build.version,
      hostname: host,
    }),
  );
  done();
};
