// The suite's own pods (alert receiver, network probes, a crash-looping pod), all running the
// hello-api image already in the cluster (nothing else to pull or pin) with `node` as their
// program, under the restricted Pod Security Standard like everything else in the cluster.
import { APP } from './facts.js';
import { applyObjects, kubectl, kubectlOk, kubectlJson } from './kubectl.js';
import { waitFor } from './wait.js';

export const RESTRICTED_LABELS = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'v1.30',
};

export const RESTRICTED_CONTAINER = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export function namespaceObject(name: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { ...RESTRICTED_LABELS, 'app.kubernetes.io/part-of': 'hello-api-e2e' },
    },
  };
}

export interface PodOptions {
  name: string;
  namespace: string;
  image: string;
  command: string[];
  labels?: Record<string, string>;
  env?: { name: string; value: string }[];
  configMap?: { name: string; mountPath: string };
  ports?: number[];
}

/** A bare pod spec (shared by Pod and Deployment templates) that the restricted level admits. */
export function podSpec(options: PodOptions): object {
  return {
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: 2,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: options.name,
        image: options.image,
        command: options.command,
        env: options.env ?? [],
        ports: (options.ports ?? []).map((containerPort) => ({ containerPort })),
        securityContext: RESTRICTED_CONTAINER,
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
        volumeMounts: options.configMap
          ? [{ name: 'files', mountPath: options.configMap.mountPath, readOnly: true }]
          : [],
      },
    ],
    volumes: options.configMap
      ? [{ name: 'files', configMap: { name: options.configMap.name } }]
      : [],
  };
}

export function podObject(options: PodOptions): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels ?? {} },
    spec: podSpec(options),
  };
}

/** The image dev runs now (a digest from the local registry), for the suite's own pods. */
export async function appImage(namespace = 'dev'): Promise<string> {
  const deployment = await kubectlJson<{
    spec: { template: { spec: { containers: { name: string; image: string }[] } } };
  }>(['-n', namespace, 'get', 'deployment', APP.deployment]);
  const image = deployment.spec.template.spec.containers.find(
    (c) => c.name === APP.container,
  )?.image;
  if (!image)
    throw new Error(
      `deployment/${APP.deployment} in ${namespace} has no ${APP.container} container`,
    );
  return image;
}

export async function createNamespace(name: string): Promise<void> {
  await applyObjects([namespaceObject(name)]);
}

/** Deletes a namespace of the suite and waits until it is gone. */
export async function deleteNamespace(name: string): Promise<void> {
  await kubectl(
    ['delete', 'namespace', name, '--ignore-not-found', '--wait=true', '--timeout=120s'],
    {
      timeoutMs: 150_000,
    },
  );
}

export async function waitForPodReady(
  namespace: string,
  name: string,
  timeoutMs = 120_000,
): Promise<void> {
  await waitFor(
    `pod ${namespace}/${name} Ready`,
    async () => {
      const result = await kubectl([
        '-n',
        namespace,
        'get',
        'pod',
        name,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ]);
      return {
        done: result.stdout.trim() === 'True',
        seen: `Ready=${result.stdout.trim() || 'unknown'}`,
      };
    },
    { timeoutMs },
  );
}

/**
 * One HTTP GET from inside a pod, with node's fetch and a 3 s limit: "ok <status>" when an answer
 * came back, "failed <reason>" when the connection was dropped, refused or timed out.
 */
export const FETCH_SCRIPT = `
const url = process.argv[1];
fetch(url, { signal: AbortSignal.timeout(3000) })
  .then((r) => console.log('ok ' + r.status))
  .catch((e) => console.log('failed ' + (e.cause?.code ?? e.cause?.message ?? e.name)));
`;

export async function fetchFromPod(
  namespace: string,
  pod: string,
  url: string,
  container?: string,
): Promise<{ reached: boolean; detail: string }> {
  const out = (
    await kubectlOk([
      '-n',
      namespace,
      'exec',
      pod,
      ...(container ? ['-c', container] : []),
      '--',
      'node',
      '-e',
      FETCH_SCRIPT,
      url,
    ])
  ).trim();
  return { reached: out.startsWith('ok '), detail: out };
}
