// The StorageClass the monitoring claims get on the kubeadm cluster (k8s/cluster/local-path-storage.yaml):
// exactly one default class, binding only once the pod is scheduled (a local volume must be made
// on the node that runs it), its provisioner and helper images pinned by version and digest,
// and the provisioner itself unprivileged (only its short-lived helper pod touches the host).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { parse } from 'yaml';
import { renderOrSkip, type K8sObject } from '../helpers/k8s-manifests.js';
import { restrictedViolations } from '../helpers/k8s-policy.js';

const PINNED = /:v?\d+\.\d+\.\d+@sha256:[a-f0-9]{64}$/;

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `k8s/cluster renders no ${kind}/${name}`);
  return found;
}

test('k8s/cluster has exactly one default StorageClass: local-path, bound at first consumer', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/cluster');
  if (!objects) return;
  const classes = objects.filter((o) => o.kind === 'StorageClass') as (StorageClass & K8sObject)[];
  const defaults = classes.filter(
    (c) => c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true',
  );
  assert.deepEqual(
    defaults.map((c) => c.metadata.name),
    ['local-path'],
  );
  const [local] = defaults;
  assert.equal(local?.provisioner, 'rancher.io/local-path');
  assert.equal(local.volumeBindingMode, 'WaitForFirstConsumer');
});

test('local-path-provisioner: pinned images, an unprivileged provisioner, a privileged namespace for its helper', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/cluster');
  if (!objects) return;
  const deployment = find(objects, 'Deployment', 'local-path-provisioner') as Deployment;
  const pod = deployment.spec?.template.spec;
  assert.ok(pod);
  assert.deepEqual(restrictedViolations({ where: 'local-path-provisioner', pod }), []);
  for (const container of pod.containers) assert.match(container.image ?? '', PINNED);
  const config = find(objects, 'ConfigMap', 'local-path-config') as ConfigMap;
  const helper = parse(config.data?.['helperPod.yaml'] ?? '') as {
    spec: { containers: { image: string }[] };
  };
  assert.match(helper.spec.containers[0]?.image ?? '', PINNED, 'the helper pod image');
  const paths = (
    JSON.parse(config.data?.['config.json'] ?? '{}') as {
      nodePathMap: { paths: string[] }[];
    }
  ).nodePathMap.flatMap((entry) => entry.paths);
  assert.deepEqual(paths, ['/opt/local-path-provisioner']);
  const namespace = find(objects, 'Namespace', 'local-path-storage') as Namespace;
  // The helper pod mounts the node's folder through hostPath, as root, to create and remove volumes.
  assert.equal(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
});
