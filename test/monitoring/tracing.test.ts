// The trace backend and the links between the signals, as `kubectl apply -k` would send them:
// Tempo persistent and reachable only by hello-api pods (spans), Grafana and Prometheus; the
// overlays point the service at Tempo's OTLP port with their own sampling; Prometheus keeps
// exemplars and scrapes hello-api in OpenMetrics first; Grafana's data sources link metrics to
// traces (exemplars) and traces to metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Service } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy, NetworkPolicyPeer } from 'kubernetes-types/networking/v1.js';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import {
  CONFIG_MAPS,
  PROMETHEUS_CONFIG_KEY,
  shippedConfigMap,
} from '../../scripts/monitor/shipped-config.js';
import {
  ENVIRONMENTS,
  overlayDir,
  renderOrSkip,
  type K8sObject,
} from '../helpers/k8s-manifests.js';

const DIR = 'k8s/monitoring';

function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `no ${kind}/${name} rendered`);
  return found;
}

/** Tempo's OTLP/HTTP URL inside the cluster, from its Service: what the overlays must use. */
function tempoOtlpUrl(objects: K8sObject[]): string {
  const service = named(objects, 'Service', 'tempo') as Service & K8sObject;
  const port = service.spec?.ports?.find((p) => p.name === 'otlp-http')?.port;
  assert.ok(port, 'Service/tempo has an otlp-http port');
  return `http://tempo.${service.metadata.namespace ?? ''}.svc:${port}`;
}

test('Tempo: pinned, persistent like Prometheus, OTLP/HTTP on all interfaces, traces kept 7 days', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const tempo = named(objects, 'StatefulSet', 'tempo') as StatefulSet & K8sObject;
  const [container] = tempo.spec?.template.spec?.containers ?? [];
  assert.ok(container, 'StatefulSet/tempo has a container');
  assert.match(
    container.image ?? '',
    /^docker\.io\/grafana\/tempo:2\.10\.\d+@sha256:[a-f0-9]{64}$/,
  );
  const [claim] = tempo.spec?.volumeClaimTemplates ?? [];
  assert.equal(claim?.spec?.storageClassName, undefined, 'the default StorageClass, as Prometheus');
  assert.equal(
    container.volumeMounts?.find((m) => m.name === claim?.metadata?.name)?.mountPath,
    '/var/tempo',
  );
  assert.equal(tempo.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted, 'Retain');

  const config =
    (named(objects, 'ConfigMap', 'tempo-config') as ConfigMap & K8sObject).data?.['tempo.yaml'] ??
    '';
  const parsed = parse(config) as {
    distributor: { receivers: { otlp: { protocols: Record<string, { endpoint: string }> } } };
    storage: { trace: { backend: string; wal: { path: string }; local: { path: string } } };
    compactor: { compaction: { block_retention: string } };
    server: { http_listen_port: number };
  };
  assert.deepEqual(Object.keys(parsed.distributor.receivers.otlp.protocols), ['http']);
  assert.equal(parsed.distributor.receivers.otlp.protocols.http?.endpoint, '0.0.0.0:4318');
  assert.equal(parsed.storage.trace.backend, 'local');
  for (const path of [parsed.storage.trace.wal.path, parsed.storage.trace.local.path])
    assert.ok(path.startsWith('/var/tempo/'), `${path} is on the volume`);
  assert.equal(parsed.compactor.compaction.block_retention, '168h');
  const ports = Object.fromEntries(
    (container.ports ?? []).map((p) => [p.name ?? '', p.containerPort]),
  );
  assert.deepEqual(ports, { http: parsed.server.http_listen_port, 'otlp-http': 4318 });
});

test("Tempo's spans port admits only hello-api pods of dev, stage and prod; its API only Grafana and Prometheus", async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const policy = named(objects, 'NetworkPolicy', 'allow-tempo') as NetworkPolicy & K8sObject;
  const rules = policy.spec?.ingress ?? [];
  const peersFor = (port: number) =>
    rules
      .filter((rule) => rule.ports?.some((p) => p.port === port))
      .flatMap((rule) => rule.from ?? []);
  const describe = (peer: NetworkPolicyPeer) => ({
    namespaces: peer.namespaceSelector?.matchExpressions?.[0]?.values ?? [],
    pods: peer.podSelector?.matchLabels?.['app.kubernetes.io/name'],
  });
  assert.deepEqual(peersFor(4318).map(describe), [
    { namespaces: [...ENVIRONMENTS], pods: 'hello-api' },
  ]);
  assert.equal(
    peersFor(4318)[0]?.namespaceSelector?.matchExpressions?.[0]?.key,
    'kubernetes.io/metadata.name',
  );
  assert.deepEqual(peersFor(3200).map(describe), [
    { namespaces: [], pods: 'grafana' },
    { namespaces: [], pods: 'prometheus' },
  ]);
});

