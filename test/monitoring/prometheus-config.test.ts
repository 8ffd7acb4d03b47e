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
  shippedAlerts,
  tempDir,
} from '../helpers/monitoring-config.js';
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
  job_name: string;
  scrape_interval?: string;
  metrics_path?: string;
  honor_labels?: boolean;
  kubernetes_sd_configs?: Record<string, unknown>[];
  relabel_configs?: { source_labels?: string[]; target_label?: string; action?: string }[];
  static_configs?: { targets: string[] }[];
  [key: string]: unknown;
}

interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string };
  scrape_configs: ScrapeConfig[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
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
  for (const scrape of copy.scrape_configs) {
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
    scrape.file_sd_configs = [{ files: [join(work.path, `${scrape.job_name}-targets.json`)] }];
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

test('scrape settings: 15 s interval, alerts go to the in-cluster Alertmanager', () => {
  assert.equal(config.global.scrape_interval, '15s');
  assert.equal(config.global.evaluation_interval, '15s');
  assert.deepEqual(config.alerting.alertmanagers[0]?.static_configs[0]?.targets, [
    'alertmanager.monitoring.svc:9093',
  ]);
});

test('hello-api job: annotated hello-api pods in dev/stage/prod, labelled namespace, pod, environment', () => {
  const app = job('hello-api');
  const sd = app.kubernetes_sd_configs?.[0];
  assert.equal(sd?.role, 'pod');
  assert.deepEqual(sd.namespaces, { names: ['dev', 'stage', 'prod'] });
  const relabel = app.relabel_configs ?? [];
  const keeps = relabel.filter((r) => r.action === 'keep').flatMap((r) => r.source_labels);
  assert.ok(keeps.includes('__meta_kubernetes_pod_annotation_prometheus_io_scrape'));
  assert.ok(keeps.includes('__meta_kubernetes_pod_label_app_kubernetes_io_name'));
  const targets = new Map(relabel.map((r) => [r.target_label, r.source_labels?.join(';')]));
  assert.equal(targets.get('namespace'), '__meta_kubernetes_namespace');
  assert.equal(targets.get('environment'), '__meta_kubernetes_namespace');
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

test('cluster jobs: cAdvisor on the kubelet, kube-state-metrics with honor_labels, API server, self', () => {
  const cadvisor = job('kubelet-cadvisor');
  assert.equal(cadvisor.metrics_path, '/metrics/cadvisor');
  assert.equal(cadvisor.kubernetes_sd_configs?.[0]?.role, 'node');
  assert.equal(job('kube-state-metrics').honor_labels, true);
  assert.equal(job('apiserver').kubernetes_sd_configs?.[0]?.role, 'endpoints');
  assert.deepEqual(job('prometheus').static_configs?.[0]?.targets, ['localhost:9090']);
  assert.deepEqual(job('alertmanager').static_configs?.[0]?.targets, [
    'alertmanager.monitoring.svc:9093',
  ]);
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

test('prod pages, non-prod does not: alerts split by environment have critical only in prod', () => {
  for (const rule of shippedAlerts()) {
    if (rule.labels?.severity !== 'critical') continue;
    const scoped = /namespace=~?"([^"]*)"/.exec(rule.expr)?.[1];
    // Critical alerts are either prod-only or about the monitoring pipeline itself.
    if (scoped !== undefined)
      assert.equal(scoped, 'prod', `${rule.alert} is critical outside prod`);
    else
      assert.equal(
        rule.file,
        'monitoring.rules.yml',
        `${rule.alert} is critical in every namespace`,
      );
  }
});
