// On the kind cluster: alerts are delivered. An in-cluster webhook receiver stands in for the
// receivers' real endpoints (the Secret alertmanager-receivers points every receiver key at it);
// the Watchdog reaches Alertmanager, and fault injection in dev makes the error-rate alert fire
// in Prometheus and arrive at the receiver.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clusterNodes } from './lib/cluster.js';
import {
  ALERTS,
  APP,
  MONITORING,
  SUITE_NAMESPACES,
  environmentUrls,
  prometheusUrl,
  receiverKeys,
  receiverOfAlert,
} from './lib/facts.js';
import { appImage, createNamespace, deleteNamespace, podSpec } from './lib/fixtures.js';
import { applyObjects, isReady, kubectl, kubectlOk, pods } from './lib/kubectl.js';
import { portForward, type Forward } from './lib/port-forward.js';
import { query } from './lib/prometheus.js';
import { waitFor } from './lib/wait.js';

const MINUTES = 60_000;
const RECEIVER = { name: 'alert-receiver', port: 8080 };
const RECEIVER_SOURCE = fileURLToPath(new URL('fixtures/alert-receiver.ts', import.meta.url));

interface Received {
  path: string;
  body: string;
}

/** Sets the error rate of every ready dev pod through its own /faults (the setting is per pod). */
async function setErrorRate(namespace: string, errorRate: number): Promise<string[]> {
  const script = `fetch('http://127.0.0.1:${APP.port}/faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: process.argv[1] }).then(async (r) => { console.log(r.status + ' ' + await r.text()); if (!r.ok) process.exit(1); })`;
  const answers: string[] = [];
  for (const pod of (await pods(namespace, APP.selector)).filter(isReady)) {
    const out = await kubectlOk([
      ...['-n', namespace, 'exec', pod.metadata.name, '-c', APP.container, '--'],
      ...['node', '-e', script, JSON.stringify({ errorRate })],
    ]);
    answers.push(`${pod.metadata.name}: ${out.trim()}`);
  }
  return answers;
}

