// The local registry the nodes pull hello-api from, as kind's "Local Registry" guide sets it up
// (kind.sigs.k8s.io/docs/user/local-registry/, kubernetes-sigs/kind
// site/static/examples/kind-with-registry.sh): a registry container published on 127.0.0.1, joined
// to the kind network, and a containerd hosts.toml on every node that sends localhost:<port> to
// it. Unlike `kind load`, which breaks under Docker's containerd image store (kind issue #3795)
// and keeps no registry digest, a push gives the image a digest the kubelet resolves, so the
// cluster runs the image by digest exactly as the pipeline does.
import { engineCall, type ContainerEngine } from '../container/engine.js';
import { pollUntil } from '../lib/poll.js';
import { must, run } from './exec.js';
import {
  CLUSTER_NAME,
  KIND_NETWORK,
  REGISTRY_CONTAINER,
  REGISTRY_CONTAINER_PORT,
  hostsToml,
  hostsTomlDir,
} from './layout.js';
import { REGISTRY_IMAGE } from './pins.js';

/** Starts the registry container unless it runs already; restarts it when it was stopped. */
export function ensureRegistry(engine: ContainerEngine, port: number): void {
  const state = run(
    engine.path,
    engineCall(engine, ['inspect', '--format', '{{.State.Running}}', REGISTRY_CONTAINER]),
    { quiet: true },
  );
  if (state.ok && state.stdout.trim() === 'true') {
    console.log(`cluster: registry ${REGISTRY_CONTAINER} is running`);
    return;
  }
  if (state.ok) {
    must(engine.path, engineCall(engine, ['start', REGISTRY_CONTAINER]));
    return;
  }
  must(
    engine.path,
    engineCall(engine, [
      'run',
      '--detach',
      '--restart=always',
      '--name',
      REGISTRY_CONTAINER,
      '--publish',
      `127.0.0.1:${port}:${REGISTRY_CONTAINER_PORT}`,
      REGISTRY_IMAGE,
    ]),
  );
}

export function networkExists(engine: ContainerEngine): boolean {
  return run(engine.path, engineCall(engine, ['network', 'inspect', KIND_NETWORK]), { quiet: true })
    .ok;
}

/** Joins the registry to the kind network, so nodes reach it as REGISTRY_CONTAINER:5000. */
export function connectRegistry(engine: ContainerEngine): void {
  const networks = run(
    engine.path,
    engineCall(engine, [
      'inspect',
      '--format',
      '{{json .NetworkSettings.Networks}}',
      REGISTRY_CONTAINER,
    ]),
    { quiet: true },
  );
  const attached = networks.ok
    ? Object.keys((JSON.parse(networks.stdout || '{}') as Record<string, unknown> | null) ?? {})
    : [];
  if (attached.includes(KIND_NETWORK)) return;
  must(engine.path, engineCall(engine, ['network', 'connect', KIND_NETWORK, REGISTRY_CONTAINER]));
}

/** Writes the hosts.toml on every node where it is missing or different. */
export function configureNodes(
  kind: string,
  kindEnv: Record<string, string>,
  engine: ContainerEngine,
  port: number,
): void {
  const nodes = must(kind, ['get', 'nodes', '--name', CLUSTER_NAME], { env: kindEnv, quiet: true })
    .stdout.split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const dir = hostsTomlDir(port);
  const wanted = hostsToml();
  for (const node of nodes) {
    const current = run(
      engine.path,
      engineCall(engine, ['exec', node, 'cat', `${dir}/hosts.toml`]),
      {
        quiet: true,
      },
    );
    if (current.ok && current.stdout === wanted) continue;
    must(
      engine.path,
      engineCall(engine, [
        'exec',
        '-i',
        node,
        'sh',
        '-c',
        `mkdir -p '${dir}' && cat > '${dir}/hosts.toml'`,
      ]),
      { input: wanted },
    );
  }
}

/** Polls the registry's API root until it answers (it takes a moment after a start). */
export async function waitForRegistry(port: number, deadlineMs = 30_000): Promise<void> {
  const url = `http://127.0.0.1:${port}/v2/`;
  let last = '';
  const answers = async (): Promise<boolean> => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      last = `status ${response.status}`;
      return response.ok;
    } catch (error) {
      last = (error as Error).message;
      return false;
    }
  };
  await pollUntil(`registry at ${url}`, answers, { timeoutMs: deadlineMs, intervalMs: 500 }).catch(
    (error: unknown) => {
      throw new Error(
        `registry did not answer ${url} within ${deadlineMs / 1000} s (last: ${last})`,
        {
          cause: error,
        },
      );
    },
  );
}

/** Every manifest type a push may store; without them the registry could answer another form. */
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * The digest the registry serves for repository:tag, from its Docker-Content-Digest header
 * (distribution's HTTP API V2, "Existing Manifests"): what the nodes will pull. Undefined when
 * the tag is not there.
 */
export async function registryDigest(
  port: number,
  repository: string,
  tag: string,
): Promise<string | undefined> {
  const url = `http://127.0.0.1:${port}/v2/${repository}/manifests/${tag}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'HEAD',
      headers: { Accept: MANIFEST_TYPES },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new Error(
      `registry at 127.0.0.1:${port} does not answer ${url}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (response.status === 404) return undefined;
  const digest = response.headers.get('docker-content-digest') ?? '';
  if (!response.ok || !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new Error(`registry answered ${url} with ${response.status} and digest "${digest}"`);
  return digest;
}
