// The Prometheus configuration and rule files exactly as the ConfigMaps ship them: promtool
// accepts them, the scrape jobs the issue asks for are there with the labels the rules use, and
// every alert carries severity, summary, description and a runbook_url that resolves in
// docs/runbook.md.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  CONFIG_MAPS,
  PROMETHEUS_CONFIG_KEY,
  shippedConfigMap,
} from '../../scripts/monitor/shipped-config.js';
import {
  extractConfigMap,
  markdownAnchors,
  metricNames,
  shippedAlerts,
  tempDir,
} from '../helpers/monitoring-config.js';
import { ENVIRONMENTS } from '../../scripts/lib/environments.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const RUNBOOK = 'docs/runbook.md';
const RUNBOOK_BASE = 'https://github.com/hello-api-org/hello-api/blob/main/docs/runbook.md';
const SEVERITIES = new Set(['critical', 'warning', 'none']);
/** Kubernetes service discovery roles and fields of Prometheus 2.x's kubernetes_sd_configs. */
const K8S_SD_ROLES = new Set(['node', 'service', 'pod', 'endpoints', 'endpointslice', 'ingress']);
const K8S_SD_FIELDS = new Set([
  'role',
  'namespaces',
  'selectors',
  'api_server',
  'kubeconfig_file',
  'attach_metadata',
]);

interface ScrapeConfig {
  /** Unset on the alerting section's Alertmanager discovery, which has the same shape. */
  job_name?: string;
  scrape_interval?: string;
  metrics_path?: string;
  honor_labels?: boolean;
  kubernetes_sd_configs?: Record<string, unknown>[];
  metric_relabel_configs?: unknown[];
  relabel_configs?: {
    source_labels?: string[];
    target_label?: string;
    action?: string;
    regex?: string;
    replacement?: string;
  }[];
  static_configs?: { targets: string[] }[];
  [key: string]: unknown;
}

interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string };
  scrape_configs: ScrapeConfig[];
  alerting: { alertmanagers: ScrapeConfig[] };
}

const work = tempDir('prometheus-config');
after(work.cleanup);

const configText = shippedConfigMap(CONFIG_MAPS.prometheus).data[PROMETHEUS_CONFIG_KEY] ?? '';
const config = parse(configText) as PrometheusConfig;
const job = (name: string): ScrapeConfig => {
  const found = config.scrape_configs.find((candidate) => candidate.job_name === name);
  assert.ok(found, `prometheus.yml has no scrape job ${name}`);
  return found;
};

/**
 * Debian's Prometheus is built without Kubernetes service discovery, so its promtool rejects
 * `kubernetes_sd_configs` outright. When it does, the test checks those blocks' fields here and
 * hands promtool the same file with each such block swapped for an equivalent file_sd block:
 * everything else (relabelling regexes, TLS, auth, alerting) is still promtool's to judge.
 */
function withoutKubernetesSd(): string {
  const copy = parse(configText) as PrometheusConfig;
  for (const scrape of [...copy.scrape_configs, ...copy.alerting.alertmanagers]) {
    if (!scrape.kubernetes_sd_configs) continue;
    for (const sd of scrape.kubernetes_sd_configs) {
      for (const field of Object.keys(sd))
        assert.ok(
          K8S_SD_FIELDS.has(field),
          `${scrape.job_name}: unknown kubernetes_sd field ${field}`,
        );
      assert.ok(
        K8S_SD_ROLES.has(String(sd.role)),
        `${scrape.job_name}: bad role ${String(sd.role)}`,
      );
    }
    delete scrape.kubernetes_sd_configs;
    const name = scrape.job_name ?? 'alertmanagers';
    scrape.file_sd_configs = [{ files: [join(work.path, `${name}-targets.json`)] }];
  }
  return stringify(copy);
}

test('promtool check config accepts prometheus.yml from the prometheus-config ConfigMap', async (t) => {
  const promtool = requireTool(t, 'promtool', 'Debian package prometheus');
  if (!promtool) return;
  const { [PROMETHEUS_CONFIG_KEY]: path = '' } = extractConfigMap(
    CONFIG_MAPS.prometheus,
    work.path,
  );
  // --syntax-only: the service-account token and rule files exist only inside the pod.
  let result = await run(promtool, ['check', 'config', '--syntax-only', path]);
  const output = result.stdout + result.stderr;
  if (result.code !== 0 && /field kubernetes_sd_configs not found/.test(output)) {
    const fallback = join(work.path, 'prometheus-without-k8s-sd.yml');
    writeFileSync(fallback, withoutKubernetesSd());
    result = await run(promtool, ['check', 'config', '--syntax-only', fallback]);
  }
  assert.equal(result.code, 0, `promtool check config failed:\n${result.stdout}${result.stderr}`);
});

