// `make loadtest URL=... DURATION=...`: drives GET /work (CPU burn) on a deployed environment so
// the HorizontalPodAutoscaler has something to scale on. autocannon does all of it with its own
// options: the load, the live progress bar (on a terminal) and the closing results table
// (latency, requests/s, 2xx and non-2xx counts, errors and timeouts). This file only reads the
// flags, aims autocannon at /work, and stops the run on Ctrl-C with the table still printed (the
// autocannon CLI keeps running on Ctrl-C). Connections are recycled every --reconnect requests
// (autocannon's reconnectRate): kube-proxy balances connections, not requests, so keep-alive
// connections would otherwise stay on the pods that existed when the test began.
// Usage: tsx scripts/loadtest/loadtest.ts --url http://NODE_IP:30082 [--duration 300]
//        [--connections 20] [--work-ms 100] [--reconnect 20]
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { FlagError, integerFlag } from '../lib/integer-flag.js';

/** The base URL, e.g. http://203.0.113.10:30082; an error names what is allowed. */
function baseUrl(text: string | undefined): URL {
  const example = 'e.g. URL=http://203.0.113.10:30082';
  let url: URL;
  try {
    url = new URL(text ?? '');
  } catch {
    throw new FlagError(
      `URL=${JSON.stringify(text ?? '')} is invalid: expected http(s)://host:port, ${example}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FlagError(
      `URL=${JSON.stringify(text)} is invalid: expected an http or https URL, ${example}`,
    );
  }
  return url;
}

/** The autocannon options this load test sets, each always present. */
interface LoadtestOptions extends autocannon.Options {
  url: string;
  duration: number;
  connections: number;
  reconnectRate: number;
}

/** The command line as autocannon options. */
function loadtestOptions(argv: string[]): LoadtestOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      duration: { type: 'string', default: '300' },
      connections: { type: 'string', default: '20' },
      'work-ms': { type: 'string', default: '100' },
      reconnect: { type: 'string', default: '20' },
    },
  });
  // The service refuses more than WORK_MAX_MS (default 500) per request.
  const workMs = integerFlag('--work-ms', values['work-ms'], { min: 1, max: 1000 });
  return {
    url: new URL(`/work?ms=${workMs}`, baseUrl(values.url)).href,
    duration: integerFlag('DURATION', values.duration, { min: 1, max: 86_400 }),
    connections: integerFlag('--connections', values.connections, { min: 1, max: 1000 }),
    reconnectRate: integerFlag('--reconnect', values.reconnect, { min: 1, max: 100_000 }),
    timeout: 10,
  };
}

async function main(): Promise<void> {
  const options = loadtestOptions(process.argv.slice(2));
  console.log(
    `load test: GET ${options.url} with ${options.connections} connections for ${options.duration} s (new connection every ${options.reconnectRate} requests)`,
  );
  let settle: (error: Error | null, result: autocannon.Result) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    settle = (error, result) => {
      if (error) reject(error);
      else resolve(result);
    };
  });
  // The callback form returns the running instance, which the progress bar and Ctrl-C need.
  const instance = autocannon(options, (error: Error | null, result: autocannon.Result) => {
    settle(error, result);
  });
  autocannon.track(instance);
  process.once('SIGINT', () => {
    instance.stop();
  });
  const result = await finished;
  // No answer at all means the URL was wrong or the service was down: say so with the exit code.
  if (result.requests.total === 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`loadtest: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof FlagError ? 2 : 1);
});
