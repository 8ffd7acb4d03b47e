// On the kind cluster: configuration changes are applied by the config reloaders, not by
// restarts. A rules file added to the prometheus-rules ConfigMap is loaded by the running
// Prometheus, and a receiver added to alertmanager.yml by every running Alertmanager: the pods
// keep their uid and restart counts, and each one's last-successful-reload timestamp moves. Both
// changes are taken back the same way. The kubelet refreshes a mounted ConfigMap within its sync
// period (one minute by default) plus its ConfigMap cache's propagation delay
// (kubernetes.io/docs/concepts/configuration/configmap/#mounted-configmaps-are-updated-automatically),
// and the reloader then signals Prometheus or POSTs Alertmanager's /-/reload; both ConfigMaps
// are changed at once so the two waits overlap.
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
const WAIT = { timeoutMs: 5 * MINUTES, intervalMs: 5_000 };

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

/** Until every pod's reload timestamp is later than it was before the change. */
async function reloadedSince(
  metric: string,
  job: string,
  before: Record<string, number>,
): Promise<Record<string, number>> {
  return waitFor(
    `${metric} of ${Object.keys(before).join(', ')} to move`,
    async () => {
      const now = await reloadTimes(metric, job);
      const stale = Object.keys(before).filter((p) => !((now[p] ?? 0) > (before[p] ?? 0)));
      return { done: stale.length === 0, value: now, seen: `not yet: ${stale.join(', ')}` };
    },
    { timeoutMs: 2 * MINUTES, intervalMs: 5_000 },
  );
}

const moves = (before: Record<string, number>, after: Record<string, number>) =>
  Object.keys(before)
    .map((p) => `${p} +${((after[p] ?? 0) - (before[p] ?? 0)).toFixed(0)} s`)
    .join(', ');

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

const removeRules = () =>
  kubectl([
    ...['-n', NS, 'patch', 'configmap', MONITORING.rulesConfigMap, '--type', 'json'],
    ...['-p', JSON.stringify([{ op: 'remove', path: `/data/${RELOAD.ruleKey}` }])],
  ]);

