// On the kind cluster: the monitoring state lives on the StatefulSets' volumes, not in the pods.
// Prometheus answers a query about the time before its pod was deleted exactly as it did before
// (its TSDB, WAL included, is on the claim), and a silence created in Alertmanager is still
// there after every Alertmanager pod was stopped and started again (Alertmanager writes its
// silences to the volume when it stops and reads them when it starts: prometheus/alertmanager
// silence/silence.go, Maintenance and New). Both replicas are stopped together (the StatefulSet
// scaled to 0 and back): with one left running, gossip alone would hand the silence back and say
// nothing about the volumes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSilence, expireSilence, getSilence } from './lib/alertmanager.js';
import { clusterNodes } from './lib/cluster.js';
import { MONITORING, SCRAPE_JOBS, prometheusUrl, statefulSet } from './lib/facts.js';
import { kubectl, kubectlJson, kubectlOk, pod } from './lib/kubectl.js';
import { portForward, type Forward } from './lib/port-forward.js';
import { query } from './lib/prometheus.js';
import { waitFor } from './lib/wait.js';

const MINUTES = 60_000;
const NS = MONITORING.namespace;

/** uid of each claim by name: the same volume before and after, not a new one. */
async function claimUids(names: string[]): Promise<Record<string, string>> {
  const uids: Record<string, string> = {};
  for (const name of names) {
    const claim = await kubectlJson<{ metadata: { uid: string }; status: { phase: string } }>([
      ...['-n', NS, 'get', 'pvc', name],
    ]);
    assert.equal(claim.status.phase, 'Bound', `${name} is ${claim.status.phase}`);
    uids[name] = claim.metadata.uid;
  }
  return uids;
}

async function waitForNewPodReady(name: string, oldUid: string): Promise<void> {
  await waitFor(
    `a new ${NS}/${name} Ready`,
    async () => {
      const now = await pod(NS, name);
      const ready = (now?.status.conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      );
      const fresh = now !== undefined && now.metadata.uid !== oldUid;
      return {
        done: fresh && ready,
        seen: now === undefined ? 'no pod' : `${fresh ? 'new' : 'old'} pod, Ready=${ready}`,
      };
    },
    { timeoutMs: 5 * MINUTES, intervalMs: 3_000 },
  );
}

