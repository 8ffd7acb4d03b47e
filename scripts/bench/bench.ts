// `make bench`: measures the built service (dist/server.js behind the tracing preload, as the
// image runs it, with prod's NODE_OPTIONS; metrics and access logging on) with tracing off and with tracing on (every
// request sampled, spans exported to a local OTLP receiver), against the Node.js ceiling
// (bare-server.ts), in one run, with the same load, each server pinned to one core and the load
// generator and the receiver on another. The three servers run at once and are loaded in
// rotating slices (see slices.ts), so a change in the machine's speed mid-run hits all alike.
// Prints a Markdown table (requests/s, p50/p99, errors, RSS, server CPU) with the service/ceiling
// ratio and the cost of tracing, the time from process start to /readyz = 200, and the cost of
// one /metrics scrape, each against its target. Numbers are printed, never asserted: machines are noisy, so the run also
// prints what it ran on.
// Usage: tsx scripts/bench/bench.ts [--connections 50] [--duration 10] [--slices 5] [--warmup 3]
//        [--generator wrk|autocannon] [--startups 5] [--scrapes 100]
//        BENCH_NODE_OPTIONS="..." replaces prod's NODE_OPTIONS (k8s/overlays/prod) for every server
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { findExecutable } from '../lib/find-executable.js';
import { freePort } from '../lib/free-port.js';
import { overlayNodeOptions } from '../lib/environments.js';
import { integerFlag } from '../lib/integer-flag.js';
import { startTraceReceiver, type TraceReceiver } from '../lib/otlp-traces.js';
import { pollUntil } from '../lib/poll.js';
import { runCommand } from '../lib/run-command.js';
import { runLoad, type GeneratorName } from './load-generators.js';
import { PeakRssSampler, cpuSeconds, residentBytes } from './process-stats.js';
import { combineSlices, sliceOrder, sliceRatios, type Combined, type Slice } from './slices.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVICE_ENTRY = join(ROOT, 'dist', 'server.js');
/** The image's ENTRYPOINT: the preload, then the service (Dockerfile). */
const SERVICE_ARGS = ['--import', join(ROOT, 'dist', 'tracing-preload.js'), SERVICE_ENTRY];
const BARE_ENTRY = fileURLToPath(new URL('bare-server.ts', import.meta.url));
const MB = 1024 * 1024;
/**
 * Every server runs with prod's V8 flags (its overlay's NODE_OPTIONS: old-space limit and the
 * semi-space cap), so the memory figures are the ones prod's pods would show and the ceiling
 * pays the same garbage-collection settings as the service. BENCH_NODE_OPTIONS replaces them
 * (empty: V8's defaults), to measure what the flags themselves cost.
 */
const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? overlayNodeOptions('prod');

/** The issue's targets for the service, measured on one core. */
const TARGETS = {
  ratio: 0.6,
  p99Ms: 10,
  loadRssMb: 120,
  idleRssMb: 80,
  readyMs: 500,
  scrapeMs: 10,
};

interface Options {
  connections: number;
  durationSeconds: number;
  slices: number;
  warmupSeconds: number;
  generator: GeneratorName;
  startups: number;
  scrapes: number;
  serverCore: number | undefined;
  clientCore: number | undefined;
}

interface ServerResult extends Combined {
  name: string;
  slices: Slice[];
  idleRssBytes: number;
  peakRssBytes: number;
}