test("each overlay sends spans to Tempo's OTLP port: dev and stage trace everything, prod a ratio that follows callers", async (t) => {
  const monitoring = await renderOrSkip(t, DIR);
  if (!monitoring) return;
  const url = tempoOtlpUrl(monitoring);
  for (const env of ENVIRONMENTS) {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const map = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('hello-api-config'),
    );
    const data = (map as ConfigMap | undefined)?.data ?? {};
    // The service's own reading of the ConfigMap: what the pod will do.
    const { tracing } = loadConfig(data);
    assert.equal(tracing.enabled, true, `${env}: tracing on`);
    assert.equal(tracing.tracesUrl, `${url}/v1/traces`, env);
    assert.equal(tracing.resourceAttributes['k8s.namespace.name'], env);
    if (env === 'prod') {
      assert.equal(tracing.sampler, 'parentbased_traceidratio');
      assert.ok(
        tracing.samplerRatio > 0 && tracing.samplerRatio < 1,
        `prod ratio ${tracing.samplerRatio}`,
      );
    } else {
      assert.equal(tracing.sampler, 'always_on', env);
    }
    // The pods may reach Tempo: egress to its pods on that port.
    const egress = named(objects, 'NetworkPolicy', 'allow-traces-to-tempo') as NetworkPolicy &
      K8sObject;
    const [rule] = egress.spec?.egress ?? [];
    assert.ok(rule, `${env}: an egress rule to Tempo`);
    assert.equal(rule.ports?.[0]?.port, Number(new URL(url).port), env);
    const [peer] = rule.to ?? [];
    assert.ok(peer, `${env}: the egress rule names Tempo's pods`);
    assert.equal(peer.podSelector?.matchLabels?.['app.kubernetes.io/name'], 'tempo');
    assert.equal(
      peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'],
      (named(monitoring, 'Service', 'tempo') as Service & K8sObject).metadata.namespace,
    );
  }
});

test('Prometheus keeps exemplars and asks hello-api for OpenMetrics first', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const prometheus = named(objects, 'StatefulSet', 'prometheus') as StatefulSet & K8sObject;
  const args =
    prometheus.spec?.template.spec?.containers.find((c) => c.name === 'prometheus')?.args ?? [];
  assert.ok(args.includes('--enable-feature=exemplar-storage'), args.join(' '));
  const config = parse(
    shippedConfigMap(CONFIG_MAPS.prometheus).data[PROMETHEUS_CONFIG_KEY] ?? '',
  ) as {
    scrape_configs: { job_name: string; scrape_protocols?: string[] }[];
  };
  const job = config.scrape_configs.find((j) => j.job_name === 'hello-api');
  assert.deepEqual(job?.scrape_protocols, ['OpenMetricsText1.0.0', 'PrometheusText0.0.4']);
});

test('Grafana: exemplars open Tempo, spans open their route metrics in Prometheus, the p99 panel shows exemplars', async (t) => {
  const objects = await renderOrSkip(t, DIR);
  if (!objects) return;
  const map = named(objects, 'ConfigMap', 'grafana-datasources') as ConfigMap & K8sObject;
  const { datasources } = parse(map.data?.['datasources.yaml'] ?? '') as {
    datasources: { uid: string; type: string; url: string; jsonData: Record<string, unknown> }[];
  };
  const prometheus = datasources.find((d) => d.type === 'prometheus');
  const tempo = datasources.find((d) => d.type === 'tempo');
  assert.ok(prometheus && tempo);
  assert.deepEqual(prometheus.jsonData.exemplarTraceIdDestinations, [
    // The label the service's exemplars carry (src/plugins/metrics.ts).
    { name: 'trace_id', datasourceUid: tempo.uid },
  ]);
  const service = named(objects, 'Service', 'tempo') as Service & K8sObject;
  const httpPort = service.spec?.ports?.find((p) => p.name === 'http')?.port;
  assert.equal(tempo.url, `http://tempo.monitoring.svc:${httpPort}`);
  const toMetrics = tempo.jsonData.tracesToMetrics as {
    datasourceUid: string;
    tags: { key: string; value: string }[];
    queries: { query: string }[];
  };
  assert.equal(toMetrics.datasourceUid, prometheus.uid);
  // Span attribute -> label of the request histogram: the route and the environment's namespace.
  assert.deepEqual(toMetrics.tags, [
    { key: 'http.route', value: 'route' },
    { key: 'deployment.environment.name', value: 'namespace' },
  ]);
  for (const { query } of toMetrics.queries)
    assert.match(
      query,
      /http_request_duration_seconds_\w+\{\$\$__tags\}/,
      'escaped for provisioning',
    );
  const dashboards =
    (named(objects, 'ConfigMap', 'grafana-dashboards') as ConfigMap & K8sObject).data ?? {};
  const dashboard = JSON.parse(dashboards['hello-api-overview.json'] ?? '{}') as {
    panels: { targets?: { expr: string; exemplar?: boolean }[] }[];
  };
  const withExemplars = dashboard.panels
    .flatMap((p) => p.targets ?? [])
    .filter((target) => target.exemplar === true);
  assert.ok(
    withExemplars.some((target) => target.expr.includes('http_request_duration_seconds_bucket')),
    'a latency query with exemplars on',
  );
});
