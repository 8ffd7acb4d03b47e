// On the kind cluster: alerts are delivered. An in-cluster webhook receiver stands in for the
// receivers' real endpoints (the Secret alertmanager-receivers points every receiver key of
// scripts/monitor/receivers.ts at it, one path per key); the Watchdog reaches the heartbeat key
// about once a minute (the dead man's switch) and nothing else, and fault injection in dev makes
// the error-rate alert fire in Prometheus and arrive at the receiver.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clusterNodes } from './lib/cluster.js';
import {
  ALERTS,
  APP,
  FAULT_TOKEN_VARIABLE,
  HEARTBEAT_RECEIVER,
  MONITORING,
  SUITE_NAMESPACES,
  environmentUrls,
  faultTokenSecret,
  inhibitorsOf,
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
const ALERTMANAGER_WORKLOAD = `statefulset/${MONITORING.alertmanager.statefulSet}`;

interface Received {
  path: string;
  body: string;
  at: string;
}

/**
 * Sets the error rate of every ready dev pod through its own /faults (the setting is per pod).
 * The token, where the pods have one, is read from the container's own environment inside the
 * pod, so it never appears on a command line or in this log.
 */
async function setErrorRate(namespace: string, errorRate: number): Promise<string[]> {
  const script = `const token = process.env.${FAULT_TOKEN_VARIABLE}; fetch('http://127.0.0.1:${APP.port}/faults', { method: 'PUT', headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) }, body: process.argv[1] }).then(async (r) => { console.log(r.status + ' ' + await r.text()); if (!r.ok) process.exit(1); })`;
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

/** A rollout restart of hello-api in `env`, waited for: env from a Secret is read at start. */
async function restartApp(env: string): Promise<void> {
  await kubectlOk(['-n', env, 'rollout', 'restart', `deployment/${APP.deployment}`]);
  await kubectlOk(
    ['-n', env, 'rollout', 'status', `deployment/${APP.deployment}`, '--timeout=300s'],
    { timeoutMs: 320_000 },
  );
}

/** The fault token Secret this run created (and removes afterwards), if it had to. */
let createdTokenSecret: string | undefined;

/**
 * Where the fault environment reads a fault token from a Secret that does not exist, creates it
 * with a random token (on standard input; never printed) and restarts the pods to read it.
 */
async function ensureFaultToken(): Promise<void> {
  const secret = faultTokenSecret();
  if (secret === undefined) return;
  const env = ALERTS.faultEnvironment;
  if ((await kubectl(['-n', env, 'get', 'secret', secret.name])).code === 0) {
    console.log(`fault token: ${env}/${secret.name} exists, used as it is`);
    return;
  }
  await kubectlOk(['create', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret.name, namespace: env },
      type: 'Opaque',
      stringData: { [secret.key]: randomBytes(32).toString('hex') },
    }),
  });
  createdTokenSecret = secret.name;
  await restartApp(env);
  console.log(
    `fault token: created ${env}/${secret.name} for this run, ${env} restarted to read it`,
  );
}

describe('alert delivery on the cluster', { timeout: 45 * MINUTES }, () => {
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
    await ensureFaultToken();
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
    await kubectlOk(['-n', MONITORING.namespace, 'rollout', 'restart', ALERTMANAGER_WORKLOAD]);
    await kubectlOk(
      ['-n', MONITORING.namespace, 'rollout', 'status', ALERTMANAGER_WORKLOAD, '--timeout=180s'],
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
    if (createdTokenSecret !== undefined) {
      const env = ALERTS.faultEnvironment;
      await kubectl(['-n', env, 'delete', 'secret', createdTokenSecret, '--ignore-not-found']);
      await restartApp(env).catch(() => undefined);
    }
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
    await kubectl(['-n', MONITORING.namespace, 'rollout', 'restart', ALERTMANAGER_WORKLOAD]);
    await kubectl(
      ['-n', MONITORING.namespace, 'rollout', 'status', ALERTMANAGER_WORKLOAD, '--timeout=180s'],
      { timeoutMs: 200_000 },
    );
    await deleteNamespace(namespace);
  });

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
  test(
    'the Watchdog reaches the heartbeat receiver about once a minute, and no other receiver',
    { timeout: 22 * MINUTES },
    async () => {
      // While deliveries fail (before the receiver Secret above existed, nothing could be
      // delivered), an inhibition in alertmanager.yml silences the Watchdog so that the external
      // dead man's switch pages; the failure alert resolves once its 5-minute rate window holds
      // no more failures. That runs while the error-rate check above waits for its alert.
      const inhibitors = inhibitorsOf(ALERTS.watchdog);
      const prometheus = prometheusUrl();
      const started = Date.now();
      await waitFor(
        `${inhibitors.join(', ')} (inhibiting ${ALERTS.watchdog}) not firing`,
        async () => {
          const firing: string[] = [];
          for (const alert of inhibitors)
            if (
              (await query(prometheus, `ALERTS{alertname="${alert}", alertstate="firing"}`)).length
            )
              firing.push(alert);
          return { done: firing.length === 0, seen: `firing: ${firing.join(', ') || 'none'}` };
        },
        { timeoutMs: 12 * MINUTES, intervalMs: 15_000 },
      );
      console.log(
        `${inhibitors.join(', ') || 'no alert'} inhibiting ${ALERTS.watchdog}: not firing (waited ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      );
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
      assert.equal(receiverOfAlert(ALERTS.watchdog), HEARTBEAT_RECEIVER);
      const key = receiverKeys().get(HEARTBEAT_RECEIVER) ?? '';
      // Alertmanager's webhook payload names the receiver and carries the alerts' labels.
      const heartbeats = async () =>
        (await received()).filter((r) => {
          if (r.path !== `/${key}`) return false;
          const body = JSON.parse(r.body) as {
            receiver?: string;
            alerts?: { labels?: Record<string, string> }[];
          };
          return (
            body.receiver === HEARTBEAT_RECEIVER &&
            (body.alerts ?? []).some((a) => a.labels?.alertname === ALERTS.watchdog)
          );
        });
      const beats = await waitFor(
        `two ${ALERTS.watchdog} heartbeats at /${key}`,
        async () => {
          const found = await heartbeats();
          return { done: found.length >= 2, value: found, seen: `${found.length} heartbeats` };
        },
        { timeoutMs: 6 * MINUTES, intervalMs: 5_000 },
      );
      const times = beats.map((b) => Date.parse(b.at));
      const gaps = times.slice(1).map((time, i) => Math.round((time - (times[i] ?? time)) / 1000));
      console.log(
        `${ALERTS.watchdog} heartbeats at /${key}: ${beats.length}, ${gaps.join(' s, ')} s apart`,
      );
      const elsewhere = (await received()).filter(
        (r) => r.path !== `/${key}` && r.body.includes(`"${ALERTS.watchdog}"`),
      );
      assert.deepEqual(
        elsewhere.map((r) => r.path),
        [],
        `${ALERTS.watchdog} also reached other receivers`,
      );
    },
  );
});