describe('monitoring state survives its pods', { timeout: 25 * MINUTES }, () => {
  const alertmanager = statefulSet(MONITORING.alertmanager.statefulSet);
  const forwards: Forward[] = [];
  let silence: { base: string; id: string } | undefined;

  before(() => clusterNodes());
  after(async () => {
    // Whatever happened, the StatefulSet runs its manifest's replicas again.
    await kubectl([
      ...['-n', NS, 'scale', `statefulset/${alertmanager.name}`],
      `--replicas=${alertmanager.replicas}`,
    ]);
    if (silence !== undefined) await expireSilence(silence.base, silence.id).catch(() => undefined);
    for (const forward of forwards) await forward.close();
  });

  test(
    'Prometheus answers a query about the time before its pod was deleted as it did before',
    { timeout: 12 * MINUTES },
    async () => {
      const prometheus = prometheusUrl();
      const set = statefulSet(MONITORING.prometheus.statefulSet);
      const name = set.pods[0] ?? '';
      // A minute ago, and the ten minutes before it, of Prometheus's scrapes of itself: samples
      // that exist only in the TSDB (head block and WAL) of the pod about to go.
      const at = Math.floor(Date.now() / 1000) - 60;
      const expr = `count_over_time(up{job="${SCRAPE_JOBS.prometheus}"}[10m])`;
      const value = async () => (await query(prometheus, expr, at))[0]?.value;
      const samplesBefore = await value();
      assert.ok(samplesBefore !== undefined && samplesBefore > 0, `no samples before ${at}`);
      const claimsBefore = await claimUids(set.claims);
      const old = await pod(NS, name);
      assert.ok(old, `no pod ${name}`);

      const started = Date.now();
      await kubectlOk(['-n', NS, 'delete', 'pod', name, '--wait=true', '--timeout=300s'], {
        timeoutMs: 320_000,
      });
      await waitForNewPodReady(name, old.metadata.uid);
      // Ready means the TSDB is open and the WAL replayed; the NodePort then answers too.
      const samplesAfter = await waitFor(
        `Prometheus to answer the query at ${at} again`,
        async () => {
          const after = await value();
          return { done: after !== undefined, value: after, seen: String(after) };
        },
        { timeoutMs: 2 * MINUTES, intervalMs: 3_000 },
      );
      console.log(
        `${name}: pod ${old.metadata.uid} -> ${(await pod(NS, name))?.metadata.uid ?? '?'} in ${((Date.now() - started) / 1000).toFixed(0)} s; ${expr} at ${new Date(at * 1000).toISOString()}: ${samplesBefore} samples before, ${samplesAfter} after`,
      );
      assert.equal(samplesAfter, samplesBefore, 'samples from before the restart are gone');
      assert.deepEqual(await claimUids(set.claims), claimsBefore, 'the same volume');
    },
  );

  test(
    'a silence outlives every Alertmanager pod being stopped and started again',
    { timeout: 12 * MINUTES },
    async () => {
      const first = alertmanager.pods[0] ?? '';
      const before = await portForward(NS, `pod/${first}`, MONITORING.alertmanager.port);
      forwards.push(before);
      const id = await createSilence(
        before.url,
        { alertname: 'E2ePersistenceCheck' },
        'hello-api e2e: must survive a restart of every Alertmanager pod',
        60,
      );
      silence = { base: before.url, id };
      const claimsBefore = await claimUids(alertmanager.claims);
      const uidsBefore: string[] = [];
      for (const name of alertmanager.pods)
        uidsBefore.push((await pod(NS, name))?.metadata.uid ?? '');
      await before.close();

      const started = Date.now();
      await kubectlOk(['-n', NS, 'scale', `statefulset/${alertmanager.name}`, '--replicas=0']);
      await waitFor(
        `every ${alertmanager.name} pod gone`,
        async () => {
          const left: string[] = [];
          for (const name of alertmanager.pods) if (await pod(NS, name)) left.push(name);
          return { done: left.length === 0, seen: `left: ${left.join(', ') || 'none'}` };
        },
        { timeoutMs: 3 * MINUTES, intervalMs: 2_000 },
      );
      await kubectlOk([
        ...['-n', NS, 'scale', `statefulset/${alertmanager.name}`],
        `--replicas=${alertmanager.replicas}`,
      ]);
      for (const [i, name] of alertmanager.pods.entries())
        await waitForNewPodReady(name, uidsBefore[i] ?? '');

      const seen: string[] = [];
      for (const name of alertmanager.pods) {
        const forward = await portForward(NS, `pod/${name}`, MONITORING.alertmanager.port);
        forwards.push(forward);
        // No pod outlived the restart, so a silence found now came from a volume: read from
        // this pod's own, or gossiped from its peer's once both are up.
        const state = await waitFor(
          `${name} to hold silence ${id} as active`,
          async () => {
            const got = (await getSilence(forward.url, id))?.state ?? 'unknown';
            return { done: got === 'active', value: got, seen: got };
          },
          { timeoutMs: MINUTES, intervalMs: 2_000 },
        );
        const now = await pod(NS, name);
        seen.push(`${name} (pod ${now?.metadata.uid ?? '?'}): ${state}`);
        silence = { base: forward.url, id };
      }
      console.log(
        `silence ${id} after ${alertmanager.name} 0 -> ${alertmanager.replicas} replicas (${((Date.now() - started) / 1000).toFixed(0)} s): ${seen.join('; ')}`,
      );
      assert.deepEqual(await claimUids(alertmanager.claims), claimsBefore, 'the same volumes');
    },
  );
});
