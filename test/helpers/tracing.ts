// Running the built service as the image runs it, with the tracing preload first, and the
// W3C traceparent a test sends as a caller would.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { repoPath } from './paths.js';
import { serviceFor, type RunningService } from './service.js';

/** The preload the image's ENTRYPOINT and `npm start` put before dist/server.js. */
export const TRACING_PRELOAD = repoPath('dist/tracing-preload.js');
/** The image's ENTRYPOINT and `npm start`: the preload first, then the service. */
export const IMAGE_ENTRYPOINT = ['node', '--import', './dist/tracing-preload.js', 'dist/server.js'];

export function tracedServiceFor(
  t: TestContext,
  env: Record<string, string>,
): Promise<RunningService> {
  return serviceFor(t, {
    nodeArgs: ['--import', TRACING_PRELOAD],
    env: { LOG_LEVEL: 'info', ...env },
  });
}

interface CallerSpan {
  traceId: string;
  spanId: string;
  /** version 00, the caller's ids, sampled flag set or not. */
  traceparent: string;
}

/** A caller's span: fresh random ids, as its own tracer would make them. */
export function callerSpan(sampled = true): CallerSpan {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}` };
}
