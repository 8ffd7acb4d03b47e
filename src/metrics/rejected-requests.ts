// Requests Node's HTTP parser rejects never reach Fastify: they are answered on the raw socket
// (http/malformed-requests.ts) from the server's 'clientError' event, which Node also emits for
// a connection that fails before a request arrives (https://nodejs.org/api/http.html#event-clienterror);
// so is CONNECT, which Node hands to the 'connect' event instead (http/connect-requests.ts).
// Without this a malformed-request or slowloris flood would show in no metric and no log line.
// Each is counted by reason, and logged at most once per reason per LOG_INTERVAL_MS with the count
// since the last line, so a flood cannot flood the log.
import type { FastifyBaseLogger } from 'fastify';

export type RejectionReason =
  | 'malformed' // 400: the request line or headers break HTTP/1.1 (llhttp's HPE_* errors)
  | 'header_overflow' // 431: headers larger than Node's limit
  | 'request_timeout' // 408: headers or body not complete within HEADERS/REQUEST_TIMEOUT_MS
  | 'connect' // 501: CONNECT, a proxy's method, which this origin server does not serve
  | 'connection_error'; // no answer possible: the connection was reset or failed first

export const REJECTION_REASONS: readonly RejectionReason[] = [
  'malformed',
  'header_overflow',
  'request_timeout',
  'connect',
  'connection_error',
];

export function rejectionReason(error: { code?: string | undefined }): RejectionReason {
  const code = error.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW') return 'header_overflow';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  if (code.startsWith('HPE_')) return 'malformed';
  return 'connection_error';
}

export const LOG_INTERVAL_MS = 10_000;

interface Window {
  endsAt: number;
  suppressed: number;
  timer: NodeJS.Timeout | undefined;
}

/** One log line per reason per interval: the first at once, the rest summed into the next. */
export class RejectionLog {
  readonly #windows = new Map<RejectionReason, Window>();

  constructor(
    private readonly logger: FastifyBaseLogger,
    private readonly now: () => number = Date.now,
  ) {}

  record(reason: RejectionReason): void {
    const now = this.now();
    const window = this.#windows.get(reason);
    if (window === undefined || now >= window.endsAt) {
      this.#write(reason, 1);
      this.#windows.set(reason, { endsAt: now + LOG_INTERVAL_MS, suppressed: 0, timer: undefined });
      return;
    }
    window.suppressed += 1;
    // The rest of a burst is reported when its window ends, even if nothing follows it.
    window.timer ??= setTimeout(() => {
      window.timer = undefined;
      if (window.suppressed > 0) this.#write(reason, window.suppressed);
      window.suppressed = 0;
    }, window.endsAt - now).unref();
  }

  /** Stops the pending timers (the app is closing). */
  stop(): void {
    for (const window of this.#windows.values()) clearTimeout(window.timer);
  }

  #write(reason: RejectionReason, count: number): void {
    const fields = { reason, count, intervalMs: LOG_INTERVAL_MS };
    const message = 'requests rejected before routing (counted in http_rejected_requests_total)';
    // A reset connection is routine on the internet; the answered rejections are worth a look.
    if (reason === 'connection_error') this.logger.debug(fields, message);
    else this.logger.warn(fields, message);
  }
}
