// k8s/monitoring as `kubectl apply -k` would send it: valid Kubernetes 1.30 objects, restricted
// Pod Security (node-exporter's hostPath volumes aside, in their own namespace), images pinned
// by version and digest, read-only RBAC, the NodePort the README promises, Prometheus and Alertmanager as
// StatefulSets on claims of the default class sized for their retention, config reloaders
// watching what the engines read, fixed-name ConfigMaps that carry exactly the files the other
// monitoring tests check, and no Secret in git.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { DaemonSet, Deployment, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type {
  ConfigMap,
  Container,
  Namespace,
  PodSpec,
  Service,
} from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { ClusterRole } from 'kubernetes-types/rbac/v1.js';
import { parse } from 'yaml';
import { RECEIVER_SECRET_NAME, RECEIVER_SECRETS_DIR } from '../../scripts/monitor/receivers.js';
import {
  ALERTMANAGER_CONFIG_KEY,
  CONFIG_MAPS,
  PROMETHEUS_CONFIG_KEY,
  shippedConfigMaps,
} from '../../scripts/monitor/shipped-config.js';
import { objectName, renderOrSkip, type K8sObject } from '../helpers/k8s-manifests.js';
import { restrictedViolations } from '../helpers/k8s-policy.js';
import { bytes } from '../helpers/k8s-quantity.js';
import { schemaErrors } from '../helpers/k8s-schema.js';
import { readmeSection } from '../helpers/markdown-tables.js';
import { repoPath } from '../helpers/paths.js';

const DIR = 'k8s/monitoring';
/** The node-exporter namespace holds its DaemonSet and policies; everything else is in monitoring. */
const NODE_EXPORTER_KINDS = new Set(['DaemonSet', 'NetworkPolicy']);

type Workload = (Deployment | StatefulSet | DaemonSet) & K8sObject;

function ofKind<T>(objects: K8sObject[], kind: string): (T & K8sObject)[] {
  return objects.filter((object) => object.kind === kind) as (T & K8sObject)[];
}

function workloads(objects: K8sObject[]): Workload[] {
  return objects.filter((o) =>
    ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind),
  ) as Workload[];
}

function workload(objects: K8sObject[], kind: string, name: string): Workload {
  const found = workloads(objects).find((w) => w.kind === kind && w.metadata.name === name);
  assert.ok(found, `${DIR} renders no ${kind}/${name}`);
  return found;
}

function podOf(w: Workload): PodSpec {
  const pod = w.spec?.template.spec;
  assert.ok(pod, `${objectName(w)} has no pod template`);
  return pod;
}

function container(w: Workload, name: string): Container {
  const found = podOf(w).containers.find((c) => c.name === name);
  assert.ok(found, `${objectName(w)} has no container ${name}`);
  return found;
}

/** The rendered ConfigMap `name`: generated with a fixed name, so edits reload in place. */
function generated(objects: K8sObject[], name: string): ConfigMap {
  const found = ofKind<ConfigMap>(objects, 'ConfigMap').filter((map) => map.metadata.name === name);
  assert.equal(found.length, 1, `${DIR} renders ${found.length} ConfigMaps named ${name}`);
  return found[0] as ConfigMap;
}

const mountOf = (c: Container, volumeName: string) =>
  c.volumeMounts?.find((m) => m.name === volumeName)?.mountPath;
const volumeOf = (w: Workload, configMap: string) =>
  podOf(w).volumes?.find((v) => v.configMap?.name === configMap);

test('k8s/monitoring renders and every object is valid for Kubernetes 1.30, in its namespace', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const problems: string[] = [];
  for (const object of objects) {
    for (const error of await schemaErrors(object))
      problems.push(`${objectName(object)}: ${error}`);
    if (object.kind === 'Namespace' || object.kind.startsWith('Cluster')) continue;
    const inNodeExporter =
      object.metadata.namespace === 'node-exporter' && NODE_EXPORTER_KINDS.has(object.kind);
    if (object.metadata.namespace !== 'monitoring' && !inNodeExporter)
      problems.push(`${objectName(object)}: in namespace ${String(object.metadata.namespace)}`);
  }
  assert.deepEqual(problems, []);
});

