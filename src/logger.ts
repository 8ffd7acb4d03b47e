// The process logger: JSON lines on stdout whether or not stdout is a terminal, with the level as
// a word and the service name on every line. Header fields that could carry credentials are
// redacted as a second line of defence; the access log never includes headers anyway.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export const SERVICE_NAME = 'hello-api';

export function createLogger(config: Config, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: SERVICE_NAME, environment: config.appEnv, version: config.build.version },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers.cookie',
          'secretMessage',
          'config.secretMessage',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