/** A whole-number option of at least 1. */
function count(name: string, text: string): number {
  return integerFlag(`--${name}`, text, { min: 1, max: 1_000_000 });
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '10' },
      slices: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '3' },
      generator: { type: 'string' },
      startups: { type: 'string', default: '5' },
      scrapes: { type: 'string', default: '100' },
    },
  });
  const generator = values.generator ?? (findExecutable('wrk') ? 'wrk' : 'autocannon');
  if (generator !== 'wrk' && generator !== 'autocannon') {
    throw new Error(`--generator=${generator} is invalid: expected wrk or autocannon`);
  }
  // One core for the server under test, another for the generator, when the machine has two.
  const pinned = cpus().length >= 2 && findExecutable('taskset') !== undefined;
  const durationSeconds = count('duration', values.duration);
  const slices = count('slices', values.slices);
  if (durationSeconds % slices !== 0) {
    throw new Error(
      `--duration=${durationSeconds} with --slices=${slices} is invalid: the duration must split into whole seconds per slice`,
    );
  }
  return {
    connections: count('connections', values.connections),
    durationSeconds,
    slices,
    warmupSeconds: count('warmup', values.warmup),
    generator,
    startups: count('startups', values.startups),
    scrapes: count('scrapes', values.scrapes),
    serverCore: pinned ? 0 : undefined,
    clientCore: pinned ? 1 : undefined,
  };
}

/** Starts `node <args>` on the server core with stdout/stderr going to `logFd`. */
function spawnServer(
  nodeArgs: string[],
  env: Record<string, string>,
  options: Options,
  logFd: number | 'ignore',
): ChildProcess {
  const node = [process.execPath, ...nodeArgs];
  const [command, ...args] =
    options.serverCore === undefined
      ? node
      : ['taskset', '-c', String(options.serverCore), ...node];
  return spawn(command ?? process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', NODE_OPTIONS, ...env },
    stdio: ['ignore', logFd, logFd],
  });
}

/** Polls `url` until it answers 200; resolves with the milliseconds since `started`. */
async function waitFor(url: string, started: number, timeoutMs = 20_000): Promise<number> {
  await pollUntil(
    `${url} answers 200`,
    async () => {
      try {
        const response = await request(url);
        await response.body.dump();
        return response.statusCode === 200;
      } catch {
        return false; // not listening yet
      }
    },
    { timeoutMs, intervalMs: 5 },
  );
  return performance.now() - started;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  await exited;
}

function serviceEnv(port: number): Record<string, string> {
  // Access logging on (info), metrics always on; no drain delay so each run ends at once.
  return { PORT: String(port), LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '0' };
}

/**
 * The same service with tracing on, spans to `receiver`: every request traced (dev and stage), or
 * prod's sampling (k8s/overlays/prod: one new trace in ten; the load sends no traceparent).
 */
