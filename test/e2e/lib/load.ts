// Steady keep-alive load for the zero-downtime checks, on the reliability tests' load generator
// (test/helpers/reliability-load.ts: every request must end in a 200, nothing is retried). This
// adds the figures the suite prints and a bounded stop: a request still hanging after the load
// stopped is reported as such instead of hanging the suite.
import { steadyLoad, type LoadReport } from '../../helpers/reliability-load.js';

export interface LoadSummary {
  requests: number;
  ok: number;
  failed: number;
  /** Up to five failure lines, for the assertion message. */
  firstFailures: string[];
  connectionClose: number;
  seconds: number;
}

export interface RunningLoad {
  /** Live count of requests answered so far. */
  answered: () => number;
  /** Stops the workers; rejects when they have not all returned within `graceMs`. */
  stop: (graceMs?: number) => Promise<LoadSummary>;
}

export function summarize(report: LoadReport, seconds: number): LoadSummary {
  return {
    requests: report.ok + report.failures.length,
    ok: report.ok,
    failed: report.failures.length,
    firstFailures: report.failures.slice(0, 5),
    connectionClose: report.connectionClose,
    seconds,
  };
}

/** "prod during rollout restart: 18234 requests in 41.2 s, 0 failed, 52 told to reconnect" */
export function formatSummary(label: string, summary: LoadSummary): string {
  return `${label}: ${summary.requests} requests in ${summary.seconds.toFixed(1)} s, ${summary.failed} failed, ${summary.connectionClose} told to reconnect (Connection: close)`;
}

export function startLoad(options: {
  baseUrl: string;
  paths: readonly string[];
  concurrency: number;
}): RunningLoad {
  let running = true;
  const started = Date.now();
  const load = steadyLoad({ ...options, shouldContinue: () => running });
  return {
    answered: () => load.report.ok + load.report.failures.length,
    stop: async (graceMs = 30_000) => {
      running = false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new Error(
              `load on ${options.baseUrl} did not stop within ${graceMs / 1000} s: requests are hanging (${load.report.ok} ok, ${load.report.failures.length} failed so far)`,
            ),
          );
        }, graceMs);
      });
      try {
        const report = await Promise.race([load.finished, timeout]);
        return summarize(report, (Date.now() - started) / 1000);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The loads a test file starts, so its after() stops whatever still runs when an assertion
 * failed midway: `const loads = loadsOfThisFile(); after(() => loads.stopAll());`.
 */
export function loadsOfThisFile(): {
  start: (options: Parameters<typeof startLoad>[0]) => RunningLoad;
  stopAll: () => Promise<void>;
} {
  const running = new Set<RunningLoad>();
  return {
    start: (options) => {
      const load = startLoad(options);
      const stop = load.stop;
      const tracked: RunningLoad = {
        answered: load.answered,
        stop: async (graceMs) => {
          running.delete(tracked);
          return stop(graceMs);
        },
      };
      running.add(tracked);
      return tracked;
    },
    stopAll: async () => {
      for (const load of [...running]) await load.stop().catch(() => undefined);
    },
  };
}
