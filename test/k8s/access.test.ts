// The pipeline's deploy identities (k8s/access): each environment's deployer may apply exactly
// what its overlay renders and watch the rollout, in its own namespace, and nothing more.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ENVIRONMENTS,
  objectName,
  overlayDir,
  renderOrSkip,
  type K8sObject,
} from '../helpers/k8s-manifests.js';
import { schemaErrors } from '../helpers/k8s-schema.js';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** API group and resource (plural) of each kind the overlays render. */
const RESOURCES: Record<string, { group: string; resource: string }> = {
  Namespace: { group: '', resource: 'namespaces' },
  ConfigMap: { group: '', resource: 'configmaps' },
  Service: { group: '', resource: 'services' },
  ServiceAccount: { group: '', resource: 'serviceaccounts' },
  Deployment: { group: 'apps', resource: 'deployments' },
  PodDisruptionBudget: { group: 'policy', resource: 'poddisruptionbudgets' },
  NetworkPolicy: { group: 'networking.k8s.io', resource: 'networkpolicies' },
  HorizontalPodAutoscaler: { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
};

const FORBIDDEN_VERBS = ['*', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate'];

function rulesOf(objects: K8sObject[], kind: string, name: string, namespace?: string): Rule[] {
  const found = objects.find(
    (o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace,
  );
  assert.ok(found, `k8s/access has no ${kind} ${namespace ?? ''}/${name}`);
  return (found as unknown as { rules: Rule[] }).rules;
}

function allows(
  rules: Rule[],
  group: string,
  resource: string,
  verb: string,
  name: string,
): boolean {
  return rules.some(
    (rule) =>
      (rule.apiGroups ?? []).includes(group) &&
      (rule.resources ?? []).includes(resource) &&
      rule.verbs.includes(verb) &&
      (rule.resourceNames === undefined || rule.resourceNames.includes(name)),
  );
}

test('k8s/access: every object is valid against the Kubernetes 1.30 schemas', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/access');
  if (!objects) return;
  const problems: string[] = [];
  for (const object of objects)
    for (const error of await schemaErrors(object))
      problems.push(`${objectName(object)}: ${error}`);
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('k8s/access: no wildcard, no Secrets, no delete, escalate, bind or impersonate', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/access');
  if (!objects) return;
  const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
  assert.equal(roles.length, 2 * ENVIRONMENTS.length);
  for (const role of roles) {
    for (const rule of (role as unknown as { rules: Rule[] }).rules) {
      const where = `${objectName(role)} rule ${JSON.stringify(rule)}`;
      assert.ok(
        !(rule.resources ?? []).includes('*') && !(rule.apiGroups ?? []).includes('*'),
        `${where}: wildcard`,
      );
      assert.ok(!(rule.resources ?? []).includes('secrets'), `${where}: Secrets are out of reach`);
      for (const verb of FORBIDDEN_VERBS)
        assert.ok(!rule.verbs.includes(verb), `${where}: verb ${verb}`);
    }
    if (role.kind === 'ClusterRole') {
      for (const rule of (role as unknown as { rules: Rule[] }).rules)
        assert.equal(
          rule.resourceNames?.length,
          1,
          `${objectName(role)}: one named namespace only`,
        );
    }
  }
});

for (const env of ENVIRONMENTS) {
  test(`${env}: the deployer can apply every object the overlay renders and watch the rollout`, async (t) => {
    const access = await renderOrSkip(t, 'k8s/access');
    const overlay = await renderOrSkip(t, overlayDir(env));
    if (!access || !overlay) return;
    const role = rulesOf(access, 'Role', 'deployer', env);
    const clusterRole = rulesOf(access, 'ClusterRole', `hello-api-deployer-${env}`);
    for (const object of overlay) {
      const mapping = RESOURCES[object.kind];
      assert.ok(
        mapping,
        `${env} ${objectName(object)}: kind not known to this test; add it to RESOURCES and the Role`,
      );
      const name = object.metadata.name;
      if (object.kind === 'Namespace') {
        assert.equal(name, env, `${env} overlay applies namespace ${name}`);
        for (const verb of ['get', 'patch'])
          assert.ok(allows(clusterRole, '', 'namespaces', verb, name), `${env}: namespace ${verb}`);
      } else {
        assert.equal(object.metadata.namespace, env, `${objectName(object)} lands in ${env}`);
        for (const verb of ['get', 'create', 'patch'])
          assert.ok(
            allows(role, mapping.group, mapping.resource, verb, name),
            `${env} deployer cannot ${verb} ${objectName(object)}`,
          );
      }
    }
    for (const [group, resource] of [
      ['apps', 'deployments'],
      ['apps', 'replicasets'],
      ['', 'pods'],
    ] as const)
      assert.ok(
        allows(role, group, resource, 'watch', ''),
        `${env}: rollout status needs watch on ${resource}`,
      );
    assert.ok(!allows(role, '', 'namespaces', 'get', 'kube-system'), 'no other namespace');
  });

  test(`${env}: the binding gives the Role to that namespace's deployer ServiceAccount only`, async (t) => {
    const access = await renderOrSkip(t, 'k8s/access');
    if (!access) return;
    for (const kind of ['RoleBinding', 'ClusterRoleBinding']) {
      const name = kind === 'RoleBinding' ? 'deployer' : `hello-api-deployer-${env}`;
      const binding = access.find(
        (o) =>
          o.kind === kind &&
          o.metadata.name === name &&
          (kind === 'ClusterRoleBinding' || o.metadata.namespace === env),
      ) as unknown as
        | {
            subjects: { kind: string; name: string; namespace: string }[];
            roleRef: { name: string };
          }
        | undefined;
      assert.ok(binding, `${env}: ${kind} ${name} missing`);
      assert.deepEqual(binding.subjects, [
        { kind: 'ServiceAccount', name: 'deployer', namespace: env },
      ]);
      assert.equal(binding.roleRef.name, name);
    }
  });
}
