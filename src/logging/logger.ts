// The process logger: JSON lines on stdout whether or not stdout is a terminal, with the level as
// a word and the service name on every line. Header fields that could carry credentials are
// redacted as a second line of defence; the access log never includes headers anyway.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config.js';
import { SERVICE_NAME } from '../config/service-identity.js';
import { stdoutWriter } from './turn-batched-writer.js';

let stampedAt = Number.NaN;
let stamp = '';

/**
 * pino's `"time"` field as an ISO 8601 string, formatted at most once per millisecond: under load
 * many lines share a millisecond, and toISOString() was a tenth of the logger's CPU.
 */
export function isoTimestamp(now = Date.now()): string {
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

export function createLogger(config: Config, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: SERVICE_NAME, environment: config.appEnv, version: config.build.version },
      timestamp: () => isoTimestamp(),
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers.cookie',
          'secretMessage',
          'config.secretMessage',
          'faultToken',
          'config.faultToken',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? stdoutWriter(),
  );
}
