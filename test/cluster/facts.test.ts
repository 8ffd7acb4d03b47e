// What the kind cluster and the e2e suite assume about the rest of the repository, checked
// against the real files: the kind config publishes exactly the rendered NodePorts, the pins agree
// with each other and with every other place that names kind or its node image, and every name in
// test/e2e/lib/facts.ts exists in the manifests. A change elsewhere that breaks an assumption fails
// here, in `make test`, instead of in the cluster job.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { KIND_CONFIG } from '../../scripts/cluster/layout.js';
import { requiredSecrets } from '../../scripts/cluster/manifests.js';
import {
  DOWNLOADS,
  KIND_NODE_IMAGE,
  KIND_VERSION,
  KUBECTL_VERSION,
  KUBERNETES_MINOR,
  REGISTRY_IMAGE,
} from '../../scripts/cluster/pins.js';
import { CONFIG_MAPS, shippedConfigMap } from '../../scripts/monitor/shipped-config.js';
import {
  ALERTS,
  APP,
  AUTOSCALED,
  CONDITIONAL_METRICS,
  ENVIRONMENTS,
  MONITORING,
  ROLLBACK_ENVIRONMENT,
  SCRAPE_JOBS,
  fromAppPod,
  fromOtherNamespace,
  grafanaDashboards,
  grafanaDatasourceUids,
  receiverKeys,
  receiverOfAlert,
} from '../e2e/lib/facts.js';
import { monitoredMetrics } from '../e2e/lib/metrics.js';
import { renderOrSkip, type K8sObject } from '../helpers/k8s-manifests.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';

interface KindConfig {
  nodes: {
    role: string;
    extraPortMappings?: { containerPort: number; hostPort: number; listenAddress?: string }[];
  }[];
}

async function allRendered(
  t: Parameters<typeof renderOrSkip>[0],
): Promise<K8sObject[] | undefined> {
  const trees = [
    ...ENVIRONMENTS.map((env) => `k8s/overlays/${env}`),
    'k8s/monitoring',
    'k8s/cluster',
  ];
  const objects: K8sObject[] = [];
  for (const tree of trees) {
    const rendered = await renderOrSkip(t, tree);
    if (!rendered) return undefined;
    objects.push(...rendered);
  }
  return objects;
}

const nodePorts = (objects: K8sObject[]) =>
  objects
    .filter((o) => o.kind === 'Service')
    .flatMap((o) =>
      ((o.spec as { ports?: { nodePort?: number }[] }).ports ?? []).map((p) => p.nodePort),
    )
    .filter((port): port is number => port !== undefined)
    .sort();

test('the kind config publishes exactly the rendered NodePorts, on loopback, from the control plane', async (t) => {
  const objects = await allRendered(t);
  if (!objects) return;
  const config = parse(readFileSync(KIND_CONFIG, 'utf8')) as KindConfig;
  assert.deepEqual(
    config.nodes.map((n) => n.role),
    ['control-plane', 'worker', 'worker'],
  );
  const mappings = config.nodes.flatMap((n) => n.extraPortMappings ?? []);
  assert.deepEqual(
    config.nodes.slice(1).flatMap((n) => n.extraPortMappings ?? []),
    [],
    'only the control plane',
  );
  assert.deepEqual(mappings.map((m) => m.containerPort).sort(), nodePorts(objects));
  for (const mapping of mappings) {
    assert.equal(mapping.hostPort, mapping.containerPort, 'same port on the host');
    assert.equal(mapping.listenAddress, '127.0.0.1', `${mapping.containerPort} only on loopback`);
  }
});

test('the pins agree: node image for Kubernetes 1.30 by digest, kubectl 1.30, downloads of those versions', () => {
  assert.match(
    KIND_NODE_IMAGE,
    new RegExp(
      `^kindest/node:v${KUBERNETES_MINOR.replace('.', '\\.')}\\.\\d+@sha256:[0-9a-f]{64}$`,
    ),
  );
  assert.match(KUBECTL_VERSION, new RegExp(`^v${KUBERNETES_MINOR.replace('.', '\\.')}\\.\\d+$`));
  assert.match(REGISTRY_IMAGE, /^docker\.io\/library\/registry:2\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
  assert.ok(DOWNLOADS.kind.url.includes(`/${KIND_VERSION}/`));
  assert.ok(DOWNLOADS.kubectl.url.includes(`/${KUBECTL_VERSION}/`));
  for (const download of Object.values(DOWNLOADS)) assert.match(download.sha256, /^[0-9a-f]{64}$/);
});

test('the namespaces enforce Pod Security at the Kubernetes minor the cluster runs', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/cluster');
  if (!objects) return;
  const versions = new Set(
    objects
      .filter((o) => o.kind === 'Namespace')
      .map((o) => o.metadata.labels?.['pod-security.kubernetes.io/enforce-version']),
  );
  assert.deepEqual([...versions], [`v${KUBERNETES_MINOR}`]);
});

test('every kind node image and kind release named in the workflows and docs is the pinned one', () => {
  const files = [
    ...readdirSync(repoPath('.github/workflows')).map((name) => `.github/workflows/${name}`),
    ...readdirSync(repoPath('docs')).map((name) => `docs/${name}`),
    'README.md',
  ];
  for (const file of files) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const match of text.matchAll(/kindest\/node:v[\d.]+@sha256:[0-9a-f]{64}/g))
      assert.equal(match[0], KIND_NODE_IMAGE, `${file} pins another node image`);
    for (const match of text.matchAll(/kubernetes-sigs\/kind\/releases\/download\/(v[\d.]+)\//g))
      assert.equal(match[1], KIND_VERSION, `${file} downloads another kind`);
  }
});

