// The fault token in the manifests: dev, where fault injection is on, reads FAULT_TOKEN from the
// Secret hello-api-fault-token through an optional reference (a pod starts without it, and the
// switch is then read-only); no environment ever carries a token in plain text (a ConfigMap or
// an env value), and stage and prod, where fault injection is off, do not reference it at all.
// The rendered dev configuration with and without the token, built in-process, shows both
// behaviours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appFor } from '../helpers/app.js';
import { FAULT_AUTH, TEST_FAULT_TOKEN } from '../helpers/fault-token.js';
import {
  ENVIRONMENTS,
  findGenerated,
  findObject,
  overlayDir,
  renderOrSkip,
} from '../helpers/k8s-manifests.js';

const TOKEN_VARIABLES = ['FAULT_TOKEN', 'FAULT_TOKEN_FILE'];

for (const env of ENVIRONMENTS) {
  test(`${env}: FAULT_TOKEN only from the optional Secret hello-api-fault-token, and only in dev`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const data = findGenerated(objects, 'ConfigMap', 'hello-api-config', env).data ?? {};
    for (const name of TOKEN_VARIABLES) {
      assert.ok(!(name in data), `${env} ConfigMap must not hold ${name}`);
    }
    const container = findObject(objects, 'Deployment', 'hello-api', env).spec?.template.spec
      ?.containers[0];
    assert.ok(container, `${env} Deployment/hello-api: container`);
    const token = (container.env ?? []).filter((variable) =>
      TOKEN_VARIABLES.includes(variable.name),
    );
    if (env !== 'dev') {
      assert.deepEqual(token, [], `${env}: fault injection is off, so no token is referenced`);
      return;
    }
    assert.deepEqual(
      token,
      [
        {
          name: 'FAULT_TOKEN',
          valueFrom: {
            secretKeyRef: { name: 'hello-api-fault-token', key: 'FAULT_TOKEN', optional: true },
          },
        },
      ],
      'dev: FAULT_TOKEN from the Secret, optional',
    );
  });
}

test('dev: without the Secret the switch is read-only; with it, PUT /faults needs the token', async (t) => {
  const objects = await renderOrSkip(t, overlayDir('dev'));
  if (!objects) return;
  const data = findGenerated(objects, 'ConfigMap', 'hello-api-config', 'dev').data ?? {};
  const put = { method: 'PUT' as const, url: '/faults', payload: { errorRate: 0 } };

  const withoutSecret = await appFor(t, data);
  assert.equal((await withoutSecret.inject('/faults')).statusCode, 200);
  assert.equal((await withoutSecret.inject({ ...put, headers: FAULT_AUTH })).statusCode, 405);

  const withSecret = await appFor(t, { ...data, FAULT_TOKEN: TEST_FAULT_TOKEN });
  assert.equal((await withSecret.inject(put)).statusCode, 401);
  assert.equal((await withSecret.inject({ ...put, headers: FAULT_AUTH })).statusCode, 200);
});
