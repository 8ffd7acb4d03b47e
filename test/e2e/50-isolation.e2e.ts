// On the kind cluster, whose CNI (kindnetd) enforces NetworkPolicy: a pod in another namespace
// reaches exactly what the policies allow, a hello-api pod reaches nothing but DNS (and Tempo's
// OTLP port, which 70-tracing proves), Prometheus still scrapes through the policies, and Pod
// Security admission refuses a privileged pod in dev, stage and prod while it admits a
// restricted one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterNodes } from './lib/cluster.js';
import {
  APP,
  EGRESS_SOURCE,
  ENVIRONMENTS,
  SCRAPE_JOBS,
  SUITE_NAMESPACES,
  fromAppPod,
  fromOtherNamespace,
  prometheusUrl,
} from './lib/facts.js';
import {
  appImage,
  createNamespace,
  deleteNamespace,
  fetchFromPod,
  podObject,
  waitForPodReady,
} from './lib/fixtures.js';
import { applyObjects, isReady, kubectl, pods } from './lib/kubectl.js';
import { query } from './lib/prometheus.js';
import { waitFor } from './lib/wait.js';

const MINUTES = 60_000;
const PROBE = 'probe';

describe('isolation on the cluster', { timeout: 15 * MINUTES }, () => {
  const namespace = SUITE_NAMESPACES.probe;
  let image: string;

  before(async () => {
    await clusterNodes();
    image = await appImage();
    await createNamespace(namespace);
    await applyObjects([
      podObject({
        name: PROBE,
        namespace,
        image,
        command: ['node', '-e', 'setInterval(() => {}, 1 << 30)'],
      }),
    ]);
    await waitForPodReady(namespace, PROBE);
  });

  after(async () => {
    await deleteNamespace(namespace);
  });

  test(
    'a pod in another namespace reaches only what the NetworkPolicies allow',
    { timeout: 5 * MINUTES },
    async () => {
      const lines: string[] = [];
      for (const target of fromOtherNamespace()) {
        const result = await fetchFromPod(namespace, PROBE, target.url);
        lines.push(
          `${target.allowed ? 'allowed' : 'denied '} ${target.name}: ${result.detail} (${target.because})`,
        );
        assert.equal(
          result.reached,
          target.allowed,
          `${target.name} from ${namespace}: ${result.detail}; expected ${target.allowed ? 'reachable' : 'blocked'} by ${target.because}`,
        );
      }
      console.log(lines.join('\n'));
    },
  );

  test(
    'a hello-api pod reaches neither another environment nor Prometheus, and DNS resolves',
    { timeout: 2 * MINUTES },
    async () => {
      const pod = (await pods(EGRESS_SOURCE, APP.selector)).find(isReady);
      assert.ok(pod, `no ready hello-api pod in ${EGRESS_SOURCE}`);
      for (const target of fromAppPod()) {
        const result = await fetchFromPod(
          EGRESS_SOURCE,
          pod.metadata.name,
          target.url,
          APP.container,
        );
        console.log(
          `${target.allowed ? 'allowed' : 'denied '} ${target.name}: ${result.detail} (${target.because})`,
        );
        assert.equal(result.reached, target.allowed, `${target.name}: ${result.detail}`);
      }
      // DNS is allowed: the name of the blocked target above resolves.
      const dns = await kubectl([
        ...['-n', EGRESS_SOURCE, 'exec', pod.metadata.name, '-c', APP.container, '--'],
        ...[
          'node',
          '-e',
          "require('node:dns').promises.lookup('kubernetes.default.svc.cluster.local').then((a) => console.log(a.address))",
        ],
      ]);
      assert.equal(dns.code, 0, `DNS lookup from a hello-api pod failed: ${dns.stderr}`);
      console.log(`allowed DNS from a hello-api pod: kubernetes.default -> ${dns.stdout.trim()}`);
    },
  );

  test(
    'Prometheus still scrapes hello-api, kube-state-metrics and Alertmanager through the policies',
    { timeout: 6 * MINUTES },
    async () => {
      const prometheus = prometheusUrl();
      const jobs = [SCRAPE_JOBS.app, SCRAPE_JOBS.kubeStateMetrics, SCRAPE_JOBS.alertmanager];
      await waitFor(
        `up == 1 for jobs ${jobs.join(', ')}`,
        async () => {
          const down: string[] = [];
          for (const job of jobs) {
            const samples = await query(prometheus, `up{job="${job}"}`);
            if (samples.length === 0 || samples.some((s) => s.value !== 1))
              down.push(`${job} (${samples.map((s) => s.value).join(',') || 'no target'})`);
          }
          return { done: down.length === 0, seen: `not up: ${down.join(', ') || 'none'}` };
        },
        { timeoutMs: 5 * MINUTES, intervalMs: 10_000 },
      );
    },
  );

  test(
    'Pod Security admission refuses a privileged pod in dev, stage and prod, and admits a restricted one',
    { timeout: 2 * MINUTES },
    async () => {
      for (const env of ENVIRONMENTS) {
        const restricted = podObject({
          name: 'e2e-restricted',
          namespace: env,
          image,
          command: ['node', '-e', '0'],
        });
        const privileged = JSON.parse(
          JSON.stringify(restricted).replace('"e2e-restricted"', '"e2e-privileged"'),
        ) as {
          spec: { containers: { securityContext: Record<string, unknown> }[] };
        };
        const container = privileged.spec.containers[0];
        assert.ok(container);
        container.securityContext = { privileged: true };
        // Server-side dry runs pass through admission and create nothing.
        const refused = await kubectl(['create', '--dry-run=server', '-f', '-'], {
          input: JSON.stringify(privileged),
        });
        assert.notEqual(refused.code, 0, `a privileged pod was admitted in ${env}`);
        assert.match(refused.stderr, /violates PodSecurity "restricted:v1\.30"/, refused.stderr);
        const admitted = await kubectl(['create', '--dry-run=server', '-f', '-'], {
          input: JSON.stringify(restricted),
        });
        assert.equal(
          admitted.code,
          0,
          `a restricted pod was refused in ${env}: ${admitted.stderr}`,
        );
        console.log(
          `${env}: privileged pod refused (${refused.stderr.trim().split('\n')[0]?.slice(0, 120) ?? ''}), restricted pod admitted`,
        );
      }
    },
  );
});
