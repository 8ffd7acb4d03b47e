// Cross-checks the manifests against the service itself: the ConfigMap and Secret only name
// variables src/config.ts reads and hold values it accepts; the probes, Service and scrape
// annotations point at ports and paths the app really serves, and each probe at the route that
// behaves as that probe needs: the built app is asked which of its routes follows the lifecycle
// (readiness), rather than a path being written down here.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Container } from 'kubernetes-types/core/v1.js';
import { CONFIG_VARIABLE_NAMES, loadConfig } from '../../src/config.js';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { appFor, testConfig } from '../helpers/app.js';
import {
  ENVIRONMENTS,
  findGenerated,
  findObject,
  overlayDir,
  renderOrSkip,
} from '../helpers/k8s-manifests.js';

/** Node.js runtime variables the manifests may set although the service does not read them. */
const RUNTIME_VARIABLES = ['NODE_OPTIONS'];

/**
 * What each GET route of the built app (every path of its OpenAPI document without parameters,
 * plus `extra` paths) answers while starting, once ready, and once draining, in that order.
 */
async function lifecycleAnswers(
  t: TestContext,
  env: Record<string, string>,
  extra: readonly string[],
): Promise<Map<string, number[]>> {
  const app = await buildApp(testConfig(env), { logger: pino({ level: 'silent' }) });
  t.after(() => app.close());
  await app.ready();
  const operations = (app.swagger().paths ?? {}) as Record<string, { get?: unknown } | undefined>;
  const documented = Object.entries(operations)
    .filter(([path, methods]) => methods?.get !== undefined && !path.includes('{'))
    .map(([path]) => path);
  const paths = [...new Set([...documented, ...extra])];
  const answers = new Map(paths.map((path) => [path, [] as number[]]));
  const ask = async () => {
    for (const path of paths) answers.get(path)?.push((await app.inject(path)).statusCode);
  };
  await ask();
  app.lifecycle.markReady();
  await ask();
  app.lifecycle.beginDraining();
  await ask();
  return answers;
}

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

  test(`${env}: the service accepts the ConfigMap; the readinessProbe is the route that follows the lifecycle, liveness and startup never fail for it; metrics are served`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const data = findGenerated(objects, 'ConfigMap', 'hello-api-config', env).data ?? {};
    const config = loadConfig(data); // throws ConfigError naming any value the service rejects
    assert.equal(config.appEnv, env, `${env} ConfigMap: APP_ENV`);

    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    const container = deployment.spec?.template.spec?.containers[0];
    assert.ok(container, `${env} Deployment/hello-api: container`);
    const where = `${env} Deployment/hello-api container hello-api`;
    const probes = {
      startupProbe: container.startupProbe,
      livenessProbe: container.livenessProbe,
      readinessProbe: container.readinessProbe,
    };
    const paths: Record<string, string> = {};
    for (const [name, probe] of Object.entries(probes)) {
      const path = probe?.httpGet?.path;
      assert.ok(path, `${where}: ${name} needs an httpGet path`);
      assert.equal(
        resolvePort(container, probe.httpGet?.port),
        config.port,
        `${where}: ${name} port must be the service's PORT`,
      );
      paths[name] = path;
    }
    const answers = await lifecycleAnswers(t, data, Object.values(paths));
    // Readiness: the one route that keeps traffic away while starting and draining.
    const readiness = [...answers].filter(([, codes]) => codes.join() === '503,200,503');
    assert.deepEqual(
      readiness.map(([path]) => path),
      [paths.readinessProbe],
      `${where}: readinessProbe must be the route that answers 503 while starting and draining, 200 between`,
    );
    // Liveness and startup never fail a pod for its lifecycle: a draining pod restarted by its
    // liveness probe would drop the requests it is finishing.
    for (const name of ['livenessProbe', 'startupProbe'])
      assert.deepEqual(
        answers.get(paths[name] ?? ''),
        [200, 200, 200],
        `${where}: ${name} ${paths[name]} must answer 200 while starting, ready and draining`,
      );

    const app = await appFor(t, data);
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
