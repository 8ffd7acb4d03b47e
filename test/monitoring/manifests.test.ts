// k8s/monitoring as `kubectl apply -k` would send it: valid Kubernetes 1.30 objects, restricted
// Pod Security, pinned images, read-only RBAC, NodePort 30090, ConfigMaps that carry exactly the
// files the other monitoring tests check, and no Secret in git.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { ClusterRole } from 'kubernetes-types/rbac/v1.js';
import { parse } from 'yaml';
import {
  ALERTMANAGER_CONFIG_KEY,
  CONFIG_MAPS,
  PROMETHEUS_CONFIG_KEY,
  RECEIVER_SECRETS_DIR,
  shippedConfigMaps,
} from '../../scripts/monitor/shipped-config.js';
import { objectName, renderOrSkip, type K8sObject } from '../helpers/k8s-manifests.js';
import { restrictedViolations } from '../helpers/k8s-policy.js';
import { schemaErrors } from '../helpers/k8s-schema.js';

const DIR = 'k8s/monitoring';

function ofKind<T>(objects: K8sObject[], kind: string): (T & K8sObject)[] {
  return objects.filter((object) => object.kind === kind) as (T & K8sObject)[];
}

function deployment(objects: K8sObject[], name: string): Deployment {
  const found = ofKind<Deployment>(objects, 'Deployment').find((d) => d.metadata.name === name);
  assert.ok(found, `${DIR} renders no Deployment/${name}`);
  return found;
}

/** The rendered ConfigMap generated under `name` (kustomize appends a content hash). */
function generated(objects: K8sObject[], name: string): ConfigMap {
  const found = ofKind<ConfigMap>(objects, 'ConfigMap').filter((map) =>
    new RegExp(`^${name}-[a-z0-9]{10}$`).test(map.metadata.name),
  );
  assert.equal(found.length, 1, `${DIR} renders ${found.length} ConfigMaps named ${name}-<hash>`);
  return found[0] as ConfigMap;
}

test('k8s/monitoring renders and every object is valid for Kubernetes 1.30', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const problems: string[] = [];
  for (const object of objects) {
    for (const error of await schemaErrors(object))
      problems.push(`${objectName(object)}: ${error}`);
    if (object.kind !== 'Namespace' && !object.kind.startsWith('Cluster'))
      if (object.metadata.namespace !== 'monitoring')
        problems.push(`${objectName(object)}: not in namespace monitoring`);
  }
  assert.deepEqual(problems, []);
});

test('namespace monitoring enforces, audits and warns on the restricted Pod Security Standard', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const namespace = ofKind<Namespace>(objects, 'Namespace').find(
    (ns) => ns.metadata.name === 'monitoring',
  );
  assert.ok(namespace, 'k8s/monitoring must create its own namespace so it applies on its own');
  for (const mode of ['enforce', 'audit', 'warn'])
    assert.equal(namespace.metadata.labels?.[`pod-security.kubernetes.io/${mode}`], 'restricted');
});

test('every monitoring workload passes the restricted profile, read-only root fs, limits, pinned image', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const deployments = ofKind<Deployment>(objects, 'Deployment');
  assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), [
    'alertmanager',
    'grafana',
    'kube-state-metrics',
    'prometheus',
  ]);
  const problems: string[] = [];
  for (const d of deployments) {
    const pod = d.spec?.template.spec;
    assert.ok(pod, `${objectName(d)} has no pod template`);
    problems.push(...restrictedViolations({ where: objectName(d), pod }));
    for (const container of pod.containers) {
      const where = `${objectName(d)} container ${container.name}`;
      if (container.securityContext?.readOnlyRootFilesystem !== true)
        problems.push(`${where}: readOnlyRootFilesystem must be true`);
      for (const kind of ['requests', 'limits'] as const)
        for (const resource of ['cpu', 'memory'])
          if (container.resources?.[kind]?.[resource] === undefined)
            problems.push(`${where}: resources.${kind}.${resource} is missing`);
      // A version tag (vX.Y.Z or X.Y.Z), optionally with a digest; never latest or a bare name.
      if (!/:v?\d+\.\d+\.\d+(@sha256:[a-f0-9]{64})?$/.test(container.image ?? ''))
        problems.push(`${where}: image ${container.image ?? '(none)'} is not pinned to a version`);
      if (!container.readinessProbe || !container.livenessProbe)
        problems.push(`${where}: needs readiness and liveness probes`);
    }
  }
  assert.deepEqual(problems, []);
});

