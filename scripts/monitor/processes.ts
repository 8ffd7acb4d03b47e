// Starting and stopping the local Prometheus, Alertmanager and hello-api processes on loopback,
// each considered up only once it answers its own readiness endpoint (polled, with a deadline).
import { spawn, type ChildProcess } from 'node:child_process';
import { pollUntil } from '../lib/poll.js';

export interface LocalProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Upstream names the binary `alertmanager`; Debian's package calls it `prometheus-alertmanager`. */
export const ALERTMANAGER_NAMES = ['alertmanager', 'prometheus-alertmanager'];

/**
 * pollUntil (scripts/lib/poll.ts) for a check that may throw while its server is still starting:
 * a throw counts as "not yet", not as the end of the wait.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<void> {
  await pollUntil(what, () => check().catch(() => false), { timeoutMs, intervalMs });
}

async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await response.arrayBuffer();
  return response.ok;
}

function startProcess(
  name: string,
  command: string,
  args: string[],
  url: string,
  env: NodeJS.ProcessEnv = process.env,
): LocalProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      resolve();
    }),
  );
  return {
    name,
    url,
    child,
    output: () => output,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function hasExited(proc: LocalProcess): boolean {
  return proc.child.exitCode !== null || proc.child.signalCode !== null;
}

/** Waits for `/-/ready`; on failure stops the process and reports what it printed. */
async function ready(proc: LocalProcess, timeoutMs: number): Promise<LocalProcess> {
  try {
    await waitUntil(
      `${proc.name} at ${proc.url}/-/ready`,
      async () => hasExited(proc) || answers(`${proc.url}/-/ready`),
      timeoutMs,
    );
    if (hasExited(proc)) throw new Error('exited before becoming ready');
    return proc;
  } catch (error) {
    await proc.stop();
    throw new Error(`${proc.name} did not become ready: ${String(error)}\n${proc.output()}`, {
      cause: error,
    });
  }
}

interface EngineOptions {
  binary: string;
  configFile: string;
  port: number;
  dataDir: string;
  timeoutMs?: number;
  /** More command-line flags (tests shorten Prometheus's alert resend delay with one). */
  extraArgs?: string[];
}

export function startPrometheus(options: EngineOptions): Promise<LocalProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const proc = startProcess(
    'prometheus',
    options.binary,
    [
      `--config.file=${options.configFile}`,
      `--storage.tsdb.path=${options.dataDir}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      `--web.external-url=${url}`,
      ...(options.extraArgs ?? []),
    ],
    url,
  );
  return ready(proc, options.timeoutMs ?? 20_000);
}

export function startAlertmanager(options: EngineOptions): Promise<LocalProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const proc = startProcess(
    'alertmanager',
    options.binary,
    [
      `--config.file=${options.configFile}`,
      `--storage.path=${options.dataDir}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      `--web.external-url=${url}`,
      // One local instance: no gossip cluster, so no port beside the web one.
      '--cluster.listen-address=',
    ],
    url,
  );
  return ready(proc, options.timeoutMs ?? 20_000);
}

/**
 * The built service (dist/server.js) on a fixed loopback port, for `make monitor`, started as
 * the image starts it: `nodeArgs` holds the tracing preload.
 */
export async function startServiceProcess(
  entry: string,
  port: number,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<LocalProcess> {
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess('hello-api', process.execPath, [...nodeArgs, entry], url, {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: String(port),
    ...env,
  });
  try {
    await waitUntil(
      `hello-api at ${url}/readyz`,
      async () => {
        // An exited process ends the wait at once; the check below reports it.
        return hasExited(proc) || answers(`${url}/readyz`);
      },
      15_000,
    );
    if (hasExited(proc)) throw new Error('exited before becoming ready');
    return proc;
  } catch (error) {
    await proc.stop();
    throw new Error(`hello-api did not become ready: ${String(error)}\n${proc.output()}`, {
      cause: error,
    });
  }
}
