// `make cluster-down`: removes what `make cluster-up` made and nothing else: the kind cluster
// hello-api, the registry container (with its anonymous storage volume), the image tags it built,
// the kind network if cluster-up created it, and its state folder (.tmp/cluster). Images it
// pulled (the kind node image, the registry image) stay in the engine's cache; docs/local-cluster.md
// names them. Safe to run twice, or without a cluster.
import { engineCall } from '../container/engine.js';
import { must, run } from './exec.js';
import { CLUSTER_NAME, KIND_NETWORK, KUBECONFIG_PATH, REGISTRY_CONTAINER } from './layout.js';
import { readState, removeStateDir } from './state.js';
import { removalTools } from './tools.js';

async function main(): Promise<void> {
  const { kind, engine, kindEnv } = await removalTools();
  const state = readState();

  if (kind) {
    const clusters = run(kind, ['get', 'clusters'], { env: kindEnv, quiet: true }).stdout.split(
      '\n',
    );
    if (clusters.map((line) => line.trim()).includes(CLUSTER_NAME))
      must(kind, ['delete', 'cluster', '--name', CLUSTER_NAME, '--kubeconfig', KUBECONFIG_PATH], {
        env: kindEnv,
      });
  }
  if (engine) {
    const call = (args: string[]) => engineCall(engine, args);
    if (
      run(engine.path, call(['inspect', '--format', '{{.Name}}', REGISTRY_CONTAINER]), {
        quiet: true,
      }).ok
    )
      must(engine.path, call(['rm', '--force', '--volumes', REGISTRY_CONTAINER]));
    for (const image of state.images) {
      if (run(engine.path, call(['image', 'inspect', image]), { quiet: true }).ok)
        must(engine.path, call(['rmi', image]));
    }
    if (
      state.networkCreated &&
      run(engine.path, call(['network', 'inspect', KIND_NETWORK]), { quiet: true }).ok
    ) {
      const removed = run(engine.path, call(['network', 'rm', KIND_NETWORK]));
      if (!removed.ok)
        console.log(`cluster-down: left the ${KIND_NETWORK} network, something else still uses it`);
    }
  }
  removeStateDir();
  console.log(`cluster-down: kind cluster ${CLUSTER_NAME} and everything cluster-up made are gone`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`cluster-down FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
