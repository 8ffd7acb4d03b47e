// What the deploy does to the cluster (and asks of origin), one conversation per function, each
// taking the kubectl (or git) runner so tests can hand in a fake.
import { imageName } from './image-ref.js';
import type { Git, Kubectl } from './kubectl.js';
import type { Options } from './options.js';
import { APP, findApp, INITIAL_REPLICAS_ANNOTATION, writeWrapper } from './render.js';

/** A failure before the cluster was changed. */
class DeployError extends Error {}

/** What the render says the deploy must do beyond the apply. */
export interface Prepared {
  /**
   * The size a fresh environment starts at (INITIAL_REPLICAS_ANNOTATION), for an overlay that
   * leaves spec.replicas to an HPA; undefined when the overlay sets spec.replicas itself.
   */
  initialReplicas: number | undefined;
}

/**
 * Renders the overlay pinned to the digest, proves the render targets the right place, and
 * reads the initial size it declares.
 */
export function prepare(kubectl: Kubectl, options: Options, workDir: string): Prepared {
  const overlay = kubectl(['kustomize', options.overlayDir], { quiet: true });
  const app = overlay.ok ? findApp(overlay.stdout) : undefined;
  if (!app?.image)
    throw new DeployError(`${options.overlayDir} does not render a ${APP} Deployment/container`);
  writeWrapper(workDir, options.overlayDir, imageName(app.image), options.ref);
  const pinned = kubectl(['kustomize', workDir], { quiet: true });
  const result = pinned.ok ? findApp(pinned.stdout) : undefined;
  if (result?.namespace !== options.env)
    throw new DeployError(
      `overlay ${options.overlayDir} renders namespace "${result?.namespace ?? 'none'}", expected "${options.env}"`,
    );
  if (result.image !== options.image)
    throw new DeployError(
      `pinned render has image "${result.image ?? 'none'}", expected "${options.image}"`,
    );
  const initial = result.initialReplicas;
  if (initial === undefined) return { initialReplicas: undefined };
  const where = `overlay ${options.overlayDir}: deployment/${APP} annotation ${INITIAL_REPLICAS_ANNOTATION}`;
  if (result.replicas !== undefined)
    throw new DeployError(
      `${where} is only for a Deployment without spec.replicas (an HPA owns its count), but it sets replicas ${JSON.stringify(result.replicas)}`,
    );
  if (!/^[1-9][0-9]*$/.test(initial))
    throw new DeployError(`${where} must be a whole number of pods of 1 or more, got "${initial}"`);
  return { initialReplicas: Number(initial) };
}

/** The running Deployment's rollout revision and image: what a failed deploy goes back to. */
export interface Running {
  /** deployment.kubernetes.io/revision, the number `kubectl rollout undo --to-revision` takes. */
  revision: number;
  image: string | undefined;
}

interface DeploymentJson {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  status?: { observedGeneration?: number };
  spec?: { template?: { spec?: { containers?: { name?: string; image?: string }[] } } };
}

/**
 * What runs now, undefined on a first deploy; throws (nothing changed yet) when the cluster
 * cannot be read or a rollout is still in progress, as then the revision is not settled.
 */
export function running(kubectl: Kubectl, env: string): Running | undefined {
  const result = kubectl(['-n', env, 'get', 'deployment', APP, '-o', 'json'], { quiet: true });
  if (!result.ok) {
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new DeployError(`cannot read deployment/${APP} in namespace ${env}; nothing was changed`);
  }
  const deployment = JSON.parse(result.stdout) as DeploymentJson;
  const revision = Number(deployment.metadata?.annotations?.['deployment.kubernetes.io/revision']);
  if (!Number.isInteger(revision) || revision < 1)
    throw new DeployError(
      `deployment/${APP} in ${env} has no rollout revision; nothing was changed`,
    );
  const generation = deployment.metadata?.generation;
  if (generation !== undefined && deployment.status?.observedGeneration !== generation)
    throw new DeployError(
      `deployment/${APP} in ${env} is still being rolled out (generation ${generation} not yet observed); nothing was changed`,
    );
  const container = deployment.spec?.template?.spec?.containers?.find((c) => c.name === APP);
  return { revision, image: container?.image };
}

/** The commit origin's branch points at now, or throws when origin cannot be asked. */
export function branchHead(git: Git, branch: string): string {
  const result = git(['ls-remote', '--exit-code', 'origin', `refs/heads/${branch}`], {
    quiet: true,
  });
  const head = /^([0-9a-f]{40})\trefs\/heads\//.exec(result.stdout)?.[1];
  if (!result.ok || head === undefined)
    throw new DeployError(
      `cannot read the head of branch ${branch} from origin; nothing was changed`,
    );
  return head;
}

/**
 * Sets a freshly created Deployment to its initial size. `kubectl scale` (without
 * --current-replicas) sends a merge patch to the scale subresource (kubectl's pkg/scale/scale.go)
 * and leaves the last-applied configuration alone, so later applies of a manifest without
 * spec.replicas keep the count and the HPA owns it from here (Kubernetes docs, "Declarative
 * Management of Kubernetes Objects Using Configuration Files": a field absent from the manifest and
 * from last-applied keeps its live value).
 */
export function scaleToInitial(kubectl: Kubectl, env: string, replicas: number): boolean {
  console.log(
    `deploy: first deploy to ${env}: starting with ${replicas} pods (${INITIAL_REPLICAS_ANNOTATION}); the HPA owns the count from here`,
  );
  return kubectl(['-n', env, 'scale', `deployment/${APP}`, `--replicas=${replicas}`]).ok;
}

export function rolloutOk(kubectl: Kubectl, options: Options): boolean {
  return kubectl([
    '-n',
    options.env,
    'rollout',
    'status',
    `deployment/${APP}`,
    `--timeout=${options.timeoutSeconds}s`,
  ]).ok;
}

/**
 * Puts the whole pod template of `revision` back (image, ConfigMap reference, everything) and
 * waits for it. `kubectl apply` never prunes, so the ConfigMap that revision names still exists.
 */
export function rollback(kubectl: Kubectl, options: Options, previous: Running): boolean {
  console.log(`deploy: rolling back ${options.env} to revision ${previous.revision}`);
  const undo = kubectl([
    '-n',
    options.env,
    'rollout',
    'undo',
    `deployment/${APP}`,
    `--to-revision=${previous.revision}`,
  ]);
  return undo.ok && rolloutOk(kubectl, options);
}