test('scrape settings: 15 s interval; alerts go to every ready Alertmanager pod, discovered', () => {
  assert.equal(config.global.scrape_interval, '15s');
  assert.equal(config.global.evaluation_interval, '15s');
  const [alertmanagers] = config.alerting.alertmanagers;
  assert.equal(config.alerting.alertmanagers.length, 1);
  assert.ok(alertmanagers);
  // A static Service address would stay "discovered" while no Alertmanager answers, and
  // PrometheusNotConnectedToAlertmanagers could never fire.
  assert.equal(alertmanagers.static_configs, undefined);
  assert.equal(alertmanagers.kubernetes_sd_configs?.[0]?.role, 'endpointslice');
  const keeps = (alertmanagers.relabel_configs ?? []).filter((r) => r.action === 'keep');
  const rules = keeps.map((r) => `${(r.source_labels ?? []).join(';')}=${String(r.regex)}`);
  assert.ok(
    rules.includes(
      '__meta_kubernetes_service_name;__meta_kubernetes_endpointslice_port_name=alertmanager;http',
    ),
    rules.join('\n'),
  );
  assert.ok(
    rules.includes('__meta_kubernetes_endpointslice_endpoint_conditions_ready=true'),
    rules.join('\n'),
  );
});

test('hello-api job: annotated hello-api pods in dev/stage/prod, labelled namespace and pod, no environment label', () => {
  const app = job('hello-api');
  const sd = app.kubernetes_sd_configs?.[0];
  assert.equal(sd?.role, 'pod');
  assert.deepEqual(sd.namespaces, { names: [...ENVIRONMENTS] });
  const relabel = app.relabel_configs ?? [];
  const keeps = relabel.filter((r) => r.action === 'keep').flatMap((r) => r.source_labels);
  assert.ok(keeps.includes('__meta_kubernetes_pod_annotation_prometheus_io_scrape'));
  assert.ok(keeps.includes('__meta_kubernetes_pod_label_app_kubernetes_io_name'));
  const targets = new Map(relabel.map((r) => [r.target_label, r.source_labels?.join(';')]));
  assert.equal(targets.get('namespace'), '__meta_kubernetes_namespace');
  // A target label "environment" would rename the service's app_info{environment} label to
  // exported_environment: the namespace already is the environment.
  assert.equal(targets.has('environment'), false);
  assert.equal(targets.get('pod'), '__meta_kubernetes_pod_name');
  assert.equal(
    targets.get('__address__'),
    '__address__;__meta_kubernetes_pod_annotation_prometheus_io_port',
  );
  assert.equal(
    targets.get('__metrics_path__'),
    '__meta_kubernetes_pod_annotation_prometheus_io_path',
  );
});

test('cluster jobs: cAdvisor, node-exporter, kube-state-metrics, API server, etcd, CoreDNS, self, each Alertmanager', () => {
  assert.deepEqual(config.scrape_configs.map((s) => s.job_name).sort(), [
    'alertmanager',
    'apiserver',
    'coredns',
    'etcd',
    'hello-api',
    'kube-state-metrics',
    'kubelet-cadvisor',
    'node-exporter',
    'prometheus',
    'tempo',
  ]);
  const cadvisor = job('kubelet-cadvisor');
  assert.equal(cadvisor.metrics_path, '/metrics/cadvisor');
  assert.equal(cadvisor.kubernetes_sd_configs?.[0]?.role, 'node');
  assert.deepEqual(job('node-exporter').kubernetes_sd_configs?.[0]?.namespaces, {
    names: ['node-exporter'],
  });
  assert.equal(job('kube-state-metrics').honor_labels, true);
  assert.equal(job('apiserver').kubernetes_sd_configs?.[0]?.role, 'endpointslice');
  // etcd on control-plane nodes only, at kubeadm's metrics port.
  const etcd = job('etcd').relabel_configs ?? [];
  assert.ok(
    etcd.some(
      (r) =>
        r.action === 'keep' &&
        r.source_labels?.[0] ===
          '__meta_kubernetes_node_labelpresent_node_role_kubernetes_io_control_plane',
    ),
  );
  assert.ok(etcd.some((r) => r.target_label === '__address__' && r.replacement === '$1:2381'));
  assert.equal(job('coredns').kubernetes_sd_configs?.[0]?.role, 'endpointslice');
  assert.deepEqual(job('prometheus').static_configs?.[0]?.targets, ['localhost:9090']);
  // Every Alertmanager pod, not the Service: membership and delivery are per instance.
  assert.equal(job('alertmanager').static_configs, undefined);
  assert.equal(job('alertmanager').kubernetes_sd_configs?.[0]?.role, 'endpointslice');
});

