// On the kind cluster: configuration changes are applied by the config reloaders, not by
// restarts. A rules file added to the prometheus-rules ConfigMap is loaded by the running
// Prometheus, and a receiver added to alertmanager.yml by both running Alertmanagers: the pods
// keep their uid and restart counts, and each one's last-successful-reload timestamp moves.
// Both changes are taken back the same way afterwards. The kubelet refreshes a mounted ConfigMap
// within its sync period plus its cache's lifetime (about a minute each by default,
// kubernetes.io/docs/concepts/configuration/configmap/#mounted-configmaps-are-updated-automatically),
// and the reloader then signals Prometheus or POSTs Alertmanager's /-/reload.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseDocument, type YAMLSeq } from 'yaml';
import { ALERTMANAGER_CONFIG_KEY } from '../../scripts/monitor/shipped-config.js';
import { loadedConfig } from './lib/alertmanager.js';
import { clusterNodes } from './lib/cluster.js';
import {
  MONITORING,
  RELOAD,
  SCRAPE_JOBS,
  prometheusUrl,
  rulesMountPath,
  statefulSet,
} from './lib/facts.js';
import { kubectl, kubectlJson, kubectlOk, pod, restartCounts } from './lib/kubectl.js';
import { portForward, type Forward } from './lib/port-forward.js';
import { query, ruleGroups } from './lib/prometheus.js';
import { waitFor } from './lib/wait.js';

const MINUTES = 60_000;
const NS = MONITORING.namespace;
const RULES = `groups:
  - name: ${RELOAD.group}
    rules:
      - record: ${RELOAD.record}
        expr: vector(1)
`;

/** Each pod's uid and restart counts: unchanged when the change was reloaded, not restarted. */
async function podIdentities(names: string[]): Promise<string[]> {
  const seen: string[] = [];
  for (const name of names) {
    const found = await pod(NS, name);
    assert.ok(found, `no pod ${NS}/${name}`);
    seen.push(`${name} ${found.metadata.uid} (${restartCounts(found)})`);
  }
  return seen;
}

/** The reload metric per pod, as Prometheus scraped it (the prometheus job has no pod label). */
async function reloadTimes(metric: string, job: string): Promise<Record<string, number>> {
  const samples = await query(prometheusUrl(), `${metric}{job="${job}"}`);
  return Object.fromEntries(samples.map((s) => [s.metric.pod ?? job, s.value]));
}

const configMapData = async (name: string): Promise<Record<string, string>> =>
  (await kubectlJson<{ data?: Record<string, string> }>(['-n', NS, 'get', 'configmap', name]))
    .data ?? {};

const patchData = (name: string, data: Record<string, string>) =>
  kubectlOk([
    '-n',
    NS,
    'patch',
    'configmap',
    name,
    '--type',
    'merge',
    '-p',
    JSON.stringify({ data }),
  ]);

