// Runs the tools cluster-up and cluster-down drive (kind, kubectl, docker or podman) and prints
// each command before it runs, so the log reads as the list of operations performed. Every
// kubectl and kind call gets the cluster's own kubeconfig: the user's ~/.kube/config is never read
// or written.
import { spawnSync } from 'node:child_process';
import { KUBECONFIG_PATH, ROOT } from './layout.js';

/** A failure that stops cluster-up/down: printed as one line, exit code 1. */
export class ClusterError extends Error {}

interface Result {
  ok: boolean;
  status: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Text for the command's standard input. */
  input?: string;
  /** Do not echo the command (for read-only probes whose output is parsed). */
  quiet?: boolean;
  /** Extra environment (KIND_EXPERIMENTAL_PROVIDER, ...). */
  env?: Record<string, string>;
  /** Stream output to the terminal instead of capturing it (builds, cluster creation). */
  inherit?: boolean;
}

/** spawnSync's typing says string, but a stream passed through with `inherit` comes back null. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Result {
  if (!options.quiet) console.log(`cluster: $ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, KUBECONFIG: KUBECONFIG_PATH, ...options.env },
    stdio: options.inherit ? ['pipe', 'inherit', 'inherit'] : ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) {
    return {
      ok: false,
      status: null,
      stdout: '',
      stderr: `cannot run ${command}: ${result.error.message}`,
    };
  }
  return {
    ok: result.status === 0,
    status: result.status,
    // null, not a string, for streams passed through with `inherit`.
    stdout: text(result.stdout),
    stderr: text(result.stderr),
  };
}

/** Like run, but a non-zero exit is a ClusterError naming the command and its last error line. */
export function must(command: string, args: readonly string[], options: RunOptions = {}): Result {
  const result = run(command, args, options);
  if (result.ok) return result;
  const lastLine = result.stderr.trim().split('\n').at(-1) ?? '';
  throw new ClusterError(
    `"${command} ${args.slice(0, 3).join(' ')}" failed (exit ${result.status ?? 'none'})${lastLine ? `: ${lastLine}` : ''}`,
  );
}
