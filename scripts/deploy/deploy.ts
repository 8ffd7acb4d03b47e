// Deploys one image digest to one environment and undoes it when it does not work:
//   render the overlay with the image pinned -> check the render -> remember the running image
//   -> kubectl apply -k -> kubectl rollout status -> smoke test
//   on any failure after the cluster was touched: set the previous image back, wait for it, fail.
// Exit codes: 0 deployed and verified; 1 failed, previous image restored (or nothing changed);
// 2 bad arguments; 3 failed and the previous image could NOT be restored (or there was none).
//
// Usage: tsx scripts/deploy/deploy.ts --env dev --image docker.io/acme/hello-api@sha256:<64 hex>
//          --commit <git sha> [--url http://node:30080] [--timeout 300] [--smoke-deadline 60]
//          [--overlays k8s/overlays]
// CI and `make deploy-dev|deploy-stage|deploy-prod` both run exactly this.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { imageName, parseDigestRef, type DigestRef } from './image-ref.js';
import { kubectlRunner, type Kubectl } from './kubectl.js';
import { APP, findApp, writeWrapper } from './render.js';
import { writeSummary, type DeployReport } from './summary.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SMOKE_TEST = join(ROOT, 'scripts', 'smoke-test.ts');

/** Namespace per environment is the environment's name; each has its own NodePort. */
const NODE_PORTS: Record<string, number> = { dev: 30080, stage: 30081, prod: 30082 };

interface Options {
  env: string;
  ref: DigestRef;
  image: string;
  commit: string;
  url: string;
  timeoutSeconds: number;
  smokeDeadlineSeconds: number;
  overlayDir: string;
}

function usage(message: string): never {
  console.error(`deploy: ${message}`);
  process.exit(2);
}

function positiveInt(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0 || value > 3600)
    usage(`${flag} must be a whole number of seconds 1..3600, got "${text}"`);
  return value;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      env: { type: 'string' },
      image: { type: 'string' },
      commit: { type: 'string' },
      url: { type: 'string' },
      timeout: { type: 'string', default: '300' },
      'smoke-deadline': { type: 'string', default: '60' },
      overlays: { type: 'string', default: join(ROOT, 'k8s', 'overlays') },
    },
  });
  const env = values.env ?? '';
  const nodePort = NODE_PORTS[env];
  if (nodePort === undefined) usage(`--env must be one of dev, stage, prod, got "${env}"`);
  const image = values.image ?? '';
  const ref = parseDigestRef(image);
  if (!ref) usage(`--image must be <repository>@sha256:<64 hex> (no tag), got "${image}"`);
  const commit = values.commit ?? '';
  if (!/^[0-9a-zA-Z._-]{1,64}$/.test(commit))
    usage(`--commit must be the git commit the image was built from, got "${commit}"`);
  const url = values.url ?? process.env.DEPLOY_URL ?? `http://127.0.0.1:${nodePort}`;
  if (!/^https?:\/\/[^/\s]+/.test(url)) usage(`--url/DEPLOY_URL must be an http(s) URL: "${url}"`);
  const overlayDir = resolve(values.overlays, env);
  if (!existsSync(join(overlayDir, 'kustomization.yaml')))
    usage(`${join(overlayDir, 'kustomization.yaml')} does not exist`);
  return {
    env,
    ref,
    image,
    commit,
    url,
    timeoutSeconds: positiveInt('--timeout', values.timeout),
    smokeDeadlineSeconds: positiveInt('--smoke-deadline', values['smoke-deadline']),
    overlayDir,
  };
}

class DeployError extends Error {}

/** Renders the overlay pinned to the digest and proves the render targets the right place. */
function prepare(kubectl: Kubectl, options: Options, workDir: string): void {
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
function currentImage(kubectl: Kubectl, env: string): string | undefined {
  const jsonpath = `jsonpath={.spec.template.spec.containers[?(@.name=="${APP}")].image}`;
  const result = kubectl(['-n', env, 'get', 'deployment', APP, '-o', jsonpath]);
  if (result.ok) return result.stdout.trim() === '' ? undefined : result.stdout.trim();
  if (/NotFound|not found/.test(result.stderr)) return undefined;
  throw new DeployError(`cannot read deployment/${APP} in namespace ${env}; nothing was changed`);
}

function rolloutOk(kubectl: Kubectl, options: Options): boolean {
  return kubectl([
    '-n',
    options.env,
    'rollout',
    'status',
    `deployment/${APP}`,
    `--timeout=${options.timeoutSeconds}s`,
  ]).ok;
}

function smokeTest(options: Options): { ok: boolean; verdict: string } {
  const args = ['--import', 'tsx', SMOKE_TEST, '--url', options.url, '--commit', options.commit];
  args.push('--deadline', String(options.smokeDeadlineSeconds));
  console.log(`deploy: smoke test ${options.url} expecting commit ${options.commit}`);
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const verdict = `${result.stdout}${result.stderr}`.trim().split('\n').at(-1) ?? '';
  console.log(verdict);
  return { ok: result.status === 0, verdict: verdict === '' ? 'did not run' : verdict };
}

function rollback(kubectl: Kubectl, options: Options, previous: string): boolean {
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

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const kubectl = kubectlRunner();
  const workDir = mkdtempSync(join(tmpdir(), 'hello-api-deploy-'));
  const report: DeployReport = {
    environment: options.env,
    image: options.image,
    commit: options.commit,
    url: options.url,
    smoke: 'not run',
    outcome: '',
    previous: undefined,
  };
  const finish: (code: number, outcome: string) => never = (code, outcome) => {
    report.outcome = outcome;
    writeSummary(report);
    rmSync(workDir, { recursive: true, force: true });
    console.log(`deploy ${code === 0 ? 'SUCCEEDED' : 'FAILED'}: ${options.env}: ${outcome}`);
    process.exit(code);
  };

  // Nothing in the cluster changes before this block has passed.
  let previous: string | undefined;
  try {
    prepare(kubectl, options, workDir);
    previous = currentImage(kubectl, options.env);
    report.previous = previous;
  } catch (error) {
    finish(1, error instanceof Error ? error.message : String(error));
  }

  let failure = '';
  if (!kubectl(['apply', '-k', workDir]).ok) failure = 'kubectl apply failed';
  else if (!rolloutOk(kubectl, options))
    failure = `rollout did not complete within ${options.timeoutSeconds} s`;
  else {
    const smoke = smokeTest(options);
    report.smoke = smoke.verdict;
    if (!smoke.ok) failure = 'smoke test failed';
  }
  if (failure === '') finish(0, `${options.image} is live and verified`);
  if (previous === undefined)
    finish(3, `${failure}; first deploy, no previous image to roll back to`);
  if (rollback(kubectl, options, previous)) finish(1, `${failure}; rolled back to ${previous}`);
  finish(3, `${failure}; ROLLBACK TO ${previous} FAILED, the environment needs a human`);
}

main();
