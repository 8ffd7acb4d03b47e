// What the deploy does to the cluster, one kubectl conversation per function, each taking the
// kubectl runner so tests can hand in a fake.
import { imageName } from './image-ref.js';
import type { Kubectl } from './kubectl.js';
import type { Options } from './options.js';
import { APP, findApp, writeWrapper } from './render.js';

/** A failure before the cluster was changed. */
export class DeployError extends Error {}

/** Renders the overlay pinned to the digest and proves the render targets the right place. */
export function prepare(kubectl: Kubectl, options: Options, workDir: string): void {
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
}

/** The image running now, undefined on a first deploy; throws when the cluster cannot be read. */
export function currentImage(kubectl: Kubectl, env: string): string | undefined {
  const jsonpath = `jsonpath={.spec.template.spec.containers[?(@.name=="${APP}")].image}`;
  const result = kubectl(['-n', env, 'get', 'deployment', APP, '-o', jsonpath]);
  if (result.ok) return result.stdout.trim() === '' ? undefined : result.stdout.trim();
  if (/NotFound|not found/.test(result.stderr)) return undefined;
  throw new DeployError(`cannot read deployment/${APP} in namespace ${env}; nothing was changed`);
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

export function rollback(kubectl: Kubectl, options: Options, previous: string): boolean {
  console.log(`deploy: rolling back ${options.env} to ${previous}`);
  const set = kubectl([
    '-n',
    options.env,
    'set',
    'image',
    `deployment/${APP}`,
    `${APP}=${previous}`,
  ]);
  return set.ok && rolloutOk(kubectl, options);
}