test('namespaces: monitoring enforces restricted; node-exporter privileged, the level hostPath needs', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const label = (name: string, mode: string) =>
    ofKind<Namespace>(objects, 'Namespace').find((ns) => ns.metadata.name === name)?.metadata
      .labels?.[`pod-security.kubernetes.io/${mode}`];
  for (const mode of ['enforce', 'audit', 'warn'])
    assert.equal(label('monitoring', mode), 'restricted', `monitoring ${mode}`);
  assert.equal(label('node-exporter', 'enforce'), 'privileged');
  // Baseline would refuse only the hostPath volumes: audited, so any other drift shows up.
  assert.equal(label('node-exporter', 'audit'), 'baseline');
});

test('every monitoring workload passes the restricted profile (node-exporter: only its read-only hostPaths)', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  assert.deepEqual(
    workloads(objects)
      .map((w) => `${w.kind}/${w.metadata.name}`)
      .sort(),
    [
      'DaemonSet/node-exporter',
      'Deployment/grafana',
      'Deployment/kube-state-metrics',
      'StatefulSet/alertmanager',
      'StatefulSet/prometheus',
      'StatefulSet/tempo',
    ],
  );
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const pod = podOf(w);
    const violations = restrictedViolations({ where: objectName(w), pod });
    if (w.metadata.name === 'node-exporter') {
      problems.push(...violations.filter((v) => !/is of type hostPath/.test(v)));
      for (const volume of pod.volumes ?? [])
        for (const c of pod.containers)
          for (const mount of c.volumeMounts ?? [])
            if (mount.name === volume.name && volume.hostPath && mount.readOnly !== true)
              problems.push(`${objectName(w)}: hostPath ${volume.name} must be mounted read-only`);
    } else problems.push(...violations);
    for (const c of pod.containers) {
      const where = `${objectName(w)} container ${c.name}`;
      if (c.securityContext?.readOnlyRootFilesystem !== true)
        problems.push(`${where}: readOnlyRootFilesystem must be true`);
      for (const kind of ['requests', 'limits'] as const)
        for (const resource of ['cpu', 'memory'])
          if (c.resources?.[kind]?.[resource] === undefined)
            problems.push(`${where}: resources.${kind}.${resource} is missing`);
      // A version tag and the image index digest; never latest, a bare name or a tag alone.
      if (!/:v?\d+\.\d+\.\d+@sha256:[a-f0-9]{64}$/.test(c.image ?? ''))
        problems.push(
          `${where}: image ${c.image ?? '(none)'} is not pinned to a version and digest`,
        );
      if (!c.readinessProbe || !c.livenessProbe)
        problems.push(`${where}: needs readiness and liveness probes`);
    }
  }
  assert.deepEqual(problems, []);
});