describe('alert delivery on the cluster', { timeout: 30 * MINUTES }, () => {
  const namespace = SUITE_NAMESPACES.receiver;
  let alertmanager: Forward | undefined;
  let receiver: Forward | undefined;
  let previousSecret: string | undefined;
  let stopTraffic = (): Promise<Record<string, number>> => Promise.resolve({});

  const received = async (): Promise<Received[]> =>
    (await (
      await fetch(`${receiver?.url ?? ''}/received`, { signal: AbortSignal.timeout(10_000) })
    ).json()) as Received[];

  before(async () => {
    await clusterNodes();
    await createNamespace(namespace);
    const labels = { 'app.kubernetes.io/name': RECEIVER.name };
    await applyObjects([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: RECEIVER.name, namespace },
        data: { 'alert-receiver.ts': readFileSync(RECEIVER_SOURCE, 'utf8') },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: RECEIVER.name, namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: podSpec({
              name: RECEIVER.name,
              namespace,
              image: await appImage(),
              command: ['node', '/receiver/alert-receiver.ts'],
              env: [{ name: 'PORT', value: String(RECEIVER.port) }],
              configMap: { name: RECEIVER.name, mountPath: '/receiver' },
              ports: [RECEIVER.port],
            }),
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: RECEIVER.name, namespace, labels },
        spec: { selector: labels, ports: [{ port: RECEIVER.port, targetPort: RECEIVER.port }] },
      },
    ]);
    await kubectlOk(
      ['-n', namespace, 'rollout', 'status', `deployment/${RECEIVER.name}`, '--timeout=180s'],
      {
        timeoutMs: 200_000,
      },
    );

    // Every receiver key of alertmanager.yml points at the receiver, one path per key.
    const existing = await kubectl([
      '-n',
      MONITORING.namespace,
      'get',
      'secret',
      MONITORING.receiversSecret,
      '-o',
      'json',
    ]);
    previousSecret = existing.code === 0 ? existing.stdout : undefined;
    const stringData = Object.fromEntries(
      [...receiverKeys().values()].map((key) => [
        key,
        `http://${RECEIVER.name}.${namespace}.svc.cluster.local:${RECEIVER.port}/${key}`,
      ]),
    );
    console.log(`receiver Secret keys: ${Object.keys(stringData).join(', ')}`);
    await applyObjects([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: MONITORING.receiversSecret, namespace: MONITORING.namespace },
        stringData,
      },
    ]);
    // A restart makes Alertmanager start with the receiver files in place (no wait for the
    // kubelet to refresh the Secret volume).
    await kubectlOk([
      '-n',
      MONITORING.namespace,
      'rollout',
      'restart',
      MONITORING.alertmanager.workload,
    ]);
    await kubectlOk(
      [
        '-n',
        MONITORING.namespace,
        'rollout',
        'status',
        MONITORING.alertmanager.workload,
        '--timeout=180s',
      ],
      {
        timeoutMs: 200_000,
      },
    );
    alertmanager = await portForward(
      MONITORING.namespace,
      `svc/${MONITORING.alertmanager.service}`,
      MONITORING.alertmanager.port,
    );
    receiver = await portForward(namespace, `svc/${RECEIVER.name}`, RECEIVER.port);
  });

  after(async () => {
    await stopTraffic();
    await setErrorRate(ALERTS.faultEnvironment, 0).catch((error: unknown) => {
      console.log(`could not reset the error rate in ${ALERTS.faultEnvironment}: ${String(error)}`);
    });
    await alertmanager?.close();
    await receiver?.close();
    // Back to the Secret as it was: none (cluster-up creates none) or the operator's own.
    await kubectl([
      '-n',
      MONITORING.namespace,
      'delete',
      'secret',
      MONITORING.receiversSecret,
      '--ignore-not-found',
    ]);
    if (previousSecret !== undefined) {
      const secret = JSON.parse(previousSecret) as { metadata: Record<string, unknown> };
      for (const field of ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields'])
        secret.metadata[field] = undefined;
      await kubectl(['create', '-f', '-'], { input: JSON.stringify(secret) });
    }
    await kubectl([
      '-n',
      MONITORING.namespace,
      'rollout',
      'restart',
      MONITORING.alertmanager.workload,
    ]);
    await deleteNamespace(namespace);
  });

  test(
    'the always-firing Watchdog reaches Alertmanager (and its receiver, when it has one)',
    { timeout: 10 * MINUTES },
    async () => {
      const active = await waitFor(
        `Alertmanager to hold the ${ALERTS.watchdog} alert`,
        async () => {
          const filter = encodeURIComponent(`alertname="${ALERTS.watchdog}"`);
          const response = await fetch(`${alertmanager?.url ?? ''}/api/v2/alerts?filter=${filter}`);
          const alerts = (await response.json()) as { status?: { state?: string } }[];
          const count = alerts.filter((a) => a.status?.state === 'active').length;
          return { done: count > 0, value: count, seen: `${count} active` };
        },
        { timeoutMs: 3 * MINUTES },
      );
      console.log(`Alertmanager holds ${active} active ${ALERTS.watchdog} alert(s)`);
      const key = receiverKeys().get(receiverOfAlert(ALERTS.watchdog) ?? '');
      if (key === undefined) {
        console.log(
          `${ALERTS.watchdog} routes to a receiver without integrations: nothing to deliver`,
        );
        return;
      }
      await waitFor(
        `${ALERTS.watchdog} delivered to /${key}`,
        async () => {
          const hits = (await received()).filter(
            (r) => r.path === `/${key}` && r.body.includes(ALERTS.watchdog),
          );
          return { done: hits.length > 0, seen: `${hits.length} notifications` };
        },
        { timeoutMs: 5 * MINUTES, intervalMs: 5_000 },
      );
    },
  );

  test(
    'fault injection in dev makes the error-rate alert fire and reach the webhook receiver',
    { timeout: 22 * MINUTES },
    async () => {
      const env = ALERTS.faultEnvironment;
      const url = environmentUrls()[env];
      for (const answer of await setErrorRate(env, 0.5)) console.log(`faults set: ${answer}`);

      // Ten requests a second through the NodePort, half of them answered 500 by the faults.
      const statuses: Record<string, number> = {};
      const timer = setInterval(() => {
        fetch(`${url}/`, { signal: AbortSignal.timeout(5_000) })
          .then(async (response) => {
            await response.arrayBuffer();
            statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          })
          .catch((error: unknown) => {
            const name = error instanceof Error ? error.name : 'error';
            statuses[name] = (statuses[name] ?? 0) + 1;
          });
      }, 100);
      stopTraffic = () => {
        clearInterval(timer);
        return Promise.resolve(statuses);
      };

      const prometheus = prometheusUrl();
      const started = Date.now();
      await waitFor(
        `${ALERTS.errorRate} firing for namespace ${env} in Prometheus`,
        async () => {
          const firing = await query(
            prometheus,
            `ALERTS{alertname="${ALERTS.errorRate}", namespace="${env}", alertstate="firing"}`,
          );
          const pending = await query(
            prometheus,
            `ALERTS{alertname="${ALERTS.errorRate}", namespace="${env}", alertstate="pending"}`,
          );
          return {
            done: firing.length > 0,
            seen: `firing ${firing.length}, pending ${pending.length}, answers ${JSON.stringify(statuses)}`,
          };
        },
        { timeoutMs: 15 * MINUTES, intervalMs: 15_000 },
      );
      const hits = await waitFor(
        `${ALERTS.errorRate} for ${env} delivered to the receiver`,
        async () => {
          const found = (await received()).filter(
            (r) => r.body.includes(ALERTS.errorRate) && r.body.includes(env),
          );
          return { done: found.length > 0, value: found, seen: `${found.length} notifications` };
        },
        { timeoutMs: 5 * MINUTES, intervalMs: 5_000 },
      );
      console.log(
        `${ALERTS.errorRate} (${env}) delivered to ${[...new Set(hits.map((h) => h.path))].join(', ')} ${((Date.now() - started) / 1000).toFixed(0)} s after the faults were set; answers: ${JSON.stringify(await stopTraffic())}`,
      );
      assert.ok(hits.length > 0);
    },
  );
});
