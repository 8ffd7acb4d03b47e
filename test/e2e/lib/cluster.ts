// The first thing every e2e file checks: the cluster of `make cluster-up` answers, so a missing
// cluster fails each file at once with one line instead of after its longest wait.
import { kubectl } from './kubectl.js';

export interface NodeInfo {
  name: string;
  ready: boolean;
  version: string;
  controlPlane: boolean;
}

interface NodeList {
  items: {
    metadata: { name: string; labels?: Record<string, string> };
    status: {
      nodeInfo: { kubeletVersion: string };
      conditions?: { type: string; status: string }[];
    };
  }[];
}

export async function clusterNodes(): Promise<NodeInfo[]> {
  const result = await kubectl(['get', 'nodes', '-o', 'json'], { timeoutMs: 20_000 });
  if (result.code !== 0)
    throw new Error(
      `no cluster at KUBECONFIG=${process.env.KUBECONFIG ?? '(unset)'}: ${result.stderr.trim().split('\n').at(-1) ?? ''}; run make cluster-up first`,
    );
  return (JSON.parse(result.stdout) as NodeList).items.map((node) => ({
    name: node.metadata.name,
    ready: (node.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    version: node.status.nodeInfo.kubeletVersion,
    controlPlane: 'node-role.kubernetes.io/control-plane' in (node.metadata.labels ?? {}),
  }));
}