test("Prometheus is reachable on the README's NodePort and keeps 30 days or 8 GB of data", async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const service = ofKind<Service>(objects, 'Service').find((s) => s.metadata.name === 'prometheus');
  assert.equal(service?.spec?.type, 'NodePort');
  // The written contract, in the README's monitoring section: "Prometheus ... (NodePort N, ...".
  const readme = readmeSection(readFileSync(repoPath('README.md'), 'utf8'), 'monitoring') ?? '';
  const promised = /Prometheus [^(]*\(NodePort (\d+)/.exec(readme)?.[1];
  assert.ok(promised, 'the README monitoring section names no Prometheus NodePort');
  assert.equal(service.spec.ports?.[0]?.nodePort, Number(promised));
  const args = container(workload(objects, 'StatefulSet', 'prometheus'), 'prometheus').args ?? [];
  assert.ok(args.includes('--storage.tsdb.retention.time=30d'), args.join(' '));
  assert.ok(args.includes('--storage.tsdb.retention.size=8GB'), args.join(' '));
});

test('history survives: Prometheus and Alertmanager keep their data on claims of the default class, sized for retention', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const claimOf = (name: string, mountPath: string, main: string) => {
    const set = workload(objects, 'StatefulSet', name) as StatefulSet & K8sObject;
    const templates = set.spec?.volumeClaimTemplates ?? [];
    assert.equal(templates.length, 1, `${name}: one volume claim template`);
    const [claim] = templates;
    assert.ok(claim);
    // Unset: the cluster's default class (local-path on kubeadm, kind's own in the e2e).
    assert.equal(
      claim.spec?.storageClassName,
      undefined,
      `${name}: storageClassName must stay unset`,
    );
    assert.equal(mountOf(container(set, main), claim.metadata?.name ?? ''), mountPath);
    assert.equal(
      podOf(set).volumes?.some((v) => v.name === claim.metadata?.name),
      false,
      `${name}: the data volume must come from the claim, not from the pod's volumes`,
    );
    return bytes(String(claim.spec?.resources?.requests?.storage));
  };
  const prometheusBytes = claimOf('prometheus', '/prometheus', 'prometheus');
  const args = container(workload(objects, 'StatefulSet', 'prometheus'), 'prometheus').args ?? [];
  const retentionGb = Number(/retention\.size=(\d+)GB/.exec(args.join(' '))?.[1]);
  // Size-based retention counts blocks, WAL and head chunks; keep 20% for compaction.
  assert.ok(
    prometheusBytes >= retentionGb * 1e9 * 1.2,
    `claim ${prometheusBytes} B < 1.2 x ${retentionGb} GB`,
  );
  assert.ok(claimOf('alertmanager', '/alertmanager', 'alertmanager') >= 2 ** 28);
  const alertmanager = workload(objects, 'StatefulSet', 'alertmanager') as StatefulSet & K8sObject;
  assert.ok((alertmanager.spec?.replicas ?? 1) >= 2, 'Alertmanager runs at least two replicas');
});

test('changes reload in place: fixed ConfigMap names, a reloader watching every mounted config folder', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const prometheus = workload(objects, 'StatefulSet', 'prometheus');
  const alertmanager = workload(objects, 'StatefulSet', 'alertmanager');
  for (const [set, main, maps] of [
    [prometheus, 'prometheus', [CONFIG_MAPS.prometheus, CONFIG_MAPS.rules]],
    [alertmanager, 'alertmanager', [CONFIG_MAPS.alertmanager]],
  ] as const) {
    const reloader = container(set, 'config-reloader');
    const watched = (reloader.args ?? [])
      .filter((a) => a.startsWith('--watched-dir='))
      .map((a) => a.slice(14));
    for (const map of maps) {
      const volume = volumeOf(set, map);
      assert.ok(volume, `${set.metadata.name} does not mount ConfigMap ${map}`);
      const path = mountOf(container(set, main), volume.name);
      assert.ok(
        path && watched.includes(path),
        `${set.metadata.name}: reloader must watch ${path}`,
      );
      assert.equal(
        mountOf(reloader, volume.name),
        path,
        `${set.metadata.name}: reloader mounts ${map}`,
      );
    }
  }
  // SIGHUP, not the lifecycle API, which would let anyone at NodePort 30090 shut Prometheus down.
  const reloaderArgs = container(prometheus, 'config-reloader').args ?? [];
  assert.ok(reloaderArgs.includes('--reload-method=signal'), reloaderArgs.join(' '));
  assert.equal(
    podOf(prometheus).shareProcessNamespace,
    true,
    'the signal needs a shared PID namespace',
  );
  assert.ok(!(container(prometheus, 'prometheus').args ?? []).includes('--web.enable-lifecycle'));
  const amPort = container(alertmanager, 'alertmanager').ports?.find(
    (p) => p.name === 'http',
  )?.containerPort;
  assert.ok(
    (container(alertmanager, 'config-reloader').args ?? []).includes(
      `--reload-url=http://127.0.0.1:${String(amPort)}/-/reload`,
    ),
  );
});