test('Prometheus is reachable on NodePort 30090 and keeps 30 days or 8 GB of data', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const service = ofKind<Service>(objects, 'Service').find((s) => s.metadata.name === 'prometheus');
  assert.equal(service?.spec?.type, 'NodePort');
  assert.equal(service.spec.ports?.[0]?.nodePort, 30090);
  const args = deployment(objects, 'prometheus').spec?.template.spec?.containers[0]?.args ?? [];
  assert.ok(args.includes('--storage.tsdb.retention.time=30d'), args.join(' '));
  assert.ok(args.includes('--storage.tsdb.retention.size=8GB'), args.join(' '));
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
  for (const kind of ['pods', 'nodes', 'services', 'endpoints'])
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
  const mountOf = (d: Deployment, volumeName: string) =>
    d.spec?.template.spec?.containers[0]?.volumeMounts?.find((m) => m.name === volumeName)
      ?.mountPath;
  const volumeOf = (d: Deployment, configMap: string) =>
    d.spec?.template.spec?.volumes?.find((v) => v.configMap?.name?.startsWith(`${configMap}-`));

  const prometheus = deployment(objects, 'prometheus');
  const args = prometheus.spec?.template.spec?.containers[0]?.args ?? [];
  const configVolume = volumeOf(prometheus, CONFIG_MAPS.prometheus);
  const rulesVolume = volumeOf(prometheus, CONFIG_MAPS.rules);
  assert.ok(configVolume && rulesVolume, 'prometheus must mount its config and rules ConfigMaps');
  const configDir = mountOf(prometheus, configVolume.name);
  assert.ok(args.includes(`--config.file=${configDir}/${PROMETHEUS_CONFIG_KEY}`), args.join(' '));
  const config = parse(
    generated(objects, CONFIG_MAPS.prometheus).data?.[PROMETHEUS_CONFIG_KEY] ?? '',
  ) as {
    rule_files: string[];
  };
  const rulesDir = mountOf(prometheus, rulesVolume.name);
  assert.deepEqual(config.rule_files, [`${rulesDir}/*.rules.yml`]);
  for (const key of Object.keys(generated(objects, CONFIG_MAPS.rules).data ?? {}))
    assert.match(key, /\.rules\.yml$/, `${key} would not match the rule_files glob`);

  const alertmanager = deployment(objects, 'alertmanager');
  const amArgs = alertmanager.spec?.template.spec?.containers[0]?.args ?? [];
  const amVolume = volumeOf(alertmanager, CONFIG_MAPS.alertmanager);
  assert.ok(amVolume);
  assert.ok(
    amArgs.includes(
      `--config.file=${mountOf(alertmanager, amVolume.name)}/${ALERTMANAGER_CONFIG_KEY}`,
    ),
  );
  const secretVolume = alertmanager.spec?.template.spec?.volumes?.find((v) => v.secret);
  assert.equal(secretVolume?.secret?.secretName, 'alertmanager-receivers');
  assert.equal(mountOf(alertmanager, secretVolume.name), RECEIVER_SECRETS_DIR);

  const grafana = deployment(objects, 'grafana');
  const providers = parse(
    Object.values(generated(objects, 'grafana-dashboard-providers').data ?? {})[0] ?? '',
  ) as { providers: { options: { path: string } }[] };
  const dashboardsVolume = volumeOf(grafana, CONFIG_MAPS.dashboards);
  assert.ok(dashboardsVolume);
  assert.equal(providers.providers[0]?.options.path, mountOf(grafana, dashboardsVolume.name));
});

test('no Secret is in git: receivers and Grafana admin credentials are referenced, never rendered', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  assert.deepEqual(ofKind(objects, 'Secret'), []);
  const grafana = deployment(objects, 'grafana');
  const env = grafana.spec?.template.spec?.containers[0]?.env ?? [];
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
  const denyAll = policies.find(
    (p) => Object.keys(p.spec?.podSelector.matchLabels ?? {}).length === 0 && !p.spec?.ingress,
  );
  assert.ok(denyAll?.spec?.policyTypes?.includes('Ingress'), 'no default-deny ingress policy');

  const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
    Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
  /** Pod-selector labels allowed to reach `port` on pods labelled `labels` ({} = anyone). */
  const sources = (labels: Record<string, string>, port: number) =>
    policies
      .filter((p) => selects(p.spec?.podSelector.matchLabels, labels))
      .flatMap((p) => p.spec?.ingress ?? [])
      .filter((rule) => (rule.ports ?? []).some((p) => p.port === port))
      .map((rule) => rule.from?.[0]?.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? '*');

  const admitted: Record<string, string[]> = {};
  for (const service of ofKind<Service>(objects, 'Service')) {
    const target = deployment(objects, service.metadata.name).spec?.template;
    const container = target?.spec?.containers[0];
    for (const servicePort of service.spec?.ports ?? []) {
      const port = container?.ports?.find((p) => p.name === servicePort.targetPort)?.containerPort;
      assert.ok(
        port,
        `Service/${service.metadata.name}: targetPort ${String(servicePort.targetPort)}`,
      );
      admitted[service.metadata.name] = sources(target?.metadata?.labels ?? {}, port);
    }
  }
  assert.deepEqual(admitted, {
    alertmanager: ['prometheus'],
    grafana: ['*'],
    'kube-state-metrics': ['prometheus'],
    prometheus: ['*'],
  });
});
