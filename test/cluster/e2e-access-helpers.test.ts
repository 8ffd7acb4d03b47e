// The e2e access checks say which part of the API server refused a request from its error line.
// The lines here follow the API server's own formats: RBAC's forbidden message
// (k8s.io/apiserver pkg/endpoints/handlers/responsewriters/errors.go, as kubectl prints it) and a
// ValidatingAdmissionPolicy denial (k8s.io/apiserver pkg/admission/plugin/policy/validating
// dispatcher.go: "ValidatingAdmissionPolicy '<policy>' with binding '<binding>' denied request").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusedBy } from '../e2e/lib/access.js';

const POLICY = 'pod-security-labels-admins-only';

test('an RBAC refusal, namespaced or cluster-wide, is named RBAC', () => {
  assert.equal(
    refusedBy(
      'Error from server (Forbidden): namespaces "dev" is forbidden: User "github:repo:o/r:environment:dev" cannot get resource "namespaces" in API group "" in the namespace "dev"',
      POLICY,
    ),
    'RBAC',
  );
  assert.equal(
    refusedBy(
      'Error from server (Forbidden): namespaces "dev" is forbidden: User "x" cannot patch resource "namespaces" in API group "" at the cluster scope',
      POLICY,
    ),
    'RBAC',
  );
});

test("the label policy's denial is named the admission policy, another policy's is not", () => {
  const line = (policy: string) =>
    `Error from server (Forbidden): namespaces "dev" is forbidden: ValidatingAdmissionPolicy '${policy}' with binding '${policy}' denied request: pod-security.kubernetes.io/* labels may be added or changed by cluster admins only`;
  assert.equal(refusedBy(line(POLICY), POLICY), 'admission policy');
  assert.equal(refusedBy(line('another-policy'), POLICY), undefined);
  assert.equal(refusedBy('error: unable to connect to the server', POLICY), undefined);
});