test('metric_relabel keep lists keep every metric the shipped rules read from those jobs', () => {
  const kept = (name: string) => {
    const keep = (
      job(name).metric_relabel_configs as { regex?: string; action?: string }[] | undefined
    )?.find((r) => r.action === 'keep');
    return keep?.regex === undefined ? undefined : new RegExp(`^(?:${keep.regex})$`);
  };
  const problems: string[] = [];
  for (const rule of shippedAlerts())
    for (const [jobName, prefix] of [
      ['etcd', /^etcd_/],
      ['coredns', /^coredns_/],
      ['apiserver', /^apiserver_/],
      ['kubelet-cadvisor', /^container_/],
    ] as const)
      for (const metric of metricNames(rule.expr))
        if (prefix.test(metric) && !(kept(jobName)?.test(metric) ?? true))
          problems.push(`${rule.alert} reads ${metric}, which job ${jobName} drops`);
  assert.deepEqual(problems, []);
});

for (const [key] of Object.entries(shippedConfigMap(CONFIG_MAPS.rules).data)) {
  test(`promtool check rules accepts ${key} from the prometheus-rules ConfigMap`, async (t) => {
    const promtool = requireTool(t, 'promtool', 'Debian package prometheus');
    if (!promtool) return;
    const paths = extractConfigMap(CONFIG_MAPS.rules, join(work.path, 'rules'));
    const result = await run(promtool, ['check', 'rules', paths[key] ?? '']);
    assert.equal(result.code, 0, `promtool check rules ${key}:\n${result.stdout}${result.stderr}`);
  });
}

test('every alert has a severity, summary, description and a runbook_url that resolves', () => {
  const anchors = markdownAnchors(RUNBOOK);
  const problems: string[] = [];
  for (const rule of shippedAlerts()) {
    const where = `${rule.file} ${rule.alert}`;
    if (!SEVERITIES.has(rule.labels?.severity ?? ''))
      problems.push(`${where}: severity must be one of ${[...SEVERITIES].join(', ')}`);
    for (const field of ['summary', 'description'])
      if ((rule.annotations?.[field] ?? '').trim() === '') problems.push(`${where}: no ${field}`);
    const expected = `${RUNBOOK_BASE}#${rule.alert.toLowerCase()}`;
    if (rule.annotations?.runbook_url !== expected)
      problems.push(`${where}: runbook_url must be ${expected}`);
    if (!anchors.has(rule.alert.toLowerCase()))
      problems.push(`${where}: ${RUNBOOK} has no "## ${rule.alert}" section`);
  }
  assert.deepEqual(problems, []);
});

/** The alerts that may page, and why: symptoms of prod, blindness, and imminent cluster loss. */
const PAGING = new Set([
  'HelloApiNoReadyPods',
  'HelloApiTargetMissing',
  'HelloApiAvailabilityErrorBudgetBurn',
  'HelloApiLatencyErrorBudgetBurn',
  'PrometheusRuleEvaluationFailures',
  'PrometheusNotConnectedToAlertmanagers',
  'PrometheusErrorSendingAlertsToAnyAlertmanager',
  'AlertmanagerClusterFailedToSendAlerts',
  'NodeFilesystemSpaceFillingUp',
  'NodeFilesystemAlmostOutOfSpace',
  'KubeClientCertificateExpiration',
  'EtcdDatabaseQuotaLowSpace',
]);

test('page on symptoms only: critical just for the listed alerts, and for hello-api only in prod', () => {
  const problems: string[] = [];
  for (const rule of shippedAlerts()) {
    if (rule.labels?.severity !== 'critical') continue;
    if (!PAGING.has(rule.alert))
      problems.push(`${rule.alert} is critical but is a cause, not a symptom`);
    const scoped = [...rule.expr.matchAll(/namespace=~?"([^"]*)"/g)].map((m) => m[1]);
    if (rule.file === 'hello-api.rules.yml' || rule.file === 'slo.rules.yml')
      if (scoped.length === 0 || scoped.some((namespace) => namespace !== 'prod'))
        problems.push(`${rule.alert} is critical outside prod`);
  }
  assert.deepEqual(problems, []);
});

test("SLO burn-rate alerts: one rule per window pair, each with the mixin's for:", () => {
  const expected = { '1h/5m': '2m', '6h/30m': '15m', '1d/2h': '1h', '3d/6h': '3h' };
  for (const name of ['HelloApiAvailabilityErrorBudgetBurn', 'HelloApiLatencyErrorBudgetBurn']) {
    const rules = shippedAlerts().filter((rule) => rule.alert === name);
    const found = Object.fromEntries(
      rules.map((r) => [`${r.labels?.long_window ?? ''}/${r.labels?.short_window ?? ''}`, r.for]),
    );
    assert.deepEqual(found, expected, name);
    for (const rule of rules) {
      const windows = [...rule.expr.matchAll(/ratio_rate(\w+)\{/g)].map((m) => m[1]);
      assert.deepEqual(
        windows,
        [rule.labels?.long_window, rule.labels?.short_window],
        `${name} ${rule.for}`,
      );
    }
  }
});
