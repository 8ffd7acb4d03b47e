// kubectl for the e2e suite: asynchronous (the suite keeps a load running while it talks to the
// cluster, and a blocking call would stall that load), against the cluster in $KUBECONFIG.
import { runCommand, type RunResult } from '../../../scripts/lib/run-command.js';

/** kubectl through the shared child-process helper: never throws on a non-zero exit. */
export function kubectl(
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return runCommand('kubectl', args, options);
}

/** The output of a kubectl call that must succeed; otherwise one line naming the call. */
export async function kubectlOk(
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code === 0) return result.stdout;
  const reason = result.stderr.trim().split('\n').at(-1) ?? '';
  throw new Error(`kubectl ${args.join(' ')} failed (exit ${result.code ?? 'killed'}): ${reason}`);
}

export async function kubectlJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
}

/** Applies objects given as plain data (JSON is YAML). */
export async function applyObjects(objects: readonly object[]): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
}

export interface Pod {
  metadata: { name: string; namespace: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { name: string; image: string }[] };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; restartCount: number }[];
  };
}

export const isReady = (pod: Pod): boolean =>
  pod.metadata.deletionTimestamp === undefined &&
  (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export async function pods(namespace: string, selector: string): Promise<Pod[]> {
  return (await kubectlJson<{ items: Pod[] }>(['-n', namespace, 'get', 'pods', '-l', selector]))
    .items;
}

/** One pod by name, or undefined when it does not exist (yet). */
export async function pod(namespace: string, name: string): Promise<Pod | undefined> {
  const result = await kubectl(['-n', namespace, 'get', 'pod', name, '-o', 'json']);
  if (result.code !== 0) {
    if (/NotFound/.test(result.stderr)) return undefined;
    throw new Error(`kubectl get pod ${namespace}/${name}: ${result.stderr.trim()}`);
  }
  return JSON.parse(result.stdout) as Pod;
}

/** "prometheus 0, config-reloader 0": each container's restart count, for logs and comparison. */
export const restartCounts = (p: Pod): string =>
  (p.status.containerStatuses ?? [])
    .map((c) => `${c.name} ${c.restartCount}`)
    .sort()
    .join(', ');
