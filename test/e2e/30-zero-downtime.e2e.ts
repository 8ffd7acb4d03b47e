// On the kind cluster: no request fails while prod is rolled (`kubectl rollout restart`) or while
// a worker node that runs prod pods is drained, under steady keep-alive load through prod's
// NodePort (published on the control-plane node, which is never drained).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterNodes } from './lib/cluster.js';
import { APP, MONITORING, environmentUrls } from './lib/facts.js';
import { isReady, kubectl, kubectlOk, pods } from './lib/kubectl.js';
import { formatSummary, loadsOfThisFile } from './lib/load.js';
import { waitFor } from './lib/wait.js';

const MINUTES = 60_000;
const ENV = 'prod';
const CONCURRENCY = 8;

describe('zero failed requests in prod', { timeout: 20 * MINUTES }, () => {
  before(() => clusterNodes());
  const url = environmentUrls()[ENV];
  const loads = loadsOfThisFile();
  let cordoned: string | undefined;

  after(async () => {
    await loads.stopAll();
    if (cordoned !== undefined) await kubectl(['uncordon', cordoned]);
  });

  /** Load runs for the whole of `disturb`, and a few hundred answers before and after it. */
  async function underLoad(label: string, disturb: () => Promise<void>): Promise<void> {
    const running = loads.start({
      baseUrl: url,
      paths: ['/', '/version'],
      concurrency: CONCURRENCY,
    });
    const settled = async (what: string) => {
      const from = running.answered();
      await waitFor(
        `${what}: 500 more answers`,
        () => {
          const n = running.answered() - from;
          return Promise.resolve({ done: n >= 500, seen: `${n} answers` });
        },
        { timeoutMs: MINUTES, intervalMs: 250, log: () => undefined },
      );
    };
    await settled('load running');
    await disturb();
    await settled('after the disturbance');
    const summary = await running.stop();
    console.log(formatSummary(`${ENV} ${label}`, summary));
    assert.equal(
      summary.failed,
      0,
      `${summary.failed} failed requests, first: ${summary.firstFailures.join(' | ')}`,
    );
    assert.ok(summary.ok > 1000, `only ${summary.ok} requests answered`);
  }

  test(
    'kubectl rollout restart of prod under load fails no request',
    { timeout: 10 * MINUTES },
    async () => {
      const before = (await pods(ENV, APP.selector)).map((pod) => pod.metadata.name);
      await underLoad('during rollout restart', async () => {
        await kubectlOk(['-n', ENV, 'rollout', 'restart', `deployment/${APP.deployment}`]);
        await kubectlOk(
          ['-n', ENV, 'rollout', 'status', `deployment/${APP.deployment}`, '--timeout=300s'],
          {
            timeoutMs: 320_000,
          },
        );
      });
      const afterwards = (await pods(ENV, APP.selector))
        .filter(isReady)
        .map((pod) => pod.metadata.name);
      assert.ok(
        afterwards.every((name) => !before.includes(name)),
        `old pods still serving: ${afterwards.join(', ')}`,
      );
      console.log(`${ENV} pods replaced: ${before.length} -> ${afterwards.length} new`);
    },
  );

  test(
    'draining a worker node that runs prod pods fails no request',
    { timeout: 10 * MINUTES },
    async () => {
      const running = (await pods(ENV, APP.selector)).filter(isReady);
      const byNode = new Map<string, number>();
      for (const pod of running)
        byNode.set(pod.spec.nodeName ?? '', (byNode.get(pod.spec.nodeName ?? '') ?? 0) + 1);
      const [node, count] = [...byNode.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
      assert.ok(node !== '' && count > 0, 'no prod pod on any node');
      console.log(`draining ${node}: it runs ${count} of ${running.length} prod pods`);
      await underLoad(`during drain of ${node}`, async () => {
        cordoned = node;
        // Evictions respect the PodDisruptionBudget; emptyDir data (the pods' /tmp) goes.
        await kubectlOk(
          ['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=300s'],
          {
            timeoutMs: 320_000,
          },
        );
        await kubectlOk(
          ['-n', ENV, 'rollout', 'status', `deployment/${APP.deployment}`, '--timeout=300s'],
          {
            timeoutMs: 320_000,
          },
        );
      });
      const left = (await pods(ENV, APP.selector)).filter((pod) => pod.spec.nodeName === node);
      assert.equal(left.length, 0, `prod pods still on ${node}`);
      await kubectlOk(['uncordon', node]);
      cordoned = undefined;
      // kind's local-path volumes live on one node: a Prometheus or Alertmanager pod evicted
      // from it waits, Pending, until the node takes pods again. Back before the next check.
      for (const name of [MONITORING.prometheus.statefulSet, MONITORING.alertmanager.statefulSet]) {
        const started = Date.now();
        await kubectlOk(
          [
            '-n',
            MONITORING.namespace,
            'rollout',
            'status',
            `statefulset/${name}`,
            '--timeout=300s',
          ],
          { timeoutMs: 320_000 },
        );
        console.log(
          `statefulset/${name} ready ${((Date.now() - started) / 1000).toFixed(0)} s after the uncordon`,
        );
      }
    },
  );
});
