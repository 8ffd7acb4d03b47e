// The one accepted HIGH Kubernetes finding about host paths stays as narrow as it is documented:
// `.trivyignore` accepts AVD-KSV-0121 because node-exporter must read the host's /proc, /sys and
// /, and a plain ID there silences the check for every workload. So every workload the scan-repo
// gate renders is read here, and the ones mounting a path KSV121 denies must be exactly
// node-exporter's DaemonSet: a second one fails this test instead of passing Trivy unseen, and an
// acceptance nothing needs any more fails it too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderOrSkip, type K8sObject } from '../helpers/k8s-manifests.js';
import { repoPath } from '../helpers/paths.js';
import { loadWorkflow } from '../helpers/pipeline-workflows.js';

// The paths KSV121 denies and the kinds it reads (aquasecurity/trivy-checks
// checks/kubernetes/Kubernetes_resource_with_disallowed_volumes_mounted.rego, disallowedVolumes).
const DENIED = ['/', '/boot', '/dev', '/etc', '/lib', '/proc', '/sys', '/usr', '/var/lib/docker'];
const ACCEPTED_FOR = ['DaemonSet node-exporter/node-exporter'];

interface PodSpecLike {
  volumes?: { hostPath?: { path?: string } }[];
}

/** The pod spec of a workload object, or undefined for any other kind. */
function podSpec(object: K8sObject): PodSpecLike | undefined {
  const spec = (object as { spec?: Record<string, unknown> }).spec;
  const template = (value: unknown) =>
    (value as { template?: { spec?: PodSpecLike } } | undefined)?.template?.spec;
  switch (object.kind) {
    case 'Pod':
      return spec;
    case 'CronJob':
      return template((spec?.jobTemplate as { spec?: unknown } | undefined)?.spec);
    case 'Deployment':
    case 'DaemonSet':
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return template(spec);
    default:
      return undefined;
  }
}

/** The kustomizations scan-repo renders, read from its `for dir in ...` line. */
function scannedTrees(): string[] {
  const step = loadWorkflow('ci-cd.yaml').jobs['scan-repo']?.steps?.find((s) =>
    s.run?.includes('kubectl kustomize'),
  );
  const dirs =
    /for dir in ([^;]+); do/
      .exec(step?.run ?? '')?.[1]
      ?.trim()
      .split(/\s+/) ?? [];
  assert.ok(dirs.length > 0, 'ci-cd.yaml scan-repo renders no kustomization');
  return dirs.map((dir) => `k8s/${dir}`);
}

test('only node-exporter mounts a host path KSV-0121 denies, the one workload its acceptance is for', async (t) => {
  const ignored = readFileSync(repoPath('.trivyignore'), 'utf8');
  assert.match(ignored, /^AVD-KSV-0121 exp:/m, '.trivyignore accepts AVD-KSV-0121');
  const offenders = new Set<string>();
  for (const tree of scannedTrees()) {
    const objects = await renderOrSkip(t, tree);
    if (!objects) return;
    for (const object of objects) {
      const denied = (podSpec(object)?.volumes ?? [])
        .map((volume) => volume.hostPath?.path)
        .filter((path): path is string => path !== undefined && DENIED.includes(path));
      if (denied.length > 0)
        offenders.add(`${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`);
    }
  }
  assert.deepEqual([...offenders].sort(), ACCEPTED_FOR);
});