test('RBAC is read-only: get/list/watch only, nodes/metrics but never nodes/proxy or secrets', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const roles = ofKind<ClusterRole>(objects, 'ClusterRole');
  assert.ok(roles.length >= 2);
  for (const role of roles) {
    for (const rule of role.rules ?? []) {
      const where = `${objectName(role)} rule ${JSON.stringify(rule)}`;
      for (const verb of rule.verbs) assert.ok(['get', 'list', 'watch'].includes(verb), where);
      for (const resource of rule.resources ?? []) {
        assert.ok(!['*', 'secrets', 'nodes/proxy', 'pods/exec'].includes(resource), where);
      }
      assert.ok(!(rule.apiGroups ?? []).includes('*'), where);
    }
  }
  const prometheus = roles.find((role) => role.metadata.name === 'monitoring-prometheus');
  const rules = prometheus?.rules ?? [];
  assert.ok(rules.some((rule) => rule.resources?.includes('nodes/metrics')));
  assert.ok(rules.some((rule) => rule.nonResourceURLs?.includes('/metrics')));
  for (const kind of ['pods', 'nodes', 'services', 'endpointslices'])
    assert.ok(
      rules.some((rule) => rule.resources?.includes(kind)),
      `prometheus cannot list ${kind}`,
    );
});

test('generated ConfigMaps carry exactly the files the monitoring tests check', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const shipped = shippedConfigMaps();
  assert.ok(shipped.size >= 4);
  for (const [name, map] of shipped) {
    assert.deepEqual(generated(objects, name).data, map.data, `ConfigMap ${name}`);
  }
});

test('mounts line up: config, rules, dashboards and the receivers Secret are where the configs look', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const prometheus = workload(objects, 'StatefulSet', 'prometheus');
  const main = container(prometheus, 'prometheus');
  const args = main.args ?? [];
  const configVolume = volumeOf(prometheus, CONFIG_MAPS.prometheus);
  const rulesVolume = volumeOf(prometheus, CONFIG_MAPS.rules);
  assert.ok(configVolume && rulesVolume, 'prometheus must mount its config and rules ConfigMaps');
  const configDir = mountOf(main, configVolume.name);
  assert.ok(args.includes(`--config.file=${configDir}/${PROMETHEUS_CONFIG_KEY}`), args.join(' '));
  const config = parse(
    generated(objects, CONFIG_MAPS.prometheus).data?.[PROMETHEUS_CONFIG_KEY] ?? '',
  ) as {
    rule_files: string[];
  };
  assert.deepEqual(config.rule_files, [`${mountOf(main, rulesVolume.name)}/*.rules.yml`]);
  for (const key of Object.keys(generated(objects, CONFIG_MAPS.rules).data ?? {}))
    assert.match(key, /\.rules\.yml$/, `${key} would not match the rule_files glob`);

  const alertmanager = workload(objects, 'StatefulSet', 'alertmanager');
  const am = container(alertmanager, 'alertmanager');
  const amVolume = volumeOf(alertmanager, CONFIG_MAPS.alertmanager);
  assert.ok(amVolume);
  assert.ok(
    (am.args ?? []).includes(
      `--config.file=${mountOf(am, amVolume.name)}/${ALERTMANAGER_CONFIG_KEY}`,
    ),
  );
  const secretVolume = podOf(alertmanager).volumes?.find((v) => v.secret);
  assert.equal(secretVolume?.secret?.secretName, RECEIVER_SECRET_NAME);
  assert.equal(
    secretVolume.secret.optional,
    true,
    'Alertmanager must start before the Secret exists',
  );
  assert.equal(mountOf(am, secretVolume.name), RECEIVER_SECRETS_DIR);
  // The gossip peers are the StatefulSet's own pods behind its governing headless Service.
  const set = alertmanager as StatefulSet & K8sObject;
  const peers = (am.args ?? []).filter((a) => a.startsWith('--cluster.peer='));
  assert.equal(peers.length, set.spec?.replicas);
  peers.forEach((peer, index) => {
    assert.equal(
      peer,
      `--cluster.peer=alertmanager-${index}.${set.spec?.serviceName ?? ''}.monitoring.svc:9094`,
    );
  });

  const grafana = workload(objects, 'Deployment', 'grafana');
  const providers = parse(
    Object.values(generated(objects, 'grafana-dashboard-providers').data ?? {})[0] ?? '',
  ) as { providers: { options: { path: string } }[] };
  const dashboardsVolume = volumeOf(grafana, CONFIG_MAPS.dashboards);
  assert.ok(dashboardsVolume);
  assert.equal(
    providers.providers[0]?.options.path,
    mountOf(container(grafana, 'grafana'), dashboardsVolume.name),
  );
});

