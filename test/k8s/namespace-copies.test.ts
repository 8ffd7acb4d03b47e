// k8s/cluster defines the namespaces and their Pod Security labels; k8s/monitoring repeats the
// monitoring Namespace so that `kubectl apply -k k8s/monitoring` stands alone. Whichever is
// applied last sets the labels, so the copy must carry exactly the same Pod Security labels, or
// applying the monitoring stack would quietly change its namespace's admission level.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderOrSkip, type K8sObject } from '../helpers/k8s-manifests.js';

const PSA_PREFIX = 'pod-security.kubernetes.io/';

/** Namespace name -> its Pod Security labels, for every Namespace a tree renders. */
function podSecurityLabels(objects: K8sObject[]): Map<string, Record<string, string>> {
  return new Map(
    objects
      .filter((object) => object.kind === 'Namespace')
      .map((namespace) => [
        namespace.metadata.name,
        Object.fromEntries(
          Object.entries(namespace.metadata.labels ?? {}).filter(([key]) =>
            key.startsWith(PSA_PREFIX),
          ),
        ),
      ]),
  );
}

test("k8s/monitoring's copy of a k8s/cluster Namespace has the same Pod Security labels", async (t) => {
  const cluster = await renderOrSkip(t, 'k8s/cluster');
  const monitoring = await renderOrSkip(t, 'k8s/monitoring');
  if (!cluster || !monitoring) return;
  const defined = podSecurityLabels(cluster);
  const copies = [...podSecurityLabels(monitoring)].filter(([name]) => defined.has(name));
  assert.deepEqual(
    copies.map(([name]) => name),
    ['monitoring'],
    'the Namespaces both trees render',
  );
  for (const [name, labels] of copies)
    assert.deepEqual(labels, defined.get(name), `Namespace ${name}: k8s/monitoring vs k8s/cluster`);
});
