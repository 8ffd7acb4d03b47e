// Every rendered object against the Kubernetes 1.30 API schemas, failing on unknown fields,
// wrong types and missing required fields, and proof that the validator does reject those.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TREES,
  findObject,
  objectName,
  overlayDir,
  renderOrSkip,
} from '../helpers/k8s-manifests.js';
import { KUBERNETES_TYPES_VERSION, schemaErrors } from '../helpers/k8s-schema.js';

test('the schemas are those of Kubernetes 1.30', () => {
  assert.match(KUBERNETES_TYPES_VERSION, /^1\.30\./, 'kubernetes-types must stay on 1.30.x');
});

for (const tree of TREES) {
  test(`${tree}: every object is valid against the Kubernetes 1.30 schemas`, async (t) => {
    const objects = await renderOrSkip(t, tree);
    if (!objects) return;
    assert.ok(objects.length > 0, `${tree} renders no objects`);
    const problems: string[] = [];
    for (const object of objects)
      for (const error of await schemaErrors(object))
        problems.push(`${tree} ${objectName(object)}: ${error}`);
    assert.deepEqual(problems, [], problems.join('\n'));
  });
}

/** The dev Deployment, deep-copied so a test can break it. */
async function devDeployment(t: Parameters<typeof renderOrSkip>[0]) {
  const objects = await renderOrSkip(t, overlayDir('dev'));
  if (!objects) return undefined;
  return structuredClone(findObject(objects, 'Deployment', 'hello-api', 'dev'));
}

test('the validator rejects an unknown field, naming its path', async (t) => {
  const deployment = await devDeployment(t);
  if (!deployment) return;
  const container = deployment.spec?.template.spec?.containers[0];
  assert.ok(container?.readinessProbe?.httpGet);
  Object.assign(container.readinessProbe.httpGet, { paht: '/readyz' });
  assert.deepEqual(await schemaErrors(deployment), [
    'spec.template.spec.containers[0].readinessProbe.httpGet.paht: unknown field (HTTPGetAction has no field "paht")',
  ]);
});

test('the validator rejects a field that Kubernetes 1.30 does not have yet', async (t) => {
  const deployment = await devDeployment(t);
  if (!deployment?.spec?.template.spec) return;
  // Pod-level resources arrived in 1.32; a 1.30 API server with strict validation refuses them.
  Object.assign(deployment.spec.template.spec, { resources: { limits: { cpu: '1' } } });
  const errors = await schemaErrors(deployment);
  assert.ok(
    errors.includes(
      'spec.template.spec.resources: unknown field (PodSpec has no field "resources")',
    ),
    errors.join('\n'),
  );
});

test('the validator rejects wrong types and missing required fields', async (t) => {
  const deployment = await devDeployment(t);
  if (!deployment?.spec?.template.spec) return;
  Object.assign(deployment.spec, { replicas: '3' });
  const container = deployment.spec.template.spec.containers[0];
  assert.ok(container?.resources?.limits);
  Object.assign(container.resources.limits, { memory: 256 });
  Reflect.deleteProperty(container, 'name');
  const errors = await schemaErrors(deployment);
  for (const expected of [
    'spec.replicas: expected number, got string "3"',
    'spec.template.spec.containers[0].resources.limits.memory: expected string, got number 256',
    'spec.template.spec.containers[0].name: required field is missing (Container)',
    'data/spec/replicas must be integer',
  ])
    assert.ok(
      errors.some((error) => error.includes(expected)),
      `expected "${expected}" among:\n${errors.join('\n')}`,
    );
});

test('the validator rejects an unknown kind', async () => {
  const errors = await schemaErrors({
    apiVersion: 'apps/v1',
    kind: 'Deploymnet',
    metadata: { name: 'typo' },
  });
  assert.deepEqual(errors.slice(0, 1), ['kind Deploymnet does not exist in apps/v1']);
});
