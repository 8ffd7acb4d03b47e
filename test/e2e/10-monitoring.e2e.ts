// On the kind cluster: Prometheus discovers and scrapes every hello-api pod of dev, stage and
// prod, and every other job of the shipped prometheus.yml has all its targets up (cAdvisor and
// node-exporter on every node, etcd and the API server on the control plane, CoreDNS,
// kube-state-metrics, Prometheus and each Alertmanager replica); every metric the shipped alert
// rules and dashboards read has data; Grafana's datasource and dashboards load.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterNodes } from './lib/cluster.js';
import {
  APP,
  CONDITIONAL_METRICS,
  ENVIRONMENTS,
  KIND_UNSERVED_JOBS,
  MONITORING,
  SCRAPE_JOBS,
  SUITE_NAMESPACES,
  TARGET_COUNTS,
  environmentUrls,
  grafanaDashboards,
  DATASOURCE_CHECKS,
  grafanaDatasources,
  prometheusUrl,
  scrapeJobs,
  statefulSet,
  type TargetCount,
} from './lib/facts.js';
import { appImage, createNamespace, deleteNamespace, podObject } from './lib/fixtures.js';
import { applyObjects, isReady, kubectlJson, pods } from './lib/kubectl.js';
import { monitoredMetrics, seriesCountQuery } from './lib/metrics.js';
import { portForward, type Forward } from './lib/port-forward.js';
import { query, summarizeTargets, targets } from './lib/prometheus.js';
import { waitFor } from './lib/wait.js';

const MINUTES = 60_000;

