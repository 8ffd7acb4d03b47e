// On the kind cluster, before anything else: three nodes (one control plane, two workers) Ready
// on Kubernetes 1.30; dev, stage and prod answering through their NodePorts with the commit they
// were deployed with; prod started at its initial size and its HPA bounds as the overlay says.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KUBERNETES_MINOR } from '../../scripts/cluster/pins.js';
import { readState } from '../../scripts/cluster/state.js';
import { clusterNodes } from './lib/cluster.js';
import { APP, AUTOSCALED, ENVIRONMENTS, autoscaling, environmentUrls } from './lib/facts.js';
import { kubectlJson } from './lib/kubectl.js';

describe('the cluster of make cluster-up', { timeout: 120_000 }, () => {
  test(
    'one control plane and two workers are Ready on Kubernetes 1.30',
    { timeout: 60_000 },
    async () => {
      const nodes = await clusterNodes();
      console.log(
        `nodes: ${nodes.map((n) => `${n.name} ${n.ready ? 'Ready' : 'NotReady'} ${n.version}`).join(', ')}`,
      );
      assert.equal(nodes.filter((n) => n.controlPlane).length, 1);
      assert.equal(nodes.filter((n) => !n.controlPlane).length, 2);
      for (const node of nodes) {
        assert.ok(node.ready, `${node.name} is not Ready`);
        assert.ok(
          node.version.startsWith(`v${KUBERNETES_MINOR}.`),
          `${node.name} runs ${node.version}`,
        );
      }
    },
  );

  test(
    'dev, stage and prod answer /readyz and /version through their NodePorts',
    { timeout: 60_000 },
    async () => {
      const urls = environmentUrls();
      for (const env of ENVIRONMENTS) {
        const ready = await fetch(`${urls[env]}/readyz`, {
          signal: AbortSignal.timeout(5_000),
        }).catch((error: unknown) => {
          throw new Error(`${env} at ${urls[env]} does not answer: ${String(error)}`);
        });
        assert.equal(ready.status, 200, `${env} /readyz`);
        const version = (await (await fetch(`${urls[env]}/version`)).json()) as {
          commit?: string;
          environment?: string;
        };
        assert.equal(version.environment, env);
        console.log(`${env}: ${urls[env]} ready, commit ${version.commit ?? '?'}`);
      }
    },
  );

  // Only right after the first deploy: an idle prod goes down to minReplicas once the HPA's
  // scale-down window has passed, so cluster-up read the Deployment at that moment
  // (.tmp/cluster/state.json); the uid ties that reading to the Deployment running now.
  test(
    `${AUTOSCALED} ran its initial replicas, all ready, right after cluster-up's first deploy`,
    { timeout: 30_000 },
    async () => {
      const { initialReplicas } = autoscaling();
      const record = readState().firstDeploys[AUTOSCALED];
      assert.ok(
        record,
        `no record of ${AUTOSCALED}'s first deploy in .tmp/cluster/state.json (this cluster's ${AUTOSCALED} was not first deployed by this folder's cluster-up): make cluster-down && make cluster-up`,
      );
      const live = await kubectlJson<{ metadata: { uid: string } }>([
        ...['-n', AUTOSCALED, 'get', 'deployment', APP.deployment],
      ]);
      console.log(
        `${AUTOSCALED} right after its first deploy (${record.at}): ${record.readyReplicas} of ${record.replicas} pods ready; the overlay starts it at ${initialReplicas}`,
      );
      assert.equal(live.metadata.uid, record.uid, 'the Deployment was made again since');
      assert.ok(initialReplicas > 0, 'the overlay names an initial size');
      assert.equal(record.replicas, initialReplicas);
      assert.equal(record.readyReplicas, initialReplicas);
    },
  );

  test(`${AUTOSCALED}'s HPA has the bounds of the overlay`, { timeout: 30_000 }, async () => {
    const wanted = autoscaling();
    const hpa = await kubectlJson<{
      spec: { minReplicas?: number; maxReplicas: number };
      status: { currentReplicas?: number };
    }>(['-n', AUTOSCALED, 'get', 'hpa', APP.deployment]);
    console.log(
      `HPA ${AUTOSCALED}: minReplicas ${hpa.spec.minReplicas ?? 1}, maxReplicas ${hpa.spec.maxReplicas}, now ${hpa.status.currentReplicas ?? '?'} replicas`,
    );
    assert.deepEqual(
      { min: hpa.spec.minReplicas ?? 1, max: hpa.spec.maxReplicas },
      { min: wanted.minReplicas, max: wanted.maxReplicas },
    );
  });
});
