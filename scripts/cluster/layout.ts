// Names and paths of what `make cluster-up` creates, so cluster-up, cluster-down, the e2e suite
// and the tests agree on them. Everything made carries the name "hello-api" so nothing of the
// user's own (another kind cluster, another registry) is ever touched.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integerFlag } from '../lib/integer-flag.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

export const CLUSTER_NAME = 'hello-api';
/** kind names the node containers <cluster>-control-plane, <cluster>-worker, <cluster>-worker2. */
export const KIND_CONFIG = join(ROOT, 'scripts', 'cluster', 'kind-config.yaml');
/** The Docker/Podman network kind creates and attaches its nodes to (kind's own default name). */
export const KIND_NETWORK = 'kind';

export const REGISTRY_CONTAINER = 'hello-api-registry';
/** The registry's port inside its container (the registry image's default). */
export const REGISTRY_CONTAINER_PORT = 5000;
/** Host port on 127.0.0.1; CLUSTER_REGISTRY_PORT overrides it where 5001 is taken. */
const DEFAULT_REGISTRY_PORT = 5001;
export const IMAGE_REPOSITORY = 'hello-api';

/**
 * State of one cluster-up: its own kubeconfig and what it made, under the git-ignored .tmp/
 * (CLUSTER_STATE_DIR moves it; test/cluster gives each run its own).
 */
export const STATE_DIR = process.env.CLUSTER_STATE_DIR ?? join(ROOT, '.tmp', 'cluster');
/** kind writes the cluster's credentials here only, never into ~/.kube/config. */
export const KUBECONFIG_PATH = join(STATE_DIR, 'kubeconfig');
export const STATE_FILE = join(STATE_DIR, 'state.json');

/** CLUSTER_REGISTRY_PORT, an unprivileged port; an error names what is allowed. */
export function registryPort(env: NodeJS.ProcessEnv = process.env): number {
  return integerFlag('CLUSTER_REGISTRY_PORT', env.CLUSTER_REGISTRY_PORT, {
    min: 1024,
    max: 65535,
    fallback: DEFAULT_REGISTRY_PORT,
  });
}

/**
 * The name pods use for the registry: localhost:<port> works from the host (published port) and,
 * through containerd's hosts.toml on every node, inside the cluster (kind's Local Registry guide).
 */
export function registryHost(port: number): string {
  return `localhost:${port}`;
}

/** Directory of containerd's per-registry configuration inside a node (config_path). */
export function hostsTomlDir(port: number): string {
  return `/etc/containerd/certs.d/${registryHost(port)}`;
}

/** hosts.toml that sends pulls of localhost:<port> to the registry container on the kind network. */
export function hostsToml(): string {
  return `[host."http://${REGISTRY_CONTAINER}:${REGISTRY_CONTAINER_PORT}"]\n`;
}
