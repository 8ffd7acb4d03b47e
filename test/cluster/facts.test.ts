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
import { kindClusterManifests, requiredSecrets } from '../../scripts/cluster/manifests.js';
import {
  DOWNLOADS,
  KIND_NODE_IMAGE,
  KIND_VERSION,
  KUBECTL_VERSION,
  KUBERNETES_MINOR,
  REGISTRY_IMAGE,
} from '../../scripts/cluster/pins.js';
import { RECEIVER_SECRET_NAME } from '../../scripts/monitor/receivers.js';
import {
  CONFIG_MAPS,
  receiverSecretKeys,
  shippedConfigMap,
} from '../../scripts/monitor/shipped-config.js';
import {
  ALERTS,
  APP,
  AUTOSCALED,
  CONDITIONAL_METRICS,
  ENVIRONMENTS,
  FAULT_TOKEN_VARIABLE,
  HEARTBEAT_RECEIVER,
  KIND_UNSERVED_JOBS,
  MONITORING,
  NAMESPACE_EDITOR,
  PSA_LABEL_PREFIX,
  RELOAD,
  ROLLBACK_ENVIRONMENT,
  SCRAPE_JOBS,
  TARGET_COUNTS,
  autoscaling,
  deployerUser,
  faultTokenSecret,
  fromAppPod,
  fromOtherNamespace,
  grafanaDashboards,
  DATASOURCE_CHECKS,
  grafanaDatasources,
  inhibitorsOf,
  labelPolicy,
  prometheusConfig,
  receiverKeys,
  receiverOfAlert,
  ruleFileGlobs,
  rulesMountPath,
  scrapeJobs,
  statefulSet,
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
  for (const component of [MONITORING.prometheus, MONITORING.alertmanager]) {
    const set = objects.find(
      (o) =>
        o.kind === 'StatefulSet' &&
        o.metadata.name === component.statefulSet &&
        o.metadata.namespace === MONITORING.namespace,
    );
    assert.ok(set, `no StatefulSet ${MONITORING.namespace}/${component.statefulSet}`);
    const spec = set.spec as {
      template: { spec: { containers: { name: string }[] } };
      volumeClaimTemplates?: { spec: { storageClassName?: string } }[];
    };
    assert.ok(
      spec.template.spec.containers.some((c) => c.name === component.container),
      `${component.statefulSet} has no container ${component.container}`,
    );
    // The persistence checks need claims, and kind's default class (`standard`) must serve them.
    const facts = statefulSet(component.statefulSet);
    assert.ok(facts.claims.length >= facts.replicas, `${component.statefulSet} claims no volume`);
    for (const claim of spec.volumeClaimTemplates ?? [])
      assert.equal(claim.spec.storageClassName, undefined, 'the cluster default class');
  }
  assert.ok(statefulSet(MONITORING.alertmanager.statefulSet).replicas >= 2, 'a gossip cluster');
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
  for (const name of [MONITORING.rulesConfigMap, MONITORING.alertmanagerConfigMap])
    assert.ok(
      objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === name),
      `no ConfigMap ${name} (the reload check edits it in place)`,
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
  // Where the fault switch is behind a token, the alerting check must know its Secret.
  const tokenSecret = faultTokenSecret();
  const tokenRead = JSON.stringify(
    objects.find(
      (o) =>
        o.kind === 'Deployment' &&
        o.metadata.name === APP.deployment &&
        o.metadata.namespace === ALERTS.faultEnvironment,
    ),
  ).includes(`"name":"${FAULT_TOKEN_VARIABLE}"`);
  assert.equal(tokenSecret !== undefined, tokenRead, `${FAULT_TOKEN_VARIABLE} comes from a Secret`);
  assert.equal(setting(ROLLBACK_ENVIRONMENT, 'FAULT_INJECTION_ENABLED'), 'false');
  assert.ok(
    objects.some(
      (o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.namespace === AUTOSCALED,
    ),
  );
});

test('scrape jobs, alerts, receivers, datasource and dashboards the suite names are in the monitoring config', () => {
  const jobs = scrapeJobs();
  assert.ok(jobs.length >= 9, jobs.join(', '));
  for (const job of [
    ...Object.values(SCRAPE_JOBS),
    ...Object.keys(KIND_UNSERVED_JOBS),
    ...Object.keys(TARGET_COUNTS),
  ])
    assert.ok(jobs.includes(job), `no scrape job ${job}`);
  const rules = Object.values(shippedConfigMap(CONFIG_MAPS.rules).data).join('\n');
  for (const alert of [ALERTS.errorRate, ALERTS.watchdog])
    assert.ok(rules.includes(`alert: ${alert}\n`), `no alert ${alert}`);
  // The keys the suite points at its receiver are the ones the shipped alertmanager.yml reads.
  assert.deepEqual(
    [...receiverKeys().entries()].sort(),
    [...receiverSecretKeys().entries()].sort(),
  );
  assert.equal(MONITORING.receiversSecret, RECEIVER_SECRET_NAME);
  assert.equal(receiverOfAlert(ALERTS.watchdog), HEARTBEAT_RECEIVER, 'Watchdog -> heartbeat');
  // The heartbeat check waits for these to stop firing; each must be a shipped alert.
  const inhibitors = inhibitorsOf(ALERTS.watchdog);
  assert.ok(inhibitors.length > 0, 'the Watchdog is inhibited while deliveries fail');
  for (const alert of inhibitors)
    assert.ok(rules.includes(`alert: ${alert}\n`), `no alert ${alert}`);
  const metrics = monitoredMetrics().map((m) => m.name);
  for (const name of Object.keys(CONDITIONAL_METRICS))
    assert.ok(metrics.includes(name), `${name} is no longer read`);
  const datasources = grafanaDatasources();
  assert.ok(datasources.length > 0);
  for (const { uid, type } of datasources)
    assert.ok(DATASOURCE_CHECKS[type], `e2e has no way to check datasource ${uid} of type ${type}`);
  assert.ok(grafanaDashboards().length > 0);
});