function tracedEnv(
  port: number,
  receiver: TraceReceiver,
  sampling: 'all' | 'prod',
): Record<string, string> {
  const sampler: Record<string, string> =
    sampling === 'all'
      ? { OTEL_TRACES_SAMPLER: 'always_on' }
      : { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
  return { ...serviceEnv(port), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, ...sampler };
}

interface RunningServer {
  name: string;
  child: ChildProcess;
  pid: number;
  url: string;
  slices: Slice[];
}

/** Starts a server on the server core and waits until it answers GET /. */
async function startServer(
  name: string,
  nodeArgs: string[],
  env: Record<string, string>,
  port: number,
  options: Options,
  logFd: number | 'ignore',
): Promise<RunningServer> {
  const child = spawnServer(nodeArgs, env, options, logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${nodeArgs.join(' ')}`);
  const url = `http://127.0.0.1:${port}/`;
  await waitFor(url, performance.now());
  return { name, child, pid, url, slices: [] };
}

function loadFor(server: RunningServer, options: Options, seconds: number) {
  return {
    url: server.url,
    connections: options.connections,
    durationSeconds: seconds,
    clientCore: options.clientCore,
  };
}

/** Loads one server for one slice and records what it served and the CPU it used. */
async function runSlice(server: RunningServer, options: Options, seconds: number): Promise<void> {
  const cpuBefore = cpuSeconds(server.pid);
  const wallBefore = performance.now();
  const result = await runLoad(options.generator, loadFor(server, options, seconds));
  server.slices.push({
    ...result,
    seconds: (performance.now() - wallBefore) / 1000,
    cpuSeconds: cpuSeconds(server.pid) - cpuBefore,
  });
}

/**
 * The servers side by side: idle RSS, a warm-up each, then `options.slices` rounds of one slice
 * per server in rotating order while the peak RSS of each is sampled.
 */
async function measureSideBySide(
  servers: RunningServer[],
  options: Options,
): Promise<ServerResult[]> {
  // Idle: after start-up garbage has had a moment to be collected, before any load.
  await sleep(1000);
  const idle = new Map(servers.map((s) => [s, residentBytes(s.pid) ?? 0]));
  for (const server of servers) {
    process.stderr.write(`${server.name}: warm-up ${options.warmupSeconds} s...\n`);
    await runLoad(options.generator, loadFor(server, options, options.warmupSeconds));
  }
  const sliceSeconds = options.durationSeconds / options.slices;
  process.stderr.write(
    `measuring ${options.slices} rounds of ${sliceSeconds} s slices, rotating the order...\n`,
  );
  const samplers = new Map(servers.map((s) => [s, new PeakRssSampler(s.pid)]));
  for (let index = 0; index < options.slices; index += 1) {
    for (const server of sliceOrder(index, ...servers)) {
      await runSlice(server, options, sliceSeconds);
    }
  }
  return servers.map((server) => ({
    name: server.name,
    slices: server.slices,
    ...combineSlices(server.slices),
    idleRssBytes: idle.get(server) ?? 0,
    peakRssBytes: samplers.get(server)?.stop() ?? 0,
  }));
}

/**
 * Times `count` sequential GET /metrics scrapes: sorted milliseconds as the client saw them, the
 * server's CPU per scrape (which a busy machine does not inflate), and the body size.
 */
async function measureScrapes(
  baseUrl: string,
  count: number,
  pid: number,
): Promise<{ sortedMs: number[]; cpuMsPerScrape: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  const cpuBefore = cpuSeconds(pid);
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const response = await request(`${baseUrl}/metrics`);
    const body = await response.body.text();
    times.push(performance.now() - started);
    if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}`);
    bytes = Buffer.byteLength(body);
  }
  const cpuMsPerScrape = ((cpuSeconds(pid) - cpuBefore) * 1000) / count;
  return { sortedMs: times.sort((a, b) => a - b), cpuMsPerScrape, bytes };
}

interface Startups {
  /** Sorted wall-clock ms from spawn to /readyz = 200. */
  wallMs: number[];
  /** Sorted CPU ms the process had used by then: start-up work, whatever else the machine ran. */
  cpuMs: number[];
}

/** Starts the service `count` times and times each start; `env` adds to serviceEnv. */
async function measureStartups(
  options: Options,
  count: number,
  env: Record<string, string> = {},
): Promise<Startups> {
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const port = await freePort();
    const started = performance.now();
    const child = spawnServer(SERVICE_ARGS, { ...serviceEnv(port), ...env }, options, 'ignore');
    wallMs.push(await waitFor(`http://127.0.0.1:${port}/readyz`, started));
    if (child.pid !== undefined) cpuMs.push(cpuSeconds(child.pid) * 1000);
    await stop(child);
  }
  const sort = (values: number[]) => values.sort((a, b) => a - b);
  return { wallMs: sort(wallMs), cpuMs: sort(cpuMs) };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');

async function describeMachine(options: Options): Promise<string> {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  // wrk prints "wrk 4.1.0 [epoll] ..." and exits 1 for --version.
  const wrkVersion = async () => {
    const result = await runCommand('wrk', ['--version']);
    return `${result.stdout}${result.stderr}`.trim().split(' ').slice(0, 2).join(' ');
  };
  const generator = options.generator === 'wrk' ? await wrkVersion() : 'autocannon (in-process)';
  const pinning =
    options.serverCore === undefined
      ? 'not pinned (fewer than 2 cores or no taskset)'
      : `servers on core ${options.serverCore}, generator on core ${options.clientCore}`;
  return [
    `machine: ${cpu}, ${cpus().length} cores, Linux ${release()}, Node.js ${process.version}, NODE_OPTIONS="${NODE_OPTIONS}" (k8s/overlays/prod)`,
    `load: ${options.connections} connections, ${options.durationSeconds} s measured per server in ${options.slices} alternating slices after ${options.warmupSeconds} s warm-up each, generator ${generator}; ${pinning}`,
    `load average before the run: ${loadavg()
      .map((n) => fixed(n, 2))
      .join(' ')}`,
  ].join('\n');
}

/** Requests served per second of CPU: what a request costs, even when the core was shared. */
function perCpuSecond(result: ServerResult): number {
  return result.cpuShare > 0 ? result.requestsPerSecond / result.cpuShare : NaN;
}

function row(result: ServerResult): string {
  return `| ${[
    result.name,
    Math.round(result.requestsPerSecond),
    fixed(result.p50Ms, 2),
    fixed(result.p99Ms, 2),
    result.errors,
    fixed(result.idleRssBytes / MB),
    fixed(result.peakRssBytes / MB),
    `${Math.round(result.cpuShare * 100)}%`,
    Math.round(perCpuSecond(result)),
  ].join(' | ')} |`;
}

async function main(): Promise<void> {
  const options = readOptions();
  try {
    readFileSync(SERVICE_ENTRY);
  } catch {
    throw new Error(`${SERVICE_ENTRY} is missing: run "make build" first`);
  }
  // The generator side (this process, and wrk which inherits it) stays off the server core.
  if (options.clientCore !== undefined) {
    execFileSync('taskset', ['-cp', String(options.clientCore), String(process.pid)], {
      stdio: 'ignore',
    });
  }
  const machine = await describeMachine(options);
  const logDir = mkdtempSync(join(tmpdir(), 'hello-api-bench-'));
  const logPath = join(logDir, 'service.log');
  const logFd = openSync(logPath, 'w');

  const receiver = await startTraceReceiver(0, undefined, false);
  const sampledReceiver = await startTraceReceiver(0, undefined, false);
  try {
    const barePort = await freePort();
    const bare = await startServer(
      'node:http ceiling',
      ['--import', 'tsx', BARE_ENTRY],
      { PORT: String(barePort) },
      barePort,
      options,
      'ignore',
    );
    const servicePort = await freePort();
    const running = await startServer(
      'hello-api',
      SERVICE_ARGS,
      serviceEnv(servicePort),
      servicePort,
      options,
      logFd,
    );
    const sampledPort = await freePort();
    const sampled = await startServer(
      'hello-api, tracing 10 %',
      SERVICE_ARGS,
      tracedEnv(sampledPort, sampledReceiver, 'prod'),
      sampledPort,
      options,
      'ignore',
    );
    const tracedPort = await freePort();
    const traced = await startServer(
      'hello-api, tracing all',
      SERVICE_ARGS,
      tracedEnv(tracedPort, receiver, 'all'),
      tracedPort,
      options,
      'ignore',
    );
    const [c, s, p, t] = await measureSideBySide([bare, running, sampled, traced], options);
    if (!c || !s || !p || !t) throw new Error('bench: a server has no result');
    await stop(bare.child);
    // Their shutdown exports what is still buffered: every span is in before the count.
    await stop(sampled.child);
    await stop(traced.child);
    const scrapes = await measureScrapes(
      `http://127.0.0.1:${servicePort}`,
      options.scrapes,
      running.pid,
    );
    await stop(running.child);
    const startups = await measureStartups(options, options.startups);
    const tracedStartups = await measureStartups(options, options.startups, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    });

    const accessLines = readFileSync(logPath, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"msg":"request completed"')).length;
    const ratio = s.requestsPerSecond / c.requestsPerSecond;
    const ratios = sliceRatios(c.slices, s.slices);
    const sortedRatios = [...ratios].sort((a, b) => a - b);
    const tracingRatios = sliceRatios(s.slices, t.slices);
    const scrapeMedian = percentile(scrapes.sortedMs, 50);
    const readyMedian = percentile(startups.wallMs, 50);
    const tracedRequests = t.slices.reduce((sum, slice) => sum + slice.requests, 0);

    const lines = [
      machine,
      '',
      '| server | req/s | p50 ms | p99 ms | errors | idle RSS MB | peak RSS MB | server CPU | req per CPU-s |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      row(c),
      row(s),
      row(p),
      row(t),
      '',
      `ratio service / ceiling: ${fixed(ratio, 2)} by throughput, ${fixed(perCpuSecond(s) / perCpuSecond(c), 2)} by CPU cost per request`,
      `ratio in each slice pair, in run order: ${ratios.map((r) => fixed(r, 2)).join(' ')} (lowest ${fixed(sortedRatios[0] ?? NaN, 2)}, highest ${fixed(sortedRatios.at(-1) ?? NaN, 2)})`,
      `tracing, every request sampled / off: ${fixed(t.requestsPerSecond / s.requestsPerSecond, 2)} by throughput, ${fixed(perCpuSecond(t) / perCpuSecond(s), 2)} by CPU cost per request; per slice pair: ${tracingRatios.map((r) => fixed(r, 2)).join(' ')}`,
      `tracing, 10 % sampled (prod) / off: ${fixed(p.requestsPerSecond / s.requestsPerSecond, 2)} by throughput, ${fixed(perCpuSecond(p) / perCpuSecond(s), 2)} by CPU cost per request`,
      `spans exported, every request sampled: ${receiver.requests} OTLP requests, ${fixed(receiver.bytes / MB)} MB for ${tracedRequests} requests (${fixed(receiver.bytes / Math.max(tracedRequests, 1), 0)} bytes of protobuf per traced request); 10 % sampled: ${fixed(sampledReceiver.bytes / MB)} MB`,
      `start to /readyz = 200: median ${fixed(readyMedian, 0)} ms, max ${fixed(startups.wallMs.at(-1) ?? NaN, 0)} ms over ${startups.wallMs.length} starts; CPU used by then: median ${fixed(percentile(startups.cpuMs, 50), 0)} ms; with tracing on: median ${fixed(percentile(tracedStartups.wallMs, 50), 0)} ms`,
      `/metrics scrape: median ${fixed(scrapeMedian, 2)} ms, p99 ${fixed(percentile(scrapes.sortedMs, 99), 2)} ms over ${scrapes.sortedMs.length} scrapes, server CPU ${fixed(scrapes.cpuMsPerScrape, 2)} ms per scrape, ${fixed(scrapes.bytes / 1024)} KiB`,
      `access log lines written by the service: ${accessLines} (metrics and access logging were on)`,
      '',
      'targets for the service (one core):',
      `  throughput >= ${TARGETS.ratio * 100}% of the ceiling: ${fixed(ratio * 100, 0)}% ${verdict(ratio >= TARGETS.ratio)}`,
      `  p99 < ${TARGETS.p99Ms} ms at ${options.connections} connections: ${fixed(s.p99Ms, 2)} ms ${verdict(s.p99Ms < TARGETS.p99Ms)}`,
      `  RSS < ${TARGETS.loadRssMb} MB under load: ${fixed(s.peakRssBytes / MB)} MB ${verdict(s.peakRssBytes / MB < TARGETS.loadRssMb)}`,
      `  RSS < ${TARGETS.idleRssMb} MB idle: ${fixed(s.idleRssBytes / MB)} MB ${verdict(s.idleRssBytes / MB < TARGETS.idleRssMb)}`,
      `  ready < ${TARGETS.readyMs} ms after start: ${fixed(readyMedian, 0)} ms ${verdict(readyMedian < TARGETS.readyMs)}`,
      `  /metrics scrape < ${TARGETS.scrapeMs} ms: ${fixed(scrapeMedian, 2)} ms ${verdict(scrapeMedian < TARGETS.scrapeMs)}`,
      `  no errors: ${s.errors} ${verdict(s.errors === 0)}`,
    ];
    for (const result of [c, s, p, t]) {
      if (result.cpuShare < 0.9) {
        lines.push(
          `warning: ${result.name} used only ${Math.round(result.cpuShare * 100)}% of its core: the generator or other processes on this machine were the limit, so its numbers understate it (check the load average)`,
        );
      }
    }
    console.log(lines.join('\n'));
  } finally {
    closeSync(logFd);
    rmSync(logDir, { recursive: true, force: true });
    await receiver.close();
    await sampledReceiver.close();
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
