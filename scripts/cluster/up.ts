// `make cluster-up`: the whole system on a local kind cluster, converging on a re-run.
//   check tools -> registry container -> kind cluster (1 control plane, 2 workers) -> registry on
//   the kind network and in every node's containerd -> build, push, read the digest ->
//   k8s/cluster (without what kind provides itself) -> k8s/access (the deployers' Roles) ->
//   dev, stage, prod by digest through scripts/deploy/deploy.ts (as the pipeline), noting what a
//   first deploy left running -> the Secrets the monitoring stack needs -> k8s/monitoring ->
//   wait for every workload -> print the URLs.
// Every step looks before it acts, so a second run creates nothing new and deploys the same digest.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { APP } from '../deploy/render.js';
import { ENVIRONMENTS } from '../lib/environments.js';
import { ClusterError, must, run } from './exec.js';
import { buildAndPush } from './image.js';
import {
  CLUSTER_NAME,
  KIND_CONFIG,
  KUBECONFIG_PATH,
  ROOT,
  STATE_DIR,
  registryPort,
} from './layout.js';
import {
  ACCESS_DIR,
  MONITORING_DIR,
  kindClusterManifests,
  overlayDir,
  render,
  requiredSecrets,
  workloads,
  type Manifest,
} from './manifests.js';
import { KIND_NODE_IMAGE } from './pins.js';
import {
  configureNodes,
  connectRegistry,
  ensureRegistry,
  networkExists,
  waitForRegistry,
} from './registry.js';
import { readState, writeState, type FirstDeploy } from './state.js';
import { checkTools, type Tools } from './tools.js';
import { environmentUrl, printUrls } from './urls.js';

/** The pipeline's deploy; CLUSTER_DEPLOY_SCRIPT replaces it only in test/cluster (no cluster there). */
const DEPLOY_SCRIPT =
  process.env.CLUSTER_DEPLOY_SCRIPT ?? join(ROOT, 'scripts', 'deploy', 'deploy.ts');
const ROLLOUT_TIMEOUT = '300s';

function ensureCluster(tools: Tools): void {
  const clusters = must(tools.kind, ['get', 'clusters'], { env: tools.kindEnv, quiet: true })
    .stdout.split('\n')
    .map((line) => line.trim());
  if (!clusters.includes(CLUSTER_NAME)) {
    must(
      tools.kind,
      [
        'create',
        'cluster',
        '--name',
        CLUSTER_NAME,
        '--image',
        KIND_NODE_IMAGE,
        '--config',
        KIND_CONFIG,
        '--kubeconfig',
        KUBECONFIG_PATH,
        '--wait',
        '180s',
      ],
      { env: tools.kindEnv, inherit: true },
    );
  } else if (!existsSync(KUBECONFIG_PATH)) {
    must(
      tools.kind,
      ['export', 'kubeconfig', '--name', CLUSTER_NAME, '--kubeconfig', KUBECONFIG_PATH],
      {
        env: tools.kindEnv,
      },
    );
  } else {
    console.log(`cluster: kind cluster ${CLUSTER_NAME} exists`);
  }
}

/** A value for a Secret key nobody supplied: "admin" for a user name, else 24 random bytes. */
function generatedValue(key: string): string {
  return /user/i.test(key) ? 'admin' : randomBytes(24).toString('base64url');
}

/** Creates each required Secret that is missing; an existing one is kept (never rotated). */
function ensureSecrets(kubectl: string, manifests: Manifest[]): void {
  for (const secret of requiredSecrets(manifests).values()) {
    const exists = run(kubectl, ['-n', secret.namespace, 'get', 'secret', secret.name], {
      quiet: true,
    });
    if (exists.ok) continue;
    const stringData = Object.fromEntries(
      [...secret.keys].map((key) => [key, generatedValue(key)]),
    );
    const manifest = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret.name, namespace: secret.namespace },
      type: 'Opaque',
      stringData,
    };
    // On standard input, so the values never appear in a process list or in this log.
    must(kubectl, ['create', '-f', '-'], { input: JSON.stringify(manifest) });
    console.log(
      `cluster: created Secret ${secret.namespace}/${secret.name} (keys ${[...secret.keys].join(', ')}) with generated values`,
    );
  }
}

