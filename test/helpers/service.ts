// Starts the built service (dist/server.js) as a real process on a free port and waits for its
// own "ready" log line: readiness is observed, never assumed after a sleep. Functions that take
// the test context `t` kill the process when the test ends (t.after), so a failed assertion or a
// timeout never leaves it running; startService, without `t`, is for suite-level before() hooks,
// whose after() hook stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { SERVER_ENTRY } from './paths.js';

interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningService {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Every stdout/stderr line so far. */
  readonly lines: string[];
  /** stdout lines parsed as JSON (pino), non-JSON lines skipped. */
  logs(): Record<string, unknown>[];
  readonly exited: Promise<ExitStatus>;
  /** Sends a signal (SIGTERM by default) and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<ExitStatus>;
}

interface StartOptions {
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Working directory of the process (default: this one). */
  cwd?: string;
  /** How long to wait for the ready line before failing (default 15 s). */
  readyTimeoutMs?: number;
  /** Run as this user and group id (the test runner must be root to switch). */
  uid?: number;
  gid?: number;
}

/** Environment the tests start from: nothing from the developer's shell leaks in but PATH. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOST: '127.0.0.1',
    PORT: '0',
  };
  // Keep coverage collection working for spawned processes.
  if (process.env.NODE_V8_COVERAGE) env.NODE_V8_COVERAGE = process.env.NODE_V8_COVERAGE;
  return env;
}

/** Starts the process without waiting for it to be ready; it is killed when the test `t` ends. */
export function spawnService(
  t: TestContext,
  options: StartOptions = {},
): {
  child: ChildProcess;
  lines: string[];
  exited: Promise<ExitStatus>;
} {
  const spawned = spawnProcess(options);
  t.after(async () => {
    const { child, exited } = spawned;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return spawned;
}

function spawnProcess(options: StartOptions): {
  child: ChildProcess;
  lines: string[];
  exited: Promise<ExitStatus>;
} {
  if (!existsSync(SERVER_ENTRY))
    throw new Error(`${SERVER_ENTRY} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER_ENTRY], {
    env: { ...baseEnv(), ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line !== ''));
    });
    stream.on('end', () => {
      if (partial !== '') lines.push(partial);
    });
  }
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal });
    });
  });
  return { child, lines, exited };
}

export function parseLogLines(lines: readonly string[]): Record<string, unknown>[] {
  const parsed: Record<string, unknown>[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      parsed.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line that is not JSON is not a log record
    }
  }
  return parsed;
}

/** A ready service, killed when the test `t` ends if it is still running then. */
export async function serviceFor(
  t: TestContext,
  options: StartOptions = {},
): Promise<RunningService> {
  const service = await startService(options);
  t.after(() => service.stop('SIGKILL'));
  return service;
}

export async function startService(options: StartOptions = {}): Promise<RunningService> {
  const { child, lines, exited } = spawnProcess(options);
  const timeoutMs = options.readyTimeoutMs ?? 15_000;

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service not ready within ${timeoutMs} ms; output:\n${lines.join('\n')}`));
    }, timeoutMs);
    const onData = () => {
      for (const record of parseLogLines(lines)) {
        if (record.msg === 'ready: accepting traffic' && typeof record.port === 'number') {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(record.port);
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((status) => {
      clearTimeout(timer);
      reject(
        new Error(`service exited (${JSON.stringify(status)}) before ready:\n${lines.join('\n')}`),
      );
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    lines,
    logs: () => parseLogLines(lines),
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
