// The engine command lines that build and run the image, shared by `make image`/`make image-run`
// and the container test so both build and run exactly the same way.
import type { BuildFacts } from './build-facts.js';
import { buildArgFlags } from './build-facts.js';
import { HARDENING_ARGS, engineArgs, type ContainerEngine } from './engine.js';

interface BuildOptions {
  readonly root: string;
  readonly tag: string;
  readonly facts: BuildFacts;
  /** Base of every stage; undefined keeps the Dockerfile's pinned official images. */
  readonly baseImage?: string | undefined;
  /** Base of the runtime stage only, over baseImage. */
  readonly runtimeBaseImage?: string | undefined;
}

export function buildCommand(engine: ContainerEngine, options: BuildOptions): string[] {
  const runtimeBase = options.runtimeBaseImage ?? options.baseImage;
  const bases = [
    ...(options.baseImage === undefined
      ? []
      : ['--build-arg', `BUILD_BASE_IMAGE=${options.baseImage}`]),
    ...(runtimeBase === undefined ? [] : ['--build-arg', `BASE_IMAGE=${runtimeBase}`]),
  ];
  // Podman writes OCI images by default, and the OCI format has no HEALTHCHECK: ask for docker's.
  // Its default network is refused on these machines; the build only needs the registry anyway.
  const podmanOnly = engine.name === 'podman' ? ['--format', 'docker', '--network', 'host'] : [];
  return engineArgs(engine, 'build', [
    ...podmanOnly,
    ...bases,
    ...buildArgFlags(options.facts),
    '--file',
    `${options.root}/Dockerfile`,
    '--tag',
    options.tag,
    options.root,
  ]);
}

/**
 * Seconds the engine waits after SIGTERM before SIGKILL: the service's default drain delay (5 s)
 * plus its shutdown timeout (10 s) plus a margin. The engines' own default (10 s) is shorter and
 * would cut a graceful shutdown short; Kubernetes' terminationGracePeriodSeconds plays this role.
 */
const STOP_TIMEOUT_SECONDS = 20;

interface RunOptions {
  readonly image: string;
  readonly name: string;
  /** Host port published to the container's 8000, bound to `hostAddress`. */
  readonly hostPort: number;
  readonly hostAddress?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly detach?: boolean;
}

export function runCommand(engine: ContainerEngine, options: RunOptions): string[] {
  const env = Object.entries(options.env ?? {}).flatMap(([key, value]) => [
    '--env',
    `${key}=${value}`,
  ]);
  const address = options.hostAddress ?? '127.0.0.1';
  return engineArgs(engine, 'run', [
    ...(options.detach ? ['--detach'] : ['--rm']),
    '--name',
    options.name,
    ...HARDENING_ARGS,
    '--stop-timeout',
    String(STOP_TIMEOUT_SECONDS),
    '--publish',
    `${address}:${options.hostPort}:8000`,
    ...env,
    options.image,
  ]);
}