describe('configuration changes are reloaded, not restarted', { timeout: 25 * MINUTES }, () => {
  const prometheus = statefulSet(MONITORING.prometheus.statefulSet);
  const alertmanager = statefulSet(MONITORING.alertmanager.statefulSet);
  let originalAlertmanagerConfig: string | undefined;
  const forwards: Forward[] = [];

  before(() => clusterNodes());
  after(async () => {
    await kubectl([
      ...['-n', NS, 'patch', 'configmap', MONITORING.rulesConfigMap, '--type', 'json'],
      ...['-p', JSON.stringify([{ op: 'remove', path: `/data/${RELOAD.ruleKey}` }])],
    ]);
    if (originalAlertmanagerConfig !== undefined)
      await patchData(MONITORING.alertmanagerConfigMap, {
        [ALERTMANAGER_CONFIG_KEY]: originalAlertmanagerConfig,
      }).catch(() => undefined);
    for (const forward of forwards) await forward.close();
  });

  test(
    'a rule added to the prometheus-rules ConfigMap is loaded by the running Prometheus, and taken back',
    { timeout: 12 * MINUTES },
    async () => {
      const base = prometheusUrl();
      const file = `${rulesMountPath()}/${RELOAD.ruleKey}`;
      const pods = await podIdentities(prometheus.pods);
      const loaded = async () =>
        (await ruleGroups(base)).some(
          (g) => g.file === file && g.rules.some((r) => r.name === RELOAD.record),
        );
      assert.equal(await loaded(), false, `${file} is loaded before the test added it`);
      const times = await reloadTimes(RELOAD.prometheusMetric, SCRAPE_JOBS.prometheus);
      const before = Math.max(...Object.values(times));
      assert.ok(Number.isFinite(before), `no ${RELOAD.prometheusMetric}`);

      const started = Date.now();
      await patchData(MONITORING.rulesConfigMap, { [RELOAD.ruleKey]: RULES });
      await waitFor(
        `Prometheus to load ${file}`,
        async () => ({ done: await loaded(), seen: 'not loaded yet' }),
        { timeoutMs: 5 * MINUTES, intervalMs: 5_000 },
      );
      const loadedAfter = (Date.now() - started) / 1000;
      const value = (await query(base, RELOAD.record))[0]?.value;
      const moved = await waitFor(
        `${RELOAD.prometheusMetric} to move past ${before}`,
        async () => {
          const now = Math.max(
            ...Object.values(await reloadTimes(RELOAD.prometheusMetric, SCRAPE_JOBS.prometheus)),
          );
          return { done: now > before, value: now, seen: String(now) };
        },
        { timeoutMs: 2 * MINUTES, intervalMs: 5_000 },
      );
      assert.deepEqual(await podIdentities(prometheus.pods), pods, 'the pod was restarted');
      console.log(
        `rule ${RELOAD.record} loaded ${loadedAfter.toFixed(0)} s after the ConfigMap change (value ${value ?? 'none yet'}); ${RELOAD.prometheusMetric} ${new Date(before * 1000).toISOString()} -> ${new Date(moved * 1000).toISOString()}; pod unchanged: ${pods.join('; ')}`,
      );

      await kubectlOk([
        ...['-n', NS, 'patch', 'configmap', MONITORING.rulesConfigMap, '--type', 'json'],
        ...['-p', JSON.stringify([{ op: 'remove', path: `/data/${RELOAD.ruleKey}` }])],
      ]);
      await waitFor(
        `Prometheus to drop ${file}`,
        async () => ({ done: !(await loaded()), seen: 'still loaded' }),
        { timeoutMs: 5 * MINUTES, intervalMs: 5_000 },
      );
      assert.deepEqual(await podIdentities(prometheus.pods), pods, 'the pod was restarted');
      console.log(
        `rule ${RELOAD.record} gone again ${((Date.now() - started) / 1000).toFixed(0)} s after the first change`,
      );
    },
  );

  test(
    'a receiver added to alertmanager.yml is loaded by every running Alertmanager, and taken back',
    { timeout: 12 * MINUTES },
    async () => {
      const original = (await configMapData(MONITORING.alertmanagerConfigMap))[
        ALERTMANAGER_CONFIG_KEY
      ];
      assert.ok(
        original,
        `ConfigMap ${MONITORING.alertmanagerConfigMap} has no ${ALERTMANAGER_CONFIG_KEY}`,
      );
      const document = parseDocument(original);
      (document.get('receivers') as YAMLSeq).add(document.createNode({ name: RELOAD.receiver }));
      const changed = document.toString();

      const bases: string[] = [];
      for (const name of alertmanager.pods) {
        const forward = await portForward(NS, `pod/${name}`, MONITORING.alertmanager.port);
        forwards.push(forward);
        bases.push(forward.url);
      }
      const marked = async (base: string) => (await loadedConfig(base)).includes(RELOAD.receiver);
      const pods = await podIdentities(alertmanager.pods);
      // Every replica scraped (after a restart Prometheus needs a scrape or two to see them all).
      const before = await waitFor(
        `${RELOAD.alertmanagerMetric} of all ${alertmanager.replicas} Alertmanagers`,
        async () => {
          const now = await reloadTimes(RELOAD.alertmanagerMetric, SCRAPE_JOBS.alertmanager);
          return {
            done: Object.keys(now).length === alertmanager.replicas,
            value: now,
            seen: JSON.stringify(now),
          };
        },
        { timeoutMs: 2 * MINUTES, intervalMs: 5_000 },
      );

      const started = Date.now();
      originalAlertmanagerConfig = original;
      await patchData(MONITORING.alertmanagerConfigMap, { [ALERTMANAGER_CONFIG_KEY]: changed });
      for (const [i, base] of bases.entries())
        await waitFor(
          `${alertmanager.pods[i] ?? base} to load receiver ${RELOAD.receiver}`,
          async () => ({ done: await marked(base), seen: 'old configuration' }),
          { timeoutMs: 5 * MINUTES, intervalMs: 5_000 },
        );
      const loadedAfter = (Date.now() - started) / 1000;
      const after = await waitFor(
        `${RELOAD.alertmanagerMetric} of every pod to move`,
        async () => {
          const now = await reloadTimes(RELOAD.alertmanagerMetric, SCRAPE_JOBS.alertmanager);
          const stale = Object.keys(before).filter((p) => !((now[p] ?? 0) > (before[p] ?? 0)));
          return { done: stale.length === 0, value: now, seen: `not yet: ${stale.join(', ')}` };
        },
        { timeoutMs: 2 * MINUTES, intervalMs: 5_000 },
      );
      assert.deepEqual(await podIdentities(alertmanager.pods), pods, 'a pod was restarted');
      console.log(
        `receiver ${RELOAD.receiver} loaded by ${bases.length} Alertmanagers within ${loadedAfter.toFixed(0)} s; ${RELOAD.alertmanagerMetric}: ${Object.keys(
          before,
        )
          .map((p) => `${p} +${((after[p] ?? 0) - (before[p] ?? 0)).toFixed(0)} s`)
          .join(', ')}; pods unchanged: ${pods.join('; ')}`,
      );

      await patchData(MONITORING.alertmanagerConfigMap, { [ALERTMANAGER_CONFIG_KEY]: original });
      for (const base of bases)
        await waitFor(
          `${base} to drop receiver ${RELOAD.receiver}`,
          async () => ({ done: !(await marked(base)), seen: 'still loaded' }),
          { timeoutMs: 5 * MINUTES, intervalMs: 5_000 },
        );
      originalAlertmanagerConfig = undefined;
      assert.deepEqual(await podIdentities(alertmanager.pods), pods, 'a pod was restarted');
    },
  );
});
