// Counting and formatting for the load test: a per-second window for the live line, and the
// closing summary. Kept apart from the network code so it can be unit-tested.
import type autocannon from 'autocannon';

export interface Second {
  requests: number;
  errors: number;
  non2xx: number;
  p99Ms: number;
}

/** Collects the responses of the current second. */
export class ProgressWindow {
  #latencies: number[] = [];
  #errors = 0;
  #non2xx = 0;

  record(statusCode: number, responseTimeMs: number): void {
    this.#latencies.push(responseTimeMs);
    if (statusCode < 200 || statusCode >= 300) this.#non2xx += 1;
  }

  recordError(): void {
    this.#errors += 1;
  }

  /** Returns the second's numbers and starts a new second. */
  takeSecond(): Second {
    const sorted = this.#latencies.sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
    const second = {
      requests: sorted.length,
      errors: this.#errors,
      non2xx: this.#non2xx,
      p99Ms: p99,
    };
    this.#latencies = [];
    this.#errors = 0;
    this.#non2xx = 0;
    return second;
  }
}

export function formatProgress(
  second: Second,
  elapsedSeconds: number,
  context: { durationSeconds: number; pods: number },
): string {
  const elapsed = Math.min(Math.round(elapsedSeconds), context.durationSeconds);
  return [
    `[${elapsed}/${context.durationSeconds} s]`,
    `${second.requests} req/s`,
    `p99 ${Math.round(second.p99Ms)} ms`,
    `errors ${second.errors}`,
    `non-2xx ${second.non2xx}`,
    `pods seen ${context.pods}`,
  ].join('  ');
}

export function formatSummary(result: autocannon.Result, pods: readonly string[]): string {
  const ok = result['2xx'];
  return [
    'summary:',
    `  requests   ${result.requests.total} in ${result.duration.toFixed(1)} s (${(result.requests.total / Math.max(result.duration, 0.001)).toFixed(1)} req/s), ${ok} answered 2xx`,
    `  latency    p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
    `  failures   ${result.errors} connection errors (${result.timeouts} timeouts), ${result.non2xx} non-2xx (4xx ${result['4xx']}, 5xx ${result['5xx']})`,
    `  pods seen  ${pods.length}${pods.length > 0 ? `: ${pods.join(', ')}` : ''}`,
  ].join('\n');
}
