// The two load generators `make bench` can drive, behind one result shape. wrk (C, one thread) is
// preferred: on one client core it can push a bare Node server to its limit, where autocannon
// (JavaScript) saturates its own core first and would understate the ceiling. autocannon is the
// fallback when wrk is not installed, and the bench says so.
import autocannon from 'autocannon';
import { runCommand } from '../lib/run-command.js';

interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  /** CPU core the generator runs on (wrk is pinned with taskset; autocannon runs in-process). */
  clientCore: number | undefined;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers plus connection, read, write and timeout errors. */
  errors: number;
  requests: number;
}

export type GeneratorName = 'wrk' | 'autocannon';

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

/** "1.33ms" / "812.00us" / "1.02s" -> milliseconds. */
function wrkDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) throw new Error(`wrk output: cannot read the duration ${JSON.stringify(text)}`);
  return Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
}

/** Parses `wrk --latency` output into a LoadResult. */
export function parseWrkOutput(output: string): LoadResult {
  const find = (pattern: RegExp, what: string): string => {
    const match = pattern.exec(output);
    if (!match?.[1]) throw new Error(`wrk output: no ${what} in:\n${output}`);
    return match[1];
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  return {
    requestsPerSecond: Number(find(/Requests\/sec:\s+([\d.]+)/, 'Requests/sec')),
    p50Ms: wrkDurationMs(find(/^\s+50%\s+(\S+)\s*$/m, '50% latency')),
    p99Ms: wrkDurationMs(find(/^\s+99%\s+(\S+)\s*$/m, '99% latency')),
    errors: socketErrors + non2xx,
    requests: Number(find(/(\d+) requests in/, 'request count')),
  };
}

async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const wrkArgs = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    '--latency',
    options.url,
  ];
  const [command, args] =
    options.clientCore === undefined
      ? ['wrk', wrkArgs]
      : ['taskset', ['-c', String(options.clientCore), 'wrk', ...wrkArgs]];
  // wrk stops itself after its duration; the timeout only ends a wrk that hangs.
  const result = await runCommand(command, args, {
    timeoutMs: (options.durationSeconds + 60) * 1000,
  });
  if (result.code !== 0) {
    throw new Error(`wrk exited with ${result.code}:\n${result.stdout}${result.stderr}`);
  }
  return parseWrkOutput(result.stdout);
}

async function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
  });
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    requests: result.requests.total,
  };
}

export function runLoad(generator: GeneratorName, options: LoadOptions): Promise<LoadResult> {
  return generator === 'wrk' ? runWrk(options) : runAutocannon(options);
}
