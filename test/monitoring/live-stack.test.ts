// The whole path with real processes: the built service, Prometheus with the shipped rules
// (every `for:` shortened to 0s in the test's own copy) scraping it every second on loopback as
// if it ran in namespace prod, and Alertmanager with the shipped routes whose receivers point at
// a webhook this test listens on (the dead man's switch has its own test). Traffic, then injected errors, must show up as metrics, as a
// non-empty alert expression, and as notifications at the right receivers.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { findExecutable, findFirstExecutable } from '../../scripts/lib/find-executable.js';
import { ALERTMANAGER_NAMES, waitUntil } from '../../scripts/monitor/processes.js';
import { startMonitoringStack, type MonitoringStack } from '../../scripts/monitor/stack.js';
import { notificationTitle } from '../../scripts/monitor/webhook-sink.js';
import {
  dashboardQueries,
  metricNames,
  shippedAlerts,
  shippedDashboards,
  shippedRuleExpressions,
  substituteVariables,
  tempDir,
} from '../helpers/monitoring-config.js';
import { FAULT_AUTH, FAULT_TOKEN_ENV } from '../helpers/fault-token.js';
import { startService, type RunningService } from '../helpers/service.js';
import { requireTool } from '../helpers/tools.js';

const ENVIRONMENT = 'prod';
/** Long enough for rate() to see several 1 s scrapes. */
const RATE_WINDOW = '30s';
/**
 * Series only a cluster produces (kubelet cAdvisor, kube-state-metrics, node-exporter, etcd,
 * CoreDNS, the API server): none on this machine. Alertmanager cluster gossip is off locally.
 */
const CLUSTER_ONLY = /^(kube_|container_|node_|etcd_|coredns_|apiserver_|alertmanager_cluster_)/;

