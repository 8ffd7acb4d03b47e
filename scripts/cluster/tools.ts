// The start-up check of `make cluster-up`: kind, kubectl and a container engine are there and at
// the pinned versions, or one line says what is missing and how to install it.
import { findExecutable } from '../lib/find-executable.js';
import { findEngine, type ContainerEngine } from '../container/engine.js';
import { ClusterError, run } from './exec.js';
import { DOWNLOADS, KIND_VERSION, KUBECTL_SKEW_MINORS, KUBECTL_VERSION } from './pins.js';

export interface Tools {
  kind: string;
  kubectl: string;
  engine: ContainerEngine;
  /** For every kind call: kind drives the same engine that built the image and runs the registry. */
  kindEnv: Record<string, string>;
}

const INSTALL_HINT = 'see docs/local-cluster.md "Prerequisites"';

function minorOf(version: string): number | undefined {
  const match = /^v?1\.(\d+)\./.exec(version);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** "kind v0.29.0 go1.24.2 linux/amd64" -> "v0.29.0" (kind's DisplayVersion format). */
function parseKindVersion(output: string): string | undefined {
  return /\bkind (v\d+\.\d+\.\d+\S*)/.exec(output)?.[1];
}

/** `kubectl version --client -o json` -> clientVersion.gitVersion. */
function parseKubectlVersion(output: string): string | undefined {
  try {
    const parsed = JSON.parse(output) as { clientVersion?: { gitVersion?: unknown } };
    const version = parsed.clientVersion?.gitVersion;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a kubectl version may talk to the cluster: within the supported skew of its minor. */
function kubectlVersionOk(version: string): boolean {
  const wanted = minorOf(KUBECTL_VERSION);
  const found = minorOf(version);
  return (
    wanted !== undefined && found !== undefined && Math.abs(found - wanted) <= KUBECTL_SKEW_MINORS
  );
}

function checkKind(env: NodeJS.ProcessEnv): string {
  const kind = findExecutable('kind', env.PATH ?? '');
  if (!kind)
    throw new ClusterError(
      `kind is not on PATH: install kind ${KIND_VERSION} (${DOWNLOADS.kind.url}; ${INSTALL_HINT})`,
    );
  const version = parseKindVersion(run(kind, ['version'], { quiet: true }).stdout);
  if (version !== KIND_VERSION)
    throw new ClusterError(
      `${kind} is kind ${version ?? '(unknown version)'}, the cluster needs kind ${KIND_VERSION} (its node image is built for that release): install it from ${DOWNLOADS.kind.url}`,
    );
  return kind;
}

function checkKubectl(env: NodeJS.ProcessEnv): string {
  const kubectl = findExecutable('kubectl', env.PATH ?? '');
  if (!kubectl)
    throw new ClusterError(
      `kubectl is not on PATH: install kubectl ${KUBECTL_VERSION} (${DOWNLOADS.kubectl.url}; ${INSTALL_HINT})`,
    );
  const version = parseKubectlVersion(
    run(kubectl, ['version', '--client', '-o', 'json'], { quiet: true }).stdout,
  );
  if (version === undefined || !kubectlVersionOk(version))
    throw new ClusterError(
      `${kubectl} is kubectl ${version ?? '(unknown version)'}, the cluster runs Kubernetes ${KUBECTL_VERSION.replace(/\.\d+$/, '')} and kubectl must be within ${KUBECTL_SKEW_MINORS} minor version of it: install kubectl ${KUBECTL_VERSION} from ${DOWNLOADS.kubectl.url}`,
    );
  return kubectl;
}

/**
 * Docker first (kind's own default provider), Podman otherwise (kind's experimental provider,
 * selected with KIND_EXPERIMENTAL_PROVIDER=podman); CONTAINER_ENGINE=docker|podman forces one.
 */
async function checkEngine(env: NodeJS.ProcessEnv): Promise<ContainerEngine> {
  const forced = env.CONTAINER_ENGINE;
  const order = forced === 'docker' || forced === 'podman' ? [forced] : ['docker', 'podman'];
  if (forced !== undefined && forced !== '' && order.length === 2)
    throw new ClusterError(`CONTAINER_ENGINE=${forced} is invalid: expected docker or podman`);
  const reasons: string[] = [];
  for (const name of order) {
    const lookup = await findEngine({ ...env, CONTAINER_ENGINE: name });
    if (lookup.engine) return lookup.engine;
    reasons.push(lookup.reason);
  }
  throw new ClusterError(
    `no container engine for kind (${reasons.join('; ')}): install Docker (https://docs.docker.com/engine/install/) or Podman (https://podman.io/docs/installation) and check that "docker info" or "podman info" works`,
  );
}

export async function checkTools(env: NodeJS.ProcessEnv = process.env): Promise<Tools> {
  const kind = checkKind(env);
  const kubectl = checkKubectl(env);
  const engine = await checkEngine(env);
  console.log(
    `cluster: kind ${KIND_VERSION} at ${kind}, kubectl at ${kubectl}, ${engine.name} at ${engine.path}`,
  );
  return { kind, kubectl, engine, kindEnv: { KIND_EXPERIMENTAL_PROVIDER: engine.name } };
}

/**
 * What cluster-down needs: kind at any version (a cluster made by an older kind is still removed)
 * and the engine, each undefined when it is not there (nothing of it can then exist to remove).
 */
export async function removalTools(env: NodeJS.ProcessEnv = process.env): Promise<{
  kind: string | undefined;
  engine: ContainerEngine | undefined;
  kindEnv: Record<string, string>;
}> {
  const kind = findExecutable('kind', env.PATH ?? '');
  let engine: ContainerEngine | undefined;
  try {
    engine = await checkEngine(env);
  } catch {
    engine = undefined;
  }
  return { kind, engine, kindEnv: engine ? { KIND_EXPERIMENTAL_PROVIDER: engine.name } : {} };
}