test('no Secret is in git: receivers and Grafana admin credentials are referenced, never rendered', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  assert.deepEqual(ofKind(objects, 'Secret'), []);
  const env = container(workload(objects, 'Deployment', 'grafana'), 'grafana').env ?? [];
  for (const name of ['GF_SECURITY_ADMIN_USER', 'GF_SECURITY_ADMIN_PASSWORD']) {
    const variable = env.find((e) => e.name === name);
    assert.equal(variable?.valueFrom?.secretKeyRef?.name, 'grafana-admin', name);
    assert.equal(variable.value, undefined);
  }
});

test('network policies deny ingress by default and admit every Service port from who needs it', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const policies = ofKind<NetworkPolicy>(objects, 'NetworkPolicy');
  for (const namespace of ['monitoring', 'node-exporter']) {
    const denyAll = policies.find(
      (p) =>
        p.metadata.namespace === namespace &&
        Object.keys(p.spec?.podSelector.matchLabels ?? {}).length === 0 &&
        !p.spec?.ingress,
    );
    assert.ok(
      denyAll?.spec?.policyTypes?.includes('Ingress'),
      `no default-deny ingress in ${namespace}`,
    );
  }
  const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
    Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
  /** Pod-selector labels allowed to reach `port` on pods labelled `labels` ({} = anyone). */
  const sources = (namespace: string, labels: Record<string, string>, port: number) =>
    policies
      .filter(
        (p) =>
          p.metadata.namespace === namespace && selects(p.spec?.podSelector.matchLabels, labels),
      )
      .flatMap((p) => p.spec?.ingress ?? [])
      .filter((rule) => (rule.ports ?? []).some((p) => p.port === port))
      .map((rule) => rule.from?.[0]?.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? '*');

  const admitted: Record<string, string[]> = {};
  const targets: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ports: number[];
  }[] = [];
  for (const service of ofKind<Service>(objects, 'Service')) {
    const [target] = workloads(objects).filter((w) =>
      selects(service.spec?.selector, w.spec?.template.metadata?.labels ?? {}),
    );
    assert.ok(target, `Service/${service.metadata.name} selects no workload`);
    const ports = (service.spec?.ports ?? []).map((servicePort) => {
      const port = podOf(target)
        .containers.flatMap((c) => c.ports ?? [])
        .find((p) => p.name === servicePort.targetPort)?.containerPort;
      assert.ok(
        port,
        `Service/${service.metadata.name}: targetPort ${String(servicePort.targetPort)}`,
      );
      return port;
    });
    targets.push({
      name: service.metadata.name,
      namespace: 'monitoring',
      labels: target.spec?.template.metadata?.labels ?? {},
      ports,
    });
  }
  const nodeExporter = workload(objects, 'DaemonSet', 'node-exporter');
  targets.push({
    name: 'node-exporter',
    namespace: 'node-exporter',
    labels: nodeExporter.spec?.template.metadata?.labels ?? {},
    ports: (container(nodeExporter, 'node-exporter').ports ?? []).map((p) => p.containerPort),
  });
  for (const target of targets)
    admitted[target.name] = [
      ...new Set(target.ports.flatMap((port) => sources(target.namespace, target.labels, port))),
    ];
  assert.deepEqual(admitted, {
    alertmanager: ['prometheus'],
    'alertmanager-cluster': ['alertmanager'],
    grafana: ['*'],
    'kube-state-metrics': ['prometheus'],
    'node-exporter': ['prometheus'],
    prometheus: ['*'],
    // Queries from Grafana, its /metrics from Prometheus, OTLP from hello-api pods (their
    // namespaces: test/monitoring/tracing.test.ts).
    tempo: ['grafana', 'prometheus', 'hello-api'],
  });
});