describe('configuration changes are reloaded, not restarted', { timeout: 25 * MINUTES }, () => {
  const prometheus = statefulSet(MONITORING.prometheus.statefulSet);
  const alertmanager = statefulSet(MONITORING.alertmanager.statefulSet);
  const forwards: Forward[] = [];
  const alertmanagers: string[] = [];
  let originalConfig: string | undefined;
  let changedAt = 0;
  const was = {
    prometheusPods: [] as string[],
    alertmanagerPods: [] as string[],
    prometheusReload: {} as Record<string, number>,
    alertmanagerReload: {} as Record<string, number>,
  };

  const rulesLoaded = async () => {
    const file = `${rulesMountPath()}/${RELOAD.ruleKey}`;
    return (await ruleGroups(prometheusUrl())).some(
      (g) => g.file === file && g.rules.some((r) => r.name === RELOAD.record),
    );
  };
  const receiverLoaded = async (base: string) =>
    (await loadedConfig(base)).includes(`name: ${RELOAD.receiver}`);

  before(async () => {
    await clusterNodes();
    for (const name of alertmanager.pods) {
      const forward = await portForward(NS, `pod/${name}`, MONITORING.alertmanager.port);
      forwards.push(forward);
      alertmanagers.push(forward.url);
    }
    assert.equal(await rulesLoaded(), false, `${RELOAD.ruleKey} is loaded before the change`);
    for (const base of alertmanagers)
      assert.equal(await receiverLoaded(base), false, `${RELOAD.receiver} is loaded already`);
    const configMap = await kubectlJson<{ data?: Record<string, string> }>([
      ...['-n', NS, 'get', 'configmap', MONITORING.alertmanagerConfigMap],
    ]);
    const original = configMap.data?.[ALERTMANAGER_CONFIG_KEY];
    assert.ok(original, `${MONITORING.alertmanagerConfigMap} has no ${ALERTMANAGER_CONFIG_KEY}`);
    // The same file with one more receiver; comments and everything else stay as they are.
    const document = parseDocument(original);
    (document.get('receivers') as YAMLSeq).add(document.createNode({ name: RELOAD.receiver }));

    was.prometheusPods = await podIdentities(prometheus.pods);
    was.alertmanagerPods = await podIdentities(alertmanager.pods);
    was.prometheusReload = await reloadTimes(RELOAD.prometheusMetric, SCRAPE_JOBS.prometheus);
    // Every replica scraped (after a restart Prometheus needs a scrape or two to see them all).
    was.alertmanagerReload = await waitFor(
      `${RELOAD.alertmanagerMetric} of all ${alertmanager.replicas} Alertmanagers`,
      async () => {
        const now = await reloadTimes(RELOAD.alertmanagerMetric, SCRAPE_JOBS.alertmanager);
        const complete = Object.keys(now).length === alertmanager.replicas;
        return { done: complete, value: now, seen: JSON.stringify(now) };
      },
      { timeoutMs: 2 * MINUTES, intervalMs: 5_000 },
    );
    assert.equal(Object.keys(was.prometheusReload).length, 1, `no ${RELOAD.prometheusMetric}`);

    changedAt = Date.now();
    originalConfig = original;
    await patchData(MONITORING.rulesConfigMap, { [RELOAD.ruleKey]: RULES });
    await patchData(MONITORING.alertmanagerConfigMap, {
      [ALERTMANAGER_CONFIG_KEY]: document.toString(),
    });
  });

  after(async () => {
    await removeRules();
    if (originalConfig !== undefined)
      await patchData(MONITORING.alertmanagerConfigMap, {
        [ALERTMANAGER_CONFIG_KEY]: originalConfig,
      }).catch(() => undefined);
    for (const forward of forwards) await forward.close();
  });

  test(
    'a rule added to the prometheus-rules ConfigMap is loaded by the running Prometheus, and taken back',
    { timeout: 12 * MINUTES },
    async () => {
      await waitFor(
        `Prometheus to load ${RELOAD.ruleKey}`,
        async () => ({ done: await rulesLoaded(), seen: 'not loaded yet' }),
        WAIT,
      );
      const loadedAfter = (Date.now() - changedAt) / 1000;
      const reloaded = await reloadedSince(
        RELOAD.prometheusMetric,
        SCRAPE_JOBS.prometheus,
        was.prometheusReload,
      );
      const value = (await query(prometheusUrl(), RELOAD.record))[0]?.value;
      assert.deepEqual(await podIdentities(prometheus.pods), was.prometheusPods, 'restarted');
      console.log(
        `rule ${RELOAD.record} loaded ${loadedAfter.toFixed(0)} s after the ConfigMap change (evaluates to ${value ?? 'nothing yet'}); ${RELOAD.prometheusMetric}: ${moves(was.prometheusReload, reloaded)}; pod unchanged: ${was.prometheusPods.join('; ')}`,
      );

      const removed = await removeRules();
      assert.equal(removed.code, 0, removed.stderr);
      await waitFor(
        `Prometheus to drop ${RELOAD.ruleKey}`,
        async () => ({ done: !(await rulesLoaded()), seen: 'still loaded' }),
        WAIT,
      );
      assert.deepEqual(await podIdentities(prometheus.pods), was.prometheusPods, 'restarted');
      console.log(
        `rule ${RELOAD.record} gone again ${((Date.now() - changedAt) / 1000).toFixed(0)} s after the first change, pod unchanged`,
      );
    },
  );

  test(
    'a receiver added to alertmanager.yml is loaded by every running Alertmanager, and taken back',
    { timeout: 12 * MINUTES },
    async () => {
      for (const [i, base] of alertmanagers.entries())
        await waitFor(
          `${alertmanager.pods[i] ?? base} to load receiver ${RELOAD.receiver}`,
          async () => ({ done: await receiverLoaded(base), seen: 'old configuration' }),
          WAIT,
        );
      const loadedAfter = (Date.now() - changedAt) / 1000;
      const reloaded = await reloadedSince(
        RELOAD.alertmanagerMetric,
        SCRAPE_JOBS.alertmanager,
        was.alertmanagerReload,
      );
      assert.deepEqual(await podIdentities(alertmanager.pods), was.alertmanagerPods, 'restarted');
      console.log(
        `receiver ${RELOAD.receiver} loaded by ${alertmanagers.length} Alertmanagers within ${loadedAfter.toFixed(0)} s of the change; ${RELOAD.alertmanagerMetric}: ${moves(was.alertmanagerReload, reloaded)}; pods unchanged: ${was.alertmanagerPods.join('; ')}`,
      );

      await patchData(MONITORING.alertmanagerConfigMap, {
        [ALERTMANAGER_CONFIG_KEY]: originalConfig ?? '',
      });
      for (const base of alertmanagers)
        await waitFor(
          `${base} to drop receiver ${RELOAD.receiver}`,
          async () => ({ done: !(await receiverLoaded(base)), seen: 'still loaded' }),
          WAIT,
        );
      originalConfig = undefined;
      assert.deepEqual(await podIdentities(alertmanager.pods), was.alertmanagerPods, 'restarted');
    },
  );
});
