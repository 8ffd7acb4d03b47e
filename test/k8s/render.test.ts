// Each Kustomize tree renders with `kubectl kustomize` into the objects it should hold, and
// `make render ENV=...` prints exactly that (or one clear line for a bad ENV).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  ENVIRONMENTS,
  objectName,
  overlayDir,
  parseManifests,
  renderOrSkip,
} from '../helpers/k8s-manifests.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const APP_OBJECTS = [
  'ConfigMap/hello-api-config',
  'Deployment/hello-api',
  'NetworkPolicy/allow-dns-egress',
  'NetworkPolicy/allow-http-ingress',
  'NetworkPolicy/allow-metrics-from-monitoring',
  'NetworkPolicy/default-deny-all',
  'PodDisruptionBudget/hello-api',
  'Service/hello-api',
  'ServiceAccount/hello-api',
];

/** Kind/name, sorted, with the generator's hash suffix removed from ConfigMap names. */
function inventory(objects: ReturnType<typeof parseManifests>): string[] {
  return objects
    .map((o) =>
      o.kind === 'ConfigMap' ? objectName(o).replace(/-[a-z0-9]{10}$/, '') : objectName(o),
    )
    .sort();
}

for (const env of ENVIRONMENTS) {
  test(`${env} overlay renders the whole application (its namespace is k8s/cluster's)`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const expected = [...APP_OBJECTS];
    if (env === 'prod') expected.push('HorizontalPodAutoscaler/hello-api');
    assert.deepEqual(inventory(objects), expected.sort(), `${overlayDir(env)}: rendered objects`);
  });
}

test('k8s/cluster renders the namespaces, their label policy, metrics-server and the local-path StorageClass', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/cluster');
  if (!objects) return;
  assert.deepEqual(inventory(objects), [
    'APIService/v1beta1.metrics.k8s.io',
    'ClusterRole/local-path-provisioner',
    'ClusterRole/system:aggregated-metrics-reader',
    'ClusterRole/system:metrics-server',
    'ClusterRoleBinding/local-path-provisioner',
    'ClusterRoleBinding/metrics-server:system:auth-delegator',
    'ClusterRoleBinding/system:metrics-server',
    'ConfigMap/local-path-config',
    'Deployment/local-path-provisioner',
    'Deployment/metrics-server',
    'Namespace/dev',
    'Namespace/local-path-storage',
    'Namespace/monitoring',
    'Namespace/prod',
    'Namespace/stage',
    'Role/local-path-provisioner',
    'RoleBinding/local-path-provisioner',
    'RoleBinding/metrics-server-auth-reader',
    'Service/metrics-server',
    'ServiceAccount/local-path-provisioner',
    'ServiceAccount/metrics-server',
    'StorageClass/local-path',
    'ValidatingAdmissionPolicy/pod-security-labels-admins-only',
    'ValidatingAdmissionPolicyBinding/pod-security-labels-admins-only',
  ]);
});

test('make render ENV=prod prints the prod overlay; a bad ENV fails with one line', async (t) => {
  const kubectl = requireTool(t, 'kubectl', 'make render runs kubectl kustomize');
  if (!kubectl) return;
  const good = await run('make', ['--no-print-directory', 'render', 'ENV=prod'], {
    cwd: REPO_ROOT,
  });
  assert.equal(good.code, 0, good.stderr);
  const objects = parseManifests(good.stdout, 'make render ENV=prod');
  assert.ok(inventory(objects).includes('HorizontalPodAutoscaler/hello-api'), 'prod objects');
  assert.ok(objects.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'prod'));

  const bad = await run('make', ['--no-print-directory', 'render', 'ENV=qa'], { cwd: REPO_ROOT });
  assert.notEqual(bad.code, 0, 'make render ENV=qa must fail');
  assert.match(bad.stderr, /^make render: ENV='qa' is invalid: expected one of dev stage prod$/m);
  assert.equal(bad.stdout, '', 'nothing rendered for a bad ENV');
});

/** Every file under a directory, recursively, relative to the repository. */
function filesUnder(dir: string): string[] {
  return readdirSync(repoPath(dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

test('no Secret is committed; the example file holds a placeholder only', () => {
  const files = ['k8s/base', 'k8s/overlays', 'k8s/cluster'].flatMap(filesUnder);
  for (const file of files.filter((name) => name.endsWith('.yaml'))) {
    const kinds = parseAllDocuments(readFileSync(repoPath(file), 'utf8')).map(
      (document) => (document.toJS() as { kind?: unknown } | null)?.kind,
    );
    assert.ok(!kinds.includes('Secret'), `${file}: a Secret must never be committed`);
  }
  const examples = files.filter((name) => name.endsWith('.example'));
  assert.deepEqual(examples, ['k8s/base/hello-api-secret.env.example']);
  const values = readFileSync(repoPath(examples[0] ?? ''), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  assert.deepEqual(values, ['SECRET_MESSAGE=replace-me'], 'only the placeholder value');
});
