// The Grafana dashboards as the grafana-dashboards ConfigMap ships them: well-formed, bound to
// the provisioned Prometheus data source, covering the views the issue asks for, and every
// PromQL query (variables substituted) parsed by promtool as a rule expression.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { shippedConfigMap } from '../../scripts/monitor/shipped-config.js';
import {
  dashboardQueries,
  shippedDashboards,
  substituteVariables,
  tempDir,
} from '../helpers/monitoring-config.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const work = tempDir('dashboards');
after(work.cleanup);

interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
}

const datasources = parse(
  shippedConfigMap('grafana-datasources').data['datasources.yaml'] ?? '',
) as { datasources: { uid: string; type: string }[] };

test('dashboards have unique uids, titles, and an environment variable', () => {
  const dashboards = [...shippedDashboards().values()];
  assert.ok(dashboards.length > 0);
  const uids = dashboards.map((dashboard) => dashboard.uid);
  assert.equal(new Set(uids).size, uids.length);
  for (const dashboard of dashboards) {
    assert.ok(dashboard.title.startsWith('hello-api'), dashboard.title);
    const variables = dashboard.templating?.list.map((variable) => variable.name) ?? [];
    assert.ok(variables.includes('environment'), `${dashboard.uid} has no $environment`);
  }
});

test('every panel queries the provisioned Prometheus data source', () => {
  const [prometheus] = datasources.datasources;
  assert.equal(prometheus?.type, 'prometheus');
  for (const dashboard of shippedDashboards().values()) {
    for (const panel of dashboard.panels as Panel[]) {
      if (panel.type === 'row') continue;
      assert.equal(panel.datasource?.uid, prometheus.uid, `${panel.title}: data source`);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title}: no query`);
      for (const target of panel.targets ?? [])
        assert.equal(target.datasource?.uid, prometheus.uid, `${panel.title}: target data source`);
    }
  }
});

test('the views the issue asks for exist: RED by route, pods vs requests/limits, HPA, SLO budget', () => {
  const queries = dashboardQueries().map((query) => query.expr);
  const has = (what: string, pattern: RegExp) => {
    assert.ok(
      queries.some((expr) => pattern.test(expr)),
      `no dashboard query shows ${what}`,
    );
  };
  has('request rate by route', /sum by \(route\) \(rate\(http_request_duration_seconds_count/);
  has('5xx errors', /status_code=~"5\.\."/);
  for (const quantile of ['0.5', '0.95', '0.99'])
    has(
      `p${Number(quantile) * 100} by route`,
      new RegExp(`histogram_quantile\\(${quantile}, sum by \\(route, le\\)`),
    );
  for (const kind of ['requests', 'limits'])
    for (const resource of ['cpu', 'memory'])
      has(
        `${resource} ${kind}`,
        new RegExp(`kube_pod_container_resource_${kind}\\{.*resource="${resource}"`),
      );
  has('container CPU', /container_cpu_usage_seconds_total/);
  has('container memory', /container_memory_working_set_bytes/);
  for (const series of ['status_current_replicas', 'status_desired_replicas', 'spec_max_replicas'])
    has(`HPA ${series}`, new RegExp(`kube_horizontalpodautoscaler_${series}`));
  // Budgets from the 5-minute recording rules, never 30 days of raw counters per refresh.
  has(
    'availability budget remaining',
    /^namespace:hello_api_slo_availability_budget:remaining_ratio30d\{/,
  );
  has('latency budget remaining', /^namespace:hello_api_slo_latency_budget:remaining_ratio30d\{/);
  assert.ok(!queries.some((expr) => /\[30d\]/.test(expr)), 'a panel reads 30 days of raw data');
  for (const slo of ['errors', 'slow_requests'])
    for (const window of ['5m', '30m', '1h', '2h', '6h', '1d', '3d'])
      has(
        `${slo} burn rate over ${window}`,
        new RegExp(`namespace:hello_api_slo_${slo}:ratio_rate${window}\\{`),
      );
  has('CPU throttling', /container_cpu_cfs_throttled_periods_total/);
  has('restarts', /kube_pod_container_status_restarts_total/);
  has('OOM kills', /kube_pod_container_status_last_terminated_reason\{.*reason="OOMKilled"/);
  has('replicas available', /kube_deployment_status_replicas_available/);
  has('replicas desired', /kube_deployment_spec_replicas/);
  for (const metric of [
    'node_cpu_seconds_total',
    'node_memory_MemAvailable_bytes',
    'node_filesystem_avail_bytes',
    'node_timex_offset_seconds',
  ])
    has(`node panel ${metric}`, new RegExp(metric));
});

test('SLO burn-rate panels draw the alert thresholds; deploys are annotated from app_info changes', () => {
  for (const dashboard of shippedDashboards().values()) {
    const burn = (
      dashboard.panels as (Panel & {
        fieldConfig?: { defaults?: { thresholds?: { steps: { value: number | null }[] } } };
      })[]
    ).filter((panel) => /burn rate/i.test(panel.title));
    assert.equal(burn.length, 2, `${dashboard.uid}: one burn-rate panel per SLO`);
    for (const panel of burn) {
      const steps = (panel.fieldConfig?.defaults?.thresholds?.steps ?? []).map(
        (step) => step.value,
      );
      for (const factor of [1, 3, 6, 14.4])
        assert.ok(steps.includes(factor), `${panel.title}: no ${factor}x threshold`);
    }
    const annotations =
      (dashboard as { annotations?: { list: { name: string; expr?: string }[] } }).annotations
        ?.list ?? [];
    const deploys = annotations.find((a) => a.name === 'Deploys');
    assert.match(
      deploys?.expr ?? '',
      /app_info\{.*\}.*unless.*app_info\{.*\} offset/s,
      'no deploy annotation from app_info',
    );
  }
});

test('promtool parses every dashboard query (variables substituted) as a rule expression', async (t) => {
  const promtool = requireTool(t, 'promtool', 'Debian package prometheus');
  if (!promtool) return;
  const queries = dashboardQueries();
  // Template variable queries use Grafana's label_values(selector, label): check the selector.
  for (const dashboard of shippedDashboards().values())
    for (const variable of dashboard.templating?.list ?? []) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
      const selector = /^label_values\((.+),\s*\w+\)$/.exec(query ?? '')?.[1];
      assert.ok(selector, `variable ${variable.name}: expected label_values(selector, label)`);
      queries.push({ dashboard: dashboard.uid, panel: `$${variable.name}`, expr: selector });
    }
  const rules = queries.map((query, index) => ({
    record: `dashboard_query:${index}`,
    expr: substituteVariables(query.expr, 'prod', '5m'),
  }));
  const file = join(work.path, 'dashboard-queries.rules.yml');
  writeFileSync(file, stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
  const result = await run(promtool, ['check', 'rules', file]);
  const listing = queries.map((q, i) => `  ${i}: ${q.dashboard} / ${q.panel}`).join('\n');
  assert.equal(
    result.code,
    0,
    `promtool rejects a dashboard query:\n${result.stdout}${result.stderr}\nqueries:\n${listing}`,
  );
  assert.match(result.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
});
