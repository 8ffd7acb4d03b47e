// Each Kustomize tree renders with `kubectl kustomize` into the objects it should hold, and
// `make render ENV=...` prints exactly that (or one clear line for a bad ENV).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ENVIRONMENTS,
  objectName,
  overlayDir,
  parseManifests,
  renderOrSkip,
} from '../helpers/k8s-manifests.js';
import { REPO_ROOT } from '../helpers/paths.js';
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
  test(`${env} overlay renders its namespace and the whole application`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const expected = [...APP_OBJECTS, `Namespace/${env}`];
    if (env === 'prod') expected.push('HorizontalPodAutoscaler/hello-api');
    assert.deepEqual(inventory(objects), expected.sort(), `${overlayDir(env)}: rendered objects`);
  });
}

test('k8s/cluster renders the namespaces and metrics-server', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/cluster');
  if (!objects) return;
  assert.deepEqual(inventory(objects), [
    'APIService/v1beta1.metrics.k8s.io',
    'ClusterRole/system:aggregated-metrics-reader',
    'ClusterRole/system:metrics-server',
    'ClusterRoleBinding/metrics-server:system:auth-delegator',
    'ClusterRoleBinding/system:metrics-server',
    'Deployment/metrics-server',
    'Namespace/dev',
    'Namespace/monitoring',
    'Namespace/prod',
    'Namespace/stage',
    'RoleBinding/metrics-server-auth-reader',
    'Service/metrics-server',
    'ServiceAccount/metrics-server',
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
