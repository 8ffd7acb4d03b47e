// On the kind cluster, before anything else: three nodes (one control plane, two workers) Ready
// on Kubernetes 1.30, and dev, stage and prod answering through their NodePorts with the commit
// they were deployed with.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KUBERNETES_MINOR } from '../../scripts/cluster/pins.js';
import { clusterNodes } from './lib/cluster.js';
import { ENVIRONMENTS, environmentUrls } from './lib/facts.js';

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
});
