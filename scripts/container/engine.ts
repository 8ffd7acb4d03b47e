// Which container engine builds and runs the image, and the flags every call needs. One place for
// both `make image`/`make image-run` and the container test, so they build and run the same way.
import { findExecutable } from '../lib/find-executable.js';
import { runCommand } from '../lib/run-command.js';

type EngineName = 'podman' | 'docker';

export interface ContainerEngine {
  readonly name: EngineName;
  readonly path: string;
  /** Global flags placed before the subcommand (podman's storage driver and OCI runtime). */
  readonly globalArgs: readonly string[];
  /** Flags for `build` and `run`. */
  readonly limitArgs: readonly string[];
}

/**
 * Podman as root on this project's machines (and its CI) fails with two of its defaults: crun
 * (cgroups hybrid mode) and the inherited ulimits. runc and explicit ulimits work. Its default
 * overlay storage works and is many times faster than vfs (vfs copies the whole tree for every
 * layer); vfs is the fallback where overlay cannot start. CONTAINER_ENGINE_FLAGS replaces the
 * global flags, e.g. "--storage-driver vfs --runtime runc".
 */
const PODMAN_GLOBAL_ARGS = ['--runtime', 'runc'];
const PODMAN_VFS_ARGS = ['--storage-driver', 'vfs', '--runtime', 'runc'];
const PODMAN_LIMIT_ARGS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

/**
 * The same hardening Kubernetes applies (k8s securityContext): read-only root filesystem with
 * only /tmp writable, every capability dropped, no privilege escalation. The image's own
 * numeric USER is used on purpose: no --user here, so a wrong USER would show.
 */
export const HARDENING_ARGS: readonly string[] = [
  '--read-only',
  '--tmpfs',
  '/tmp:rw,noexec,nosuid,nodev,size=64m',
  '--cap-drop=ALL',
  '--security-opt',
  'no-new-privileges',
];

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return findExecutable(name, env.PATH ?? '');
}

/** Exit code of a command, output discarded; used to ask whether a docker daemon answers. */
async function exitCode(command: string, args: readonly string[]): Promise<number | null> {
  try {
    return (await runCommand(command, args, { timeoutMs: 15_000 })).code;
  } catch {
    return null;
  }
}

async function podman(path: string, env: NodeJS.ProcessEnv): Promise<ContainerEngine> {
  const custom = env.CONTAINER_ENGINE_FLAGS;
  let globalArgs: readonly string[] = custom?.split(/\s+/).filter(Boolean) ?? PODMAN_GLOBAL_ARGS;
  // `podman info` opens the store: if its default driver cannot start here, use vfs.
  if (custom === undefined && (await exitCode(path, [...globalArgs, 'info'])) !== 0) {
    globalArgs = PODMAN_VFS_ARGS;
  }
  return { name: 'podman', path, globalArgs, limitArgs: PODMAN_LIMIT_ARGS };
}

function docker(path: string, env: NodeJS.ProcessEnv): ContainerEngine {
  const custom = env.CONTAINER_ENGINE_FLAGS ?? '';
  return { name: 'docker', path, globalArgs: custom.split(/\s+/).filter(Boolean), limitArgs: [] };
}

type EngineLookup =
  | { readonly engine: ContainerEngine; readonly reason?: undefined }
  | { readonly engine?: undefined; readonly reason: string };

/**
 * Finds a working engine: CONTAINER_ENGINE (podman or docker) if set, else podman, else docker
 * when its daemon answers (a docker client without an engine is common and useless here).
 */
export async function findEngine(env: NodeJS.ProcessEnv = process.env): Promise<EngineLookup> {
  const wanted = env.CONTAINER_ENGINE;
  if (wanted !== undefined && wanted !== '' && wanted !== 'podman' && wanted !== 'docker') {
    return { reason: `CONTAINER_ENGINE=${wanted} is invalid: expected podman or docker` };
  }
  if (wanted !== 'docker') {
    const path = onPath('podman', env);
    if (path) return { engine: await podman(path, env) };
    if (wanted === 'podman') return { reason: 'CONTAINER_ENGINE=podman but podman is not on PATH' };
  }
  const path = onPath('docker', env);
  if (!path) return { reason: 'no container engine: neither podman nor docker is on PATH' };
  if ((await exitCode(path, ['info'])) !== 0) {
    return { reason: `no container engine: ${path} is only a client, "docker info" fails` };
  }
  return { engine: docker(path, env) };
}

/** Full argument list for one engine call: global flags, subcommand, then its arguments. */
export function engineArgs(
  engine: ContainerEngine,
  subcommand: 'build' | 'run',
  args: readonly string[],
): string[] {
  return [...engine.globalArgs, subcommand, ...engine.limitArgs, ...args];
}

/** Argument list for any other subcommand (inspect, logs, stop, rm, image ...). */
export function engineCall(engine: ContainerEngine, args: readonly string[]): string[] {
  return [...engine.globalArgs, ...args];
}