test("kind's etcd serves metrics off loopback on the port the etcd scrape job uses", () => {
  const config = parse(readFileSync(KIND_CONFIG, 'utf8')) as { kubeadmConfigPatches?: string[] };
  const patches = (config.kubeadmConfigPatches ?? []).map(
    (patch) =>
      parse(patch) as { kind?: string; etcd?: { local?: { extraArgs?: Record<string, string> } } },
  );
  const urls = (
    patches.find((p) => p.kind === 'ClusterConfiguration')?.etcd?.local?.extraArgs?.[
      'listen-metrics-urls'
    ] ?? ''
  )
    .split(',')
    .filter(Boolean)
    .map((url) => new URL(url));
  const etcd = prometheusConfig().scrape_configs?.find((job) => job.job_name === 'etcd');
  const address = etcd?.relabel_configs?.find((r) => r.target_label === '__address__');
  const port = /:(\d+)$/.exec(address?.replacement ?? '')?.[1];
  assert.ok(port, 'the etcd job sets the port it scrapes');
  assert.ok(urls.length > 0, 'kind-config.yaml patches listen-metrics-urls');
  for (const url of urls) assert.equal(url.port, port, url.href);
  assert.ok(
    urls.some((url) => !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)),
    'a listener Prometheus can reach from a pod',
  );
});

test('cluster-up applies k8s/cluster on kind without a StorageClass: kind keeps its default', async (t) => {
  if (!(await renderOrSkip(t, 'k8s/cluster'))) return;
  const applied = kindClusterManifests('kubectl');
  assert.deepEqual(
    applied.filter(
      (m) => m.kind === 'StorageClass' || m.metadata?.namespace === 'local-path-storage',
    ),
    [],
  );
  assert.ok(
    applied.some((m) => m.kind === 'ValidatingAdmissionPolicy'),
    'the label policy stays',
  );
});

test('the reload check adds what Prometheus and Alertmanager would load and nothing shipped has', () => {
  const mounted = `${rulesMountPath()}/${RELOAD.ruleKey}`;
  const glob = (pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  assert.ok(
    ruleFileGlobs().some((pattern) => glob(pattern).test(mounted)),
    `${mounted} matches none of rule_files ${ruleFileGlobs().join(', ')}`,
  );
  const rules = shippedConfigMap(CONFIG_MAPS.rules).data;
  assert.equal(rules[RELOAD.ruleKey], undefined, "the key is the check's own");
  for (const name of [RELOAD.group, RELOAD.record])
    assert.ok(!Object.values(rules).join('\n').includes(name), `${name} is shipped`);
  assert.ok(!receiverSecretKeys().has(RELOAD.receiver), "the receiver is the check's own");
});

test('the access checks name real users, the label policy and its admin groups', async (t) => {
  if (!(await renderOrSkip(t, 'k8s/access'))) return;
  for (const env of ENVIRONMENTS)
    assert.match(deployerUser(env), new RegExp(`:environment:${env}$`), `${env} deployer`);
  const policy = labelPolicy();
  assert.deepEqual([...policy.adminGroups].sort(), ['kubeadm:cluster-admins', 'system:masters']);
  const cluster = readFileSync(repoPath('k8s/cluster/pod-security-labels-policy.yaml'), 'utf8');
  assert.ok(cluster.includes(`'${PSA_LABEL_PREFIX}'`), 'the policy guards the PSA labels');
  const everything = readdirSync(repoPath('k8s'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => readFileSync(join(repoPath('k8s'), file), 'utf8'))
    .join('\n');
  assert.ok(!everything.includes(NAMESPACE_EDITOR), `${NAMESPACE_EDITOR} is the suite's own user`);
  const { minReplicas, maxReplicas, initialReplicas } = autoscaling();
  assert.ok(
    minReplicas <= initialReplicas && initialReplicas <= maxReplicas,
    `${AUTOSCALED} starts at ${initialReplicas}, within ${minReplicas}-${maxReplicas}`,
  );
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