interface QueryResult {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

const work = tempDir('live-stack');
let service: RunningService | undefined;
let stack: MonitoringStack | undefined;

async function query(expr: string): Promise<QueryResult> {
  assert.ok(stack);
  const url = `${stack.prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const response = await fetch(url);
  return (await response.json()) as QueryResult;
}

async function nonEmpty(expr: string): Promise<boolean> {
  const result = await query(expr);
  return result.status === 'success' && (result.data?.result.length ?? 0) > 0;
}

async function get(path: string, times: number): Promise<number[]> {
  assert.ok(service);
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${service.url}${path}`);
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

/** Both engines present, or the test is skipped (failed under CI) naming the missing one. */
function running(t: TestContext): boolean {
  if (!requireTool(t, 'prometheus', 'Debian package prometheus')) return false;
  if (!findFirstExecutable(ALERTMANAGER_NAMES) && !requireTool(t, 'prometheus-alertmanager'))
    return false;
  assert.ok(stack && service, 'the stack did not start (see the before hook error)');
  return true;
}

describe('live: hello-api -> Prometheus -> Alertmanager -> webhook', () => {
  before(async () => {
    if (!findExecutable('prometheus') || !findFirstExecutable(ALERTMANAGER_NAMES)) return;
    service = await startService({
      env: { FAULT_INJECTION_ENABLED: 'true', ...FAULT_TOKEN_ENV },
    });
    stack = await startMonitoringStack({
      dir: work.path,
      servicePort: service.port,
      environment: ENVIRONMENT,
      interval: '1s',
      fast: true,
    });
  });

  after(async () => {
    await stack?.stop();
    await service?.stop();
    work.cleanup();
  });

  test('Prometheus scrapes the service as up, labelled namespace and pod; app_info keeps its own environment label', async (t) => {
    if (!running(t)) return;
    await waitUntil('up{job="hello-api"} == 1', () => nonEmpty('up{job="hello-api"} == 1'), 15_000);
    const [series] = (await query('up{job="hello-api"}')).data?.result ?? [];
    assert.equal(series?.metric.namespace, ENVIRONMENT);
    assert.ok(series.metric.pod);
    await waitUntil('app_info', () => nonEmpty('app_info{job="hello-api"}'), 15_000);
    const [info] = (await query('app_info{job="hello-api"}')).data?.result ?? [];
    // A target label of the same name would have renamed it to exported_environment.
    assert.ok(info?.metric.environment, JSON.stringify(info?.metric));
    assert.equal(info.metric.exported_environment, undefined);
  });

  test('every metric the rules and dashboards read exists (cluster-only kube_*/container_* aside)', async (t) => {
    if (!running(t)) return;
    assert.ok((await get('/', 20)).every((status) => status === 200));
    assert.ok((await get('/work?ms=5', 5)).every((status) => status === 200));
    const names = new Set<string>();
    for (const expr of [...shippedRuleExpressions(), ...dashboardQueries().map((q) => q.expr)])
      for (const name of metricNames(expr)) if (!CLUSTER_ONLY.test(name)) names.add(name);
    assert.ok(names.has('http_request_duration_seconds_bucket'));
    const missing: string[] = [];
    const deadline = Date.now() + 15_000;
    for (const name of [...names].sort()) {
      // Recording rules and scrapes need a cycle or two; poll each name until the deadline.
      const found = await waitUntil(
        name,
        () => nonEmpty(`count({__name__="${name}"})`),
        Math.max(deadline - Date.now(), 1),
      ).then(
        () => true,
        () => false,
      );
      if (!found) missing.push(name);
    }
    assert.deepEqual(missing, [], 'metrics the rules or dashboards use that never appeared');
  });

  test('injected errors make the HelloApiHighErrorRate expression non-empty', async (t) => {
    if (!running(t)) return;
    assert.ok(service);
    const faults = await fetch(`${service.url}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...FAULT_AUTH },
      body: JSON.stringify({ errorRate: 1 }),
    });
    assert.equal(faults.status, 200);
    const rule = shippedAlerts().find((alert) => alert.alert === 'HelloApiHighErrorRate');
    assert.ok(rule);
    // A counter series only shows an increase from its second scrape on: keep failing requests
    // coming until the expression sees them.
    await waitUntil(
      'the HelloApiHighErrorRate expression',
      async () => {
        assert.ok((await get('/', 10)).every((status) => status === 500));
        return nonEmpty(rule.expr);
      },
      20_000,
    );
    const [series] = (await query(rule.expr)).data?.result ?? [];
    assert.equal(series?.metric.namespace, ENVIRONMENT);
    assert.ok(Number(series.value[1]) > 0.05);
  });

  test('notifications arrive: error rate at the team webhook, the prod SLO page at the pager, Watchdog at the heartbeat only', async (t) => {
    if (!running(t)) return;
    assert.ok(stack);
    const received = stack.sink.received;
    const arrived = (path: string, alertname: string) =>
      received.some((n) => n.path === path && notificationTitle(n).includes(alertname));
    await waitUntil(
      'HelloApiHighErrorRate at /team and HelloApiAvailabilityErrorBudgetBurn at /pager',
      () =>
        Promise.resolve(
          arrived('/team', 'HelloApiHighErrorRate') &&
            arrived('/pager', 'HelloApiAvailabilityErrorBudgetBurn'),
        ),
      30_000,
    );
    const titles = received.map((n) => `${n.path} ${notificationTitle(n)}`);
    assert.ok(
      titles.some((title) => title === '/team [FIRING] HelloApiHighErrorRate (prod)'),
      titles.join('\n'),
    );
    // Watchdog fired at the first evaluation, long before these: only the heartbeat gets it.
    assert.ok(titles.includes('/heartbeat [FIRING] Watchdog'), titles.join('\n'));
    assert.ok(
      !titles.some((title) => title.includes('Watchdog') && !title.startsWith('/heartbeat')),
      titles.join('\n'),
    );
    assert.ok(!arrived('/pager', 'HelloApiHighErrorRate'), 'a warning must not page');
  });

  test('every dashboard query runs; those on service metrics return data', async (t) => {
    if (!running(t)) return;
    const problems: string[] = [];
    for (const { panel, expr } of dashboardQueries()) {
      const substituted = substituteVariables(expr, ENVIRONMENT, RATE_WINDOW);
      const result = await query(substituted);
      if (result.status !== 'success') {
        problems.push(`${panel}: ${result.error ?? result.status}`);
        continue;
      }
      // Queries on cAdvisor or kube-state-metrics series can only run empty without a cluster.
      const clusterOnly = [...metricNames(expr)].some((name) => CLUSTER_ONLY.test(name));
      if (!clusterOnly && (result.data?.result.length ?? 0) === 0)
        problems.push(`${panel}: no data for ${substituted}`);
    }
    for (const dashboard of shippedDashboards().values())
      for (const variable of dashboard.templating?.list ?? []) {
        const text = typeof variable.query === 'string' ? variable.query : variable.query?.query;
        const match = /^label_values\((.+),\s*(\w+)\)$/.exec(text ?? '');
        const values = (await query(match?.[1] ?? '')).data?.result ?? [];
        if (!values.some((series) => series.metric[match?.[2] ?? ''] === ENVIRONMENT))
          problems.push(`variable $${variable.name} does not offer ${ENVIRONMENT}`);
      }
    assert.deepEqual(problems, []);
  });
});