test("the suite's names exist in the manifests: Services, ports, workloads, Secrets, labels", async (t) => {
  const objects = await allRendered(t);
  if (!objects) return;
  const service = (namespace: string, name: string) =>
    objects.find(
      (o) => o.kind === 'Service' && o.metadata.name === name && o.metadata.namespace === namespace,
    );
  for (const target of [...fromOtherNamespace(), ...fromAppPod()]) {
    const host = /^http:\/\/([^.]+)\.([^.]+)\.svc\.cluster\.local:(\d+)\//.exec(target.url);
    assert.ok(host?.[1] && host[2] && host[3], target.url);
    const found = service(host[2], host[1]);
    assert.ok(found, `no Service ${host[2]}/${host[1]} for "${target.name}"`);
    const ports = (found.spec as { ports: { port: number }[] }).ports.map((p) => p.port);
    assert.ok(ports.includes(Number(host[3])), `${host[1]} has no port ${host[3]}`);
  }
  const workload = objects.find(
    (o) =>
      `${o.kind.toLowerCase()}/${o.metadata.name}` === MONITORING.alertmanager.workload &&
      o.metadata.namespace === MONITORING.namespace,
  );
  assert.ok(workload, `no ${MONITORING.alertmanager.workload} in ${MONITORING.namespace}`);
  const grafanaSecret = requiredSecrets(objects).get(
    `${MONITORING.namespace}/${MONITORING.grafana.adminSecret}`,
  );
  for (const key of [MONITORING.grafana.userKey, MONITORING.grafana.passwordKey])
    assert.ok(
      grafanaSecret?.keys.has(key),
      `Grafana does not read ${MONITORING.grafana.adminSecret}/${key}`,
    );
  assert.ok(
    JSON.stringify(objects).includes(`"secretName":"${MONITORING.receiversSecret}"`),
    `nothing mounts ${MONITORING.receiversSecret}`,
  );
  for (const env of ENVIRONMENTS) {
    const deployment: K8sObject | undefined = objects.find(
      (o) =>
        o.kind === 'Deployment' &&
        o.metadata.name === APP.deployment &&
        o.metadata.namespace === env,
    );
    const [key, value] = APP.selector.split('=');
    assert.equal(
      (
        deployment?.spec as
          { template: { metadata: { labels: Record<string, string> } } } | undefined
      )?.template.metadata.labels[key ?? ''],
      value,
      `${env} pods carry ${APP.selector}`,
    );
  }
});

test('the environments have the roles the suite gives them: faults in dev, HPA in prod, no faults where it rolls back', async (t) => {
  const objects = await allRendered(t);
  if (!objects) return;
  const setting = (env: string, name: string) =>
    objects
      .filter((o) => o.kind === 'ConfigMap' && o.metadata.namespace === env)
      .map((o) => (o.data as Record<string, string> | undefined)?.[name])
      .find((value) => value !== undefined);
  assert.equal(setting(ALERTS.faultEnvironment, 'FAULT_INJECTION_ENABLED'), 'true');
  assert.equal(setting(ROLLBACK_ENVIRONMENT, 'FAULT_INJECTION_ENABLED'), 'false');
  assert.ok(
    objects.some(
      (o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.namespace === AUTOSCALED,
    ),
  );
});

test('scrape jobs, alerts, receivers, datasource and dashboards the suite names are in the monitoring config', () => {
  const prometheus = parse(
    Object.values(shippedConfigMap(CONFIG_MAPS.prometheus).data)[0] ?? '',
  ) as {
    scrape_configs: { job_name: string }[];
  };
  const jobs = prometheus.scrape_configs.map((job) => job.job_name);
  for (const job of [...Object.values(SCRAPE_JOBS), 'alertmanager'])
    assert.ok(jobs.includes(job), `no scrape job ${job}`);
  const rules = Object.values(shippedConfigMap(CONFIG_MAPS.rules).data).join('\n');
  for (const alert of [ALERTS.errorRate, ALERTS.watchdog])
    assert.ok(rules.includes(`alert: ${alert}\n`), `no alert ${alert}`);
  assert.ok(receiverKeys().size > 0, 'receivers read URLs from the Secret');
  assert.notEqual(receiverOfAlert(ALERTS.watchdog), undefined, 'the Watchdog has its own route');
  const metrics = monitoredMetrics().map((m) => m.name);
  for (const name of Object.keys(CONDITIONAL_METRICS))
    assert.ok(metrics.includes(name), `${name} is no longer read`);
  assert.ok(grafanaDatasourceUids().length > 0);
  assert.ok(grafanaDashboards().length > 0);
});

test('make test never runs the cluster suite: test/e2e holds *.e2e.ts files and helpers only', () => {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
    );
  const files = walk(repoPath('test/e2e'));
  assert.ok(files.some((file) => file.endsWith('.e2e.ts')));
  assert.deepEqual(
    files.filter((file) => file.endsWith('.test.ts')),
    [],
  );
});

test('every e2e test declares its own timeout: the runner default is far shorter than a cluster wait', () => {
  const dir = repoPath('test/e2e');
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.e2e.ts'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    const tests = text.match(/\btest\(/g)?.length ?? 0;
    const timed =
      text.match(/\btest\(\s*(['"`])(?:(?!\1)[\s\S])*\1,\s*\{\s*timeout:/g)?.length ?? 0;
    assert.ok(tests > 0, `${name} has no test`);
    assert.equal(timed, tests, `${name}: ${tests - timed} test(s) without { timeout }`);
  }
});
