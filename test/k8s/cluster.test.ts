// k8s/cluster: the add-ons kubeadm does not install. The files are applied one by one with
// `kubectl apply -f` by the OpenTofu bootstrap and all together with `kubectl apply -k`, so both
// ways must give the same, complete result.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { findObject, parseManifests, renderOrSkip } from '../helpers/k8s-manifests.js';
import { repoPath } from '../helpers/paths.js';

const CLUSTER_DIR = 'k8s/cluster';
const CLUSTER_SCOPED = new Set([
  'APIService',
  'ClusterRole',
  'ClusterRoleBinding',
  'Namespace',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'StorageClass',
]);

function plainFiles(): string[] {
  return readdirSync(repoPath(CLUSTER_DIR))
    .filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml')
    .sort();
}

test('k8s/cluster/kustomization.yaml lists every plain file, so -k and -f apply the same', () => {
  const kustomization = parse(
    readFileSync(repoPath(`${CLUSTER_DIR}/kustomization.yaml`), 'utf8'),
  ) as { resources?: string[]; namespace?: string };
  assert.deepEqual([...(kustomization.resources ?? [])].sort(), plainFiles());
  assert.equal(kustomization.namespace, undefined, 'no namespace transformer: files stand alone');
});

test('each plain file is complete on its own: namespaced objects name their namespace', () => {
  for (const file of plainFiles()) {
    const objects = parseManifests(readFileSync(repoPath(`${CLUSTER_DIR}/${file}`), 'utf8'), file);
    assert.ok(objects.length > 0, `${CLUSTER_DIR}/${file} holds no objects`);
    for (const object of objects)
      if (!CLUSTER_SCOPED.has(object.kind))
        assert.ok(
          object.metadata.namespace,
          `${CLUSTER_DIR}/${file} ${object.kind}/${object.metadata.name}: metadata.namespace must be set (kubectl apply -f would use "default")`,
        );
  }
});

test('metrics-server: pinned image, kubeadm-ready kubelet flags, wired to its APIService', async (t) => {
  const objects = await renderOrSkip(t, CLUSTER_DIR);
  if (!objects) return;
  const where = 'k8s/cluster Deployment/metrics-server';
  const deployment = findObject(objects, 'Deployment', 'metrics-server', CLUSTER_DIR);
  const pod = deployment.spec?.template.spec;
  const container = pod?.containers[0];
  assert.ok(pod && container, `${where}: container`);

  const image =
    /^registry\.k8s\.io\/metrics-server\/metrics-server:(v0\.7\.\d+)@sha256:[a-f0-9]{64}$/.exec(
      container.image ?? '',
    );
  assert.ok(image, `${where}: image must be a v0.7.x tag pinned by digest, got ${container.image}`);
  assert.equal(
    deployment.metadata.labels?.['app.kubernetes.io/version'],
    image[1],
    `${where}: version label`,
  );

  const args = container.args ?? [];
  for (const flag of [
    '--kubelet-preferred-address-types=InternalIP',
    '--kubelet-insecure-tls',
    '--kubelet-use-node-status-port',
    '--cert-dir=/tmp',
  ])
    assert.ok(args.includes(flag), `${where}: args must include ${flag}`);
  const securePort = Number(
    /^--secure-port=(\d+)$/.exec(args.find((a) => a.startsWith('--secure-port=')) ?? '')?.[1],
  );
  const https = container.ports?.find((port) => port.name === 'https');
  assert.equal(https?.containerPort, securePort, `${where}: container port https is --secure-port`);
  for (const probe of [container.livenessProbe, container.readinessProbe])
    assert.deepEqual(
      [probe?.httpGet?.port, probe?.httpGet?.scheme],
      ['https', 'HTTPS'],
      `${where}: probes`,
    );
  assert.ok(
    container.resources?.requests?.memory && container.resources.limits?.memory,
    `${where}: memory bounds`,
  );

  const account = findObject(objects, 'ServiceAccount', 'metrics-server', CLUSTER_DIR);
  assert.equal(pod.serviceAccountName, account.metadata.name, `${where}: serviceAccountName`);

  const service = findObject(objects, 'Service', 'metrics-server', CLUSTER_DIR);
  assert.deepEqual(
    service.spec?.selector,
    deployment.spec?.selector.matchLabels,
    'Service selects the pods',
  );
  const servicePort = service.spec?.ports?.[0];
  assert.ok(servicePort, 'k8s/cluster Service/metrics-server: a port');
  assert.equal(servicePort.targetPort, 'https', 'Service targets the https port');

  const apiService = objects.find((o) => o.kind === 'APIService');
  const spec = apiService?.spec as
    | {
        group?: string;
        version?: string;
        service?: { name?: string; namespace?: string; port?: number };
      }
    | undefined;
  assert.deepEqual(
    [spec?.group, spec?.version, spec?.service?.name, spec?.service?.namespace],
    ['metrics.k8s.io', 'v1beta1', 'metrics-server', service.metadata.namespace],
    'APIService v1beta1.metrics.k8s.io points at Service kube-system/metrics-server',
  );
  assert.equal(servicePort.port, spec?.service?.port ?? 443, 'APIService port is the Service port');
});

test('metrics-server RBAC binds its ServiceAccount to what an aggregated API server needs', async (t) => {
  const objects = await renderOrSkip(t, CLUSTER_DIR);
  if (!objects) return;
  const bindings = objects.filter(
    (o) =>
      (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') &&
      o.metadata.name.includes('metrics-server'),
  );
  const granted = bindings.map((binding) => {
    const { roleRef, subjects } = binding as unknown as {
      roleRef: { kind: string; name: string };
      subjects: { kind: string; name: string; namespace?: string }[];
    };
    assert.deepEqual(
      subjects,
      [{ kind: 'ServiceAccount', name: 'metrics-server', namespace: 'kube-system' }],
      `k8s/cluster ${binding.kind}/${binding.metadata.name}: subject`,
    );
    return `${binding.kind}->${roleRef.kind}/${roleRef.name}`;
  });
  assert.deepEqual(granted.sort(), [
    'ClusterRoleBinding->ClusterRole/system:auth-delegator',
    'ClusterRoleBinding->ClusterRole/system:metrics-server',
    'RoleBinding->Role/extension-apiserver-authentication-reader',
  ]);
});
