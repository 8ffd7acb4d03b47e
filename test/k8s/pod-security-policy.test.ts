// The admission policy that keeps namespaces' Pod Security labels in cluster admins' hands
// (k8s/cluster/pod-security-labels-policy.yaml), rendered and evaluated: its CEL runs in a real
// CEL implementation with the request shapes the API server passes, for the deployer the
// pipeline authenticates as, for kubeadm's admin users and for the bootstrap's namespace create.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import {
  refusal,
  type AdmissionRequest,
  type ValidatingAdmissionPolicy,
} from '../helpers/k8s-cel.js';
import { findObject, renderOrSkip, type K8sObject } from '../helpers/k8s-manifests.js';

const POLICY = 'pod-security-labels-admins-only';
// The deploy job's user (k8s/access), and kubeadm's admin.conf and super-admin.conf users.
const DEPLOYER = {
  username: 'github:repo:octo-org/hello-api:environment:prod',
  groups: ['system:authenticated'],
};
const ADMIN = {
  username: 'kubernetes-admin',
  groups: ['kubeadm:cluster-admins', 'system:authenticated'],
};
const SUPER_ADMIN = {
  username: 'kubernetes-super-admin',
  groups: ['system:masters', 'system:authenticated'],
};
const RESTRICTED = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'v1.30',
};
const namespace = (labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: labels ? { name: 'prod', labels } : { name: 'prod' },
});
const update = (
  user: AdmissionRequest['userInfo'],
  from: object,
  to: object,
): AdmissionRequest => ({
  operation: 'UPDATE',
  userInfo: user,
  oldObject: from,
  object: to,
});

/** k8s/cluster as rendered, and the policy in it; undefined (test skipped) without kubectl. */
async function load(
  t: TestContext,
): Promise<{ cluster: K8sObject[]; policy: ValidatingAdmissionPolicy } | undefined> {
  const cluster = await renderOrSkip(t, 'k8s/cluster');
  if (!cluster) return undefined;
  const policy = cluster.find(
    (o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === POLICY,
  );
  assert.ok(policy, `k8s/cluster renders no ValidatingAdmissionPolicy/${POLICY}`);
  return { cluster, policy: policy as unknown as ValidatingAdmissionPolicy };
}

describe('pod-security-labels-admins-only', () => {
  test('is bound for every namespace with validationActions Deny, and fails closed', async (t) => {
    const loaded = await load(t);
    if (!loaded) return;
    const { cluster, policy } = loaded;
    const binding = cluster.find(
      (o) => o.kind === 'ValidatingAdmissionPolicyBinding',
    ) as unknown as {
      apiVersion: string;
      spec: { policyName: string; validationActions: string[]; matchResources?: unknown };
    };
    assert.equal(binding.apiVersion, 'admissionregistration.k8s.io/v1');
    assert.deepEqual(binding.spec, { policyName: POLICY, validationActions: ['Deny'] });
    assert.equal(
      (policy as unknown as { spec: { failurePolicy: string } }).spec.failurePolicy,
      'Fail',
    );
  });

  test("a deployer's relabel of its namespace to privileged is refused", async (t) => {
    const loaded = await load(t);
    if (!loaded) return;
    const { policy } = loaded;
    const privileged = { ...RESTRICTED, 'pod-security.kubernetes.io/enforce': 'privileged' };
    assert.match(
      refusal(policy, update(DEPLOYER, namespace(RESTRICTED), namespace(privileged))) ?? 'admitted',
      /added or changed by cluster admins only/,
    );
  });

  test('a deployer removing the enforce label is refused', async (t) => {
    const loaded = await load(t);
    if (!loaded) return;
    const { policy } = loaded;
    const rest: Record<string, string> = { ...RESTRICTED };
    delete rest['pod-security.kubernetes.io/enforce'];
    assert.match(
      refusal(policy, update(DEPLOYER, namespace(RESTRICTED), namespace(rest))) ?? 'admitted',
      /removed by cluster admins only/,
    );
    assert.match(
      refusal(policy, update(DEPLOYER, namespace(RESTRICTED), namespace())) ?? 'admitted',
      /removed by cluster admins only/,
    );
  });

  test('a non-admin creating a namespace with a Pod Security label is refused', async (t) => {
    const loaded = await load(t);
    if (!loaded) return;
    const { policy } = loaded;
    const request: AdmissionRequest = {
      operation: 'CREATE',
      userInfo: DEPLOYER,
      oldObject: null,
      object: namespace({ 'pod-security.kubernetes.io/enforce': 'privileged' }),
    };
    assert.match(refusal(policy, request) ?? 'admitted', /added or changed by cluster admins only/);
  });

  test('other labels, and re-applying the same Pod Security labels, stay allowed for everyone', async (t) => {
    const loaded = await load(t);
    if (!loaded) return;
    const { policy } = loaded;
    assert.equal(
      refusal(
        policy,
        update(DEPLOYER, namespace(RESTRICTED), namespace({ ...RESTRICTED, team: 'payments' })),
      ),
      undefined,
    );
    assert.equal(
      refusal(policy, update(DEPLOYER, namespace(RESTRICTED), namespace(RESTRICTED))),
      undefined,
    );
  });

  test("kubeadm's admin (kubeadm:cluster-admins) and super-admin (system:masters) may relabel", async (t) => {
    const loaded = await load(t);
    if (!loaded) return;
    const { policy } = loaded;
    const baseline = { ...RESTRICTED, 'pod-security.kubernetes.io/enforce': 'baseline' };
    for (const admin of [ADMIN, SUPER_ADMIN])
      assert.equal(
        refusal(policy, update(admin, namespace(RESTRICTED), namespace(baseline))),
        undefined,
        admin.username,
      );
  });

  test("the bootstrap's create of every namespace in k8s/cluster, restricted labels included, works", async (t) => {
    const loaded = await load(t);
    if (!loaded) return;
    const { cluster, policy } = loaded;
    const namespaces = cluster.filter((o) => o.kind === 'Namespace');
    assert.ok(namespaces.length >= 4);
    for (const object of namespaces) {
      const request: AdmissionRequest = {
        operation: 'CREATE',
        userInfo: ADMIN,
        oldObject: null,
        object,
      };
      assert.equal(refusal(policy, request), undefined, object.metadata.name);
      // The bootstrap applies them again on every boot: an unchanged update.
      assert.equal(refusal(policy, update(ADMIN, object, object)), undefined, object.metadata.name);
    }
    assert.ok(
      findObject(cluster, 'Namespace', 'prod', 'k8s/cluster').metadata.labels?.[
        'pod-security.kubernetes.io/enforce'
      ],
    );
  });
});
