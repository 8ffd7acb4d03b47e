// `make loadtest URL=... DURATION=...`: drives GET /work (CPU burn) on a deployed environment so
// the HorizontalPodAutoscaler has something to scale on. Prints a live progress line (requests/s,
// p99 of the last second, errors, pods seen) and a closing summary. Connections are recycled
// every --reconnect requests: kube-proxy balances connections, not requests, so without this
// every keep-alive connection would stay on the pods that existed when the test began and new
// pods would get no load. Ctrl-C stops early and still prints the summary.
// Usage: tsx scripts/loadtest/loadtest.ts --url http://NODE_IP:30082 [--duration 300]
//        [--connections 20] [--work-ms 100] [--reconnect 20]
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { request } from 'undici';
import { ProgressWindow, formatProgress, formatSummary } from './progress.js';

interface Options {
  url: URL;
  durationSeconds: number;
  connections: number;
  workMs: number;
  reconnect: number;
}

function wholeNumber(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `${name}=${JSON.stringify(text)} is invalid: expected a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

function readOptions(argv: string[]): Options {
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
  const text = values.url ?? '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `URL=${JSON.stringify(text)} is invalid: expected http(s)://host:port, e.g. URL=http://203.0.113.10:30082`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`URL=${JSON.stringify(text)} is invalid: expected an http or https URL`);
  }
  return {
    url,
    durationSeconds: wholeNumber('DURATION', values.duration, 1, 86_400),
    connections: wholeNumber('--connections', values.connections, 1, 1000),
    // The service refuses more than WORK_MAX_MS (default 500).
    workMs: wholeNumber('--work-ms', values['work-ms'], 1, 1000),
    reconnect: wholeNumber('--reconnect', values.reconnect, 1, 100_000),
  };
}

/** Asks GET / which pod answered, on a fresh connection so kube-proxy may pick another pod. */
async function podName(base: URL): Promise<string | undefined> {
  try {
    const response = await request(new URL('/', base), { reset: true, headersTimeout: 2000 });
    const body = (await response.body.json()) as { hostname?: unknown };
    return typeof body.hostname === 'string' ? body.hostname : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const target = new URL(`/work?ms=${options.workMs}`, options.url);
  const pods = new Set<string>();
  const window = new ProgressWindow();
  const live = process.stdout.isTTY;

  console.log(
    `load test: GET ${target.href} with ${options.connections} connections for ${options.durationSeconds} s (new connection every ${options.reconnect} requests)`,
  );
  let finish: (result: autocannon.Result) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // The callback form returns the running instance, which the progress line listens to.
  const instance = autocannon(
    {
      url: target.href,
      connections: options.connections,
      duration: options.durationSeconds,
      reconnectRate: options.reconnect,
      timeout: 10,
    },
    (error: Error | null, result: autocannon.Result) => {
      if (error) fail(error);
      else finish(result);
    },
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    window.record(statusCode, responseTime);
  });
  instance.on('reqError', () => {
    window.recordError();
  });
  process.once('SIGINT', () => {
    instance.stop();
  });

  const started = Date.now();
  const ticker = setInterval(() => {
    void podName(options.url).then((name) => name && pods.add(name));
    const line = formatProgress(window.takeSecond(), (Date.now() - started) / 1000, {
      durationSeconds: options.durationSeconds,
      pods: pods.size,
    });
    if (live) process.stdout.write(`\r${line}`);
    else if (Math.round((Date.now() - started) / 1000) % 10 === 0) console.log(line);
  }, 1000);

  const result = await done.finally(() => {
    clearInterval(ticker);
  });
  if (live) process.stdout.write('\n');
  console.log(formatSummary(result, [...pods].sort()));
  if (result.requests.total === 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`loadtest: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