describe('monitoring on the cluster', { timeout: 20 * MINUTES }, () => {
  let prometheus: string;
  let grafana: Forward | undefined;

  before(async () => {
    await clusterNodes();
    prometheus = prometheusUrl();
    // Every environment answers a few requests, so its request metrics exist.
    for (const url of Object.values(environmentUrls())) {
      for (const path of ['/', '/version', '/work?ms=5']) await fetch(`${url}${path}`);
    }
    // A pod that crash-loops, so the series kube-state-metrics emits only for waiting and
    // terminated containers exist (CONDITIONAL_METRICS).
    await createNamespace(SUITE_NAMESPACES.fixtures);
    await applyObjects([
      podObject({
        name: 'crash-loop',
        namespace: SUITE_NAMESPACES.fixtures,
        image: await appImage(),
        command: ['node', '-e', 'process.exit(3)'],
      }),
    ]);
  });

  after(async () => {
    await grafana?.close();
    await deleteNamespace(SUITE_NAMESPACES.fixtures);
  });

  test(
    'every running hello-api pod in dev, stage and prod is a scrape target with up == 1',
    { timeout: 5 * MINUTES },
    async () => {
      const expected: string[] = [];
      for (const env of ENVIRONMENTS)
        for (const pod of await pods(env, APP.selector))
          if (isReady(pod)) expected.push(`${env}/${pod.metadata.name}`);
      assert.ok(expected.length >= 3, `ready hello-api pods: ${expected.join(', ')}`);
      await waitFor(
        `Prometheus to scrape all ${expected.length} hello-api pods with up == 1`,
        async () => {
          const samples = await query(prometheus, `up{job="${SCRAPE_JOBS.app}"} == 1`);
          const up = samples.map((s) => `${s.metric.namespace ?? '?'}/${s.metric.pod ?? '?'}`);
          const missing = expected.filter((pod) => !up.includes(pod));
          return {
            done: missing.length === 0,
            seen: `up: ${up.length}, missing: ${missing.join(', ') || 'none'}`,
          };
        },
        { timeoutMs: 3 * MINUTES },
      );
      // The environment is the target's namespace label: prometheus.yml sets no environment
      // label (it would rename the service's own app_info{environment}).
      const active = (await targets(prometheus)).filter((t) => t.job === SCRAPE_JOBS.app);
      for (const env of ENVIRONMENTS)
        assert.ok(
          active.some((t) => t.labels.namespace === env && t.health === 'up'),
          `no hello-api target up with namespace="${env}"`,
        );
    },
  );

  test(
    'every scrape job of prometheus.yml has all its targets up (one per node, control plane or replica where it should)',
    { timeout: 5 * MINUTES },
    async () => {
      const nodes = await clusterNodes();
      const counts: Record<TargetCount, number> = {
        'every node': nodes.length,
        'every control-plane node': nodes.filter((n) => n.controlPlane).length,
        'every replica': statefulSet(MONITORING.alertmanager.statefulSet).replicas,
      };
      const jobs = scrapeJobs().filter((job) => !(job in KIND_UNSERVED_JOBS));
      const excluded = Object.entries(KIND_UNSERVED_JOBS).map(([job, why]) => `${job} (${why})`);
      console.log(
        `scrape jobs expected up: ${jobs.join(', ')}; excluded on kind: ${excluded.join('; ') || 'none'}`,
      );
      const wanted = (job: string): number => {
        const count = TARGET_COUNTS[job];
        return count === undefined ? 1 : counts[count];
      };
      await waitFor(
        `all targets of ${jobs.length} scrape jobs up`,
        async () => {
          const active = await targets(prometheus);
          const short = jobs.flatMap((job) => {
            const of = active.filter((t) => t.job === job);
            const up = of.filter((t) => t.health === 'up').length;
            const exact = TARGET_COUNTS[job] !== undefined;
            const ok = up === of.length && (exact ? up === wanted(job) : up >= 1);
            return ok
              ? []
              : [`${job} ${up}/${of.length} up, wanted ${exact ? '' : '>= '}${wanted(job)}`];
          });
          const errors = active
            .filter((t) => t.health !== 'up')
            .map((t) => `${t.job} ${t.scrapeUrl}: ${t.lastError}`);
          return {
            done: short.length === 0,
            seen: `${short.join(', ') || 'all up'}${errors.length ? `; errors: ${errors.join('; ')}` : ''}`,
          };
        },
        { timeoutMs: 4 * MINUTES, intervalMs: 5_000 },
      );
      console.log(`targets: ${summarizeTargets(await targets(prometheus))}`);
    },
  );

  test(
    'every metric the alert rules and dashboards read returns data',
    { timeout: 8 * MINUTES },
    async () => {
      const metrics = monitoredMetrics();
      assert.ok(
        metrics.length > 10,
        `only ${metrics.length} metric names found in rules and dashboards`,
      );
      const missing = await waitFor(
        `data for all ${metrics.length} metrics the rules and dashboards read`,
        async () => {
          const without: string[] = [];
          for (const metric of metrics) {
            const samples = await query(prometheus, seriesCountQuery(metric.name));
            if ((samples[0]?.value ?? 0) < 1) without.push(metric.name);
          }
          return {
            done: without.length === 0,
            value: without,
            seen: `without data: ${without.join(', ') || 'none'}`,
          };
        },
        { timeoutMs: 6 * MINUTES, intervalMs: 15_000 },
      );
      assert.deepEqual(missing, []);
      const conditional = metrics.filter((m) => m.name in CONDITIONAL_METRICS).map((m) => m.name);
      console.log(
        `metrics with data: ${metrics.length} (${conditional.length} only while a condition holds, made to hold: ${conditional.join(', ')})`,
      );
    },
  );

  test(
    "Grafana's datasources (Prometheus, Tempo) answer and every shipped dashboard loads",
    { timeout: 5 * MINUTES },
    async () => {
      grafana = await portForward(
        MONITORING.namespace,
        `svc/${MONITORING.grafana.service}`,
        MONITORING.grafana.port,
      );
      const secret = await kubectlJson<{ data: Record<string, string> }>([
        '-n',
        MONITORING.namespace,
        'get',
        'secret',
        MONITORING.grafana.adminSecret,
      ]);
      const decode = (key: string) =>
        Buffer.from(secret.data[key] ?? '', 'base64').toString('utf8');
      const authorization = `Basic ${Buffer.from(`${decode(MONITORING.grafana.userKey)}:${decode(MONITORING.grafana.passwordKey)}`).toString('base64')}`;
      const get = async (path: string) => {
        const response = await fetch(`${grafana?.url ?? ''}${path}`, {
          headers: { authorization },
          signal: AbortSignal.timeout(15_000),
        });
        return {
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        };
      };
      const datasources = grafanaDatasources();
      assert.ok(datasources.length > 0, 'no provisioned datasource');
      for (const { uid, type } of datasources) {
        const check = DATASOURCE_CHECKS[type];
        assert.ok(check, `datasource ${uid}: no check for type ${type}`);
        const seen = await waitFor(
          `Grafana datasource ${uid} (${type}) to answer`,
          async () => {
            const response = await fetch(`${grafana?.url ?? ''}${check.path(uid)}`, {
              headers: { authorization },
              signal: AbortSignal.timeout(15_000),
            });
            const body = await response.text();
            return {
              done: check.answers(response.status, body),
              value: body,
              seen: `${response.status} ${body.slice(0, 200)}`,
            };
          },
          { timeoutMs: 2 * MINUTES },
        );
        console.log(`Grafana datasource ${uid} (${type}): ${seen.slice(0, 200)}`);
      }
      for (const dashboard of grafanaDashboards()) {
        const answer = await get(`/api/dashboards/uid/${dashboard.uid}`);
        assert.equal(
          answer.status,
          200,
          `dashboard ${dashboard.uid}: ${JSON.stringify(answer.body)}`,
        );
        const loaded = answer.body.dashboard as { title?: string; panels?: unknown[] } | undefined;
        assert.equal(loaded?.title, dashboard.title);
        const panels = loaded.panels ?? [];
        console.log(`Grafana dashboard "${dashboard.title}" loaded: ${panels.length} panels`);
      }
      // The datasource proxy runs a query the way a panel does.
      const prometheus = datasources.find((d) => d.type === 'prometheus');
      assert.ok(prometheus, 'no Prometheus datasource');
      const proxied = await get(
        `/api/datasources/proxy/uid/${prometheus.uid}/api/v1/query?query=up`,
      );
      assert.equal(proxied.status, 200, JSON.stringify(proxied.body));
    },
  );
});
