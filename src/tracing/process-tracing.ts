// The tracing of this process as the app sees it: undefined when tracing is off, else what the
// preload (src/tracing-preload.ts) started. The app reaches spans only through this interface,
// so with tracing off no OpenTelemetry module is ever loaded. Its own module so that the preload
// and the server share one instance of it (one chunk of the bundle, scripts/build.ts).
import type { IncomingMessage } from 'node:http';

/** W3C ids of a request's server span, lower-case hex as in traceparent. */
export interface SpanIds {
  readonly traceId: string;
  readonly spanId: string;
  /** The trace is recorded and exported (its sampled flag is set): only then is it in Tempo. */
  readonly sampled: boolean;
}

type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

export interface ProcessTracing {
  /** The server span of this request; undefined for a request that has none (probes, /metrics). */
  spanIdsOf(request: IncomingMessage): SpanIds | undefined;
  /** Adds a named event to the request's server span, e.g. a fault injected on purpose. */
  addEvent(request: IncomingMessage, name: string, attributes: SpanAttributes): void;
  /** Requests to this path (no query string) get no span at all: probes and /metrics. */
  excludePath(path: string): void;
  /** Where the SDK's warnings go (failed exports, dropped spans), at most one line a minute. */
  reportProblemsTo(sink: (message: string) => void): void;
  /**
   * Exports the spans still buffered and stops. Settles within timeoutMs whatever the backend
   * does: rejects naming the problem when the export failed or did not finish in time.
   */
  shutdown(timeoutMs: number): Promise<void>;
}

let current: ProcessTracing | undefined;

export function setProcessTracing(tracing: ProcessTracing): void {
  current = tracing;
}

export function processTracing(): ProcessTracing | undefined {
  return current;
}