/** Applies rendered objects as one List on standard input. */
function applyManifests(kubectl: string, manifests: Manifest[]): void {
  must(kubectl, ['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }),
  });
}

function deploymentExists(kubectl: string, env: string): boolean {
  return run(kubectl, ['-n', env, 'get', 'deployment', APP], { quiet: true }).ok;
}

/**
 * The Deployment as the API has it right after the deploy that created it: the count a fresh
 * environment starts with (prod's HPA may lower it minutes later, so the e2e reads it here).
 */
function readFirstDeploy(kubectl: string, env: string): FirstDeploy {
  const deployment = JSON.parse(
    must(kubectl, ['-n', env, 'get', 'deployment', APP, '-o', 'json'], { quiet: true }).stdout,
  ) as {
    metadata: { uid: string };
    spec: { replicas?: number };
    status: { readyReplicas?: number };
  };
  const seen = {
    uid: deployment.metadata.uid,
    replicas: deployment.spec.replicas ?? 0,
    readyReplicas: deployment.status.readyReplicas ?? 0,
    at: new Date().toISOString(),
  };
  console.log(
    `cluster: ${env} right after its first deploy: ${seen.readyReplicas} of ${seen.replicas} pods ready`,
  );
  return seen;
}

function waitForWorkloads(kubectl: string, manifests: Manifest[]): void {
  for (const workload of workloads(manifests)) {
    must(kubectl, [
      '-n',
      workload.namespace,
      'rollout',
      'status',
      workload.name,
      `--timeout=${ROLLOUT_TIMEOUT}`,
    ]);
  }
}

async function main(): Promise<void> {
  const tools = await checkTools();
  const port = registryPort();
  mkdirSync(STATE_DIR, { recursive: true });
  const state = readState();

  ensureRegistry(tools.engine, port);
  state.networkCreated ||= !networkExists(tools.engine);
  writeState(state);
  ensureCluster(tools);
  connectRegistry(tools.engine);
  configureNodes(tools.kind, tools.kindEnv, tools.engine, port);
  await waitForRegistry(port);

  const image = await buildAndPush(tools.engine, port);
  if (image.tagged !== undefined && !state.images.includes(image.tagged))
    state.images.push(image.tagged);
  writeState(state);

  const cluster = kindClusterManifests(tools.kubectl);
  applyManifests(tools.kubectl, cluster);
  must(tools.kubectl, ['apply', '-k', ACCESS_DIR]);

  const overlays = ENVIRONMENTS.map((env) => ({
    env,
    manifests: render(tools.kubectl, overlayDir(env)),
  }));
  for (const { env, manifests } of overlays) {
    const first = !deploymentExists(tools.kubectl, env);
    must(
      process.execPath,
      [
        '--import',
        'tsx',
        DEPLOY_SCRIPT,
        ...['--env', env, '--image', image.ref, '--commit', image.commit],
        ...['--url', environmentUrl(manifests, env), '--timeout', '180', '--smoke-deadline', '60'],
      ],
      { inherit: true },
    );
    if (first) {
      state.firstDeploys[env] = readFirstDeploy(tools.kubectl, env);
      writeState(state);
    }
  }

  const monitoring = render(tools.kubectl, MONITORING_DIR);
  ensureSecrets(tools.kubectl, monitoring);
  must(tools.kubectl, ['apply', '-k', MONITORING_DIR]);
  waitForWorkloads(tools.kubectl, [...cluster, ...monitoring]);

  printUrls(overlays, monitoring);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`cluster-up FAILED: ${message}`);
    if (!(error instanceof ClusterError) && error instanceof Error && process.env.DEBUG)
      console.error(error.stack);
    process.exit(1);
  },
);
