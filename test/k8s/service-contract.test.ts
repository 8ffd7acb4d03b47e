// Cross-checks the manifests against the service itself: the ConfigMap and Secret only name
// variables src/config.ts reads and hold values it accepts; the probes, Service and scrape
// annotations point at ports and paths the app really serves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container } from 'kubernetes-types/core/v1.js';
import { CONFIG_VARIABLE_NAMES, loadConfig } from '../../src/config.js';
import { appWith } from '../helpers/app.js';
import {
  ENVIRONMENTS,
  findGenerated,
  findObject,
  overlayDir,
  renderOrSkip,
} from '../helpers/k8s-manifests.js';

/** Node.js runtime variables the manifests may set although the service does not read them. */
const RUNTIME_VARIABLES = ['NODE_OPTIONS'];

/** The container port a probe or Service refers to, by name or number. */
function resolvePort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

for (const env of ENVIRONMENTS) {
  test(`${env}: ConfigMap and Secret name only variables the service reads`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const allowed = new Set([...CONFIG_VARIABLE_NAMES, ...RUNTIME_VARIABLES]);
    const data = findGenerated(objects, 'ConfigMap', 'hello-api-config', env).data ?? {};
    const container = findObject(objects, 'Deployment', 'hello-api', env).spec?.template.spec
      ?.containers[0];
    assert.ok(container, `${env} Deployment/hello-api: container`);
    const names = [
      ...Object.keys(data).map((name) => `ConfigMap key ${name}`),
      ...(container.env ?? []).map((variable) => `env ${variable.name}`),
    ];
    const unknown = names.filter((name) => !allowed.has(name.split(' ').at(-1) ?? ''));
    assert.deepEqual(unknown, [], `${env}: not in CONFIG_VARIABLE_NAMES (src/config.ts)`);
    const secret = container.env?.find((variable) => variable.name === 'SECRET_MESSAGE');
    assert.deepEqual(
      [secret?.name, secret?.valueFrom?.secretKeyRef?.name, secret?.valueFrom?.secretKeyRef?.key],
      ['SECRET_MESSAGE', 'hello-api-secret', 'SECRET_MESSAGE'],
      `${env} Deployment/hello-api: SECRET_MESSAGE from Secret hello-api-secret`,
    );
    assert.deepEqual(
      container.envFrom?.map((source) => source.configMapRef?.name),
      [findGenerated(objects, 'ConfigMap', 'hello-api-config', env).metadata.name],
      `${env} Deployment/hello-api: envFrom the generated ConfigMap`,
    );
  });

  test(`${env}: the service accepts the ConfigMap and serves the probe and metrics paths`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const data = findGenerated(objects, 'ConfigMap', 'hello-api-config', env).data ?? {};
    const config = loadConfig(data); // throws ConfigError naming any value the service rejects
    assert.equal(config.appEnv, env, `${env} ConfigMap: APP_ENV`);

    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    const container = deployment.spec?.template.spec?.containers[0];
    assert.ok(container, `${env} Deployment/hello-api: container`);
    const where = `${env} Deployment/hello-api container hello-api`;
    const app = await appWith(data);
    t.after(() => app.close());
    for (const [name, probe] of [
      ['startupProbe', container.startupProbe],
      ['livenessProbe', container.livenessProbe],
      ['readinessProbe', container.readinessProbe],
    ] as const) {
      const path = probe?.httpGet?.path;
      assert.ok(path, `${where}: ${name} needs an httpGet path`);
      assert.equal(
        resolvePort(container, probe.httpGet?.port),
        config.port,
        `${where}: ${name} port must be the service's PORT`,
      );
      const response = await app.inject(path);
      assert.equal(response.statusCode, 200, `${where}: ${name} GET ${path} must answer 200`);
    }

    const annotations = deployment.spec?.template.metadata?.annotations ?? {};
    assert.equal(
      Number(annotations['prometheus.io/port']),
      config.port,
      `${where}: prometheus.io/port must be the service's PORT`,
    );
    const metricsPath = annotations['prometheus.io/path'] ?? '';
    const metrics = await app.inject(metricsPath);
    assert.equal(metrics.statusCode, 200, `${where}: GET ${metricsPath} must answer 200`);
    assert.match(
      String(metrics.headers['content-type']),
      /^text\/plain; version=0\.0\.4/,
      `${where}: ${metricsPath} must serve the Prometheus text format`,
    );
    assert.match(metrics.body, /^# TYPE http_request_duration_seconds histogram$/m);

    // Fault injection follows the environment table: on in dev only.
    const faults = await app.inject('/faults');
    assert.equal(
      faults.statusCode,
      env === 'dev' ? 200 : 404,
      `${env}: GET /faults must be ${env === 'dev' ? 'served' : 'absent'}`,
    );
  });

  test(`${env}: Service and container ports agree with the service's PORT`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const data = findGenerated(objects, 'ConfigMap', 'hello-api-config', env).data ?? {};
    const port = loadConfig(data).port;
    const container = findObject(objects, 'Deployment', 'hello-api', env).spec?.template.spec
      ?.containers[0];
    assert.ok(container, `${env} Deployment/hello-api: container`);
    const servicePort = findObject(objects, 'Service', 'hello-api', env).spec?.ports?.[0];
    assert.equal(
      resolvePort(container, servicePort?.targetPort),
      port,
      `${env} Service/hello-api: targetPort must reach the service's PORT`,
    );
    assert.equal(servicePort?.port, port, `${env} Service/hello-api: port`);
  });
}

test('/readyz, the readiness probe path, turns 503 once shutdown begins', async () => {
  // Readiness must really change with the lifecycle, or the probe would route traffic to a
  // pod that is shutting down.
  const app = await appWith({});
  const ready = await app.inject('/readyz');
  assert.equal(ready.statusCode, 200);
  app.lifecycle.beginDraining();
  const draining = await app.inject('/readyz');
  assert.equal(draining.statusCode, 503, '/readyz must be 503 once shutdown begins');
  await app.close();
});
