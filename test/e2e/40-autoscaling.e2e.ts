// On the kind cluster: metrics-server answers, the prod HorizontalPodAutoscaler scales up under
// GET /work load, and deploying the prod overlay again while it is scaled up (the pipeline's
// deploy script, same image) does not cut the replica count.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runDeploy } from './lib/deploy.js';
import { appImage } from './lib/fixtures.js';
import { clusterNodes } from './lib/cluster.js';
import { APP, AUTOSCALED, environmentUrls } from './lib/facts.js';
import { kubectl, kubectlJson, kubectlOk } from './lib/kubectl.js';
import { loadsOfThisFile } from './lib/load.js';
import { observeFor, waitFor } from './lib/wait.js';

const MINUTES = 60_000;
const ENV = AUTOSCALED;

interface Hpa {
  spec: { minReplicas?: number; maxReplicas: number };
  status: { currentReplicas?: number; desiredReplicas?: number; currentMetrics?: unknown[] };
}

const replicas = async (): Promise<number> =>
  Number(
    (
      await kubectlOk([
        '-n',
        ENV,
        'get',
        'deployment',
        APP.deployment,
        '-o',
        'jsonpath={.spec.replicas}',
      ])
    ).trim(),
  );

describe(`autoscaling in ${ENV}`, { timeout: 20 * MINUTES }, () => {
  before(() => clusterNodes());
  const url = environmentUrls()[ENV];
  const loads = loadsOfThisFile();

  after(() => loads.stopAll());

  test(
    'metrics-server answers the resource metrics API for the prod pods',
    { timeout: 7 * MINUTES },
    async () => {
      await waitFor(
        `pod metrics of ${ENV} from metrics.k8s.io`,
        async () => {
          const result = await kubectl([
            'get',
            '--raw',
            `/apis/metrics.k8s.io/v1beta1/namespaces/${ENV}/pods`,
          ]);
          if (result.code !== 0) return { done: false, seen: result.stderr.trim() };
          const items = (
            JSON.parse(result.stdout) as {
              items: { metadata: { name: string }; containers: { usage: { cpu: string } }[] }[];
            }
          ).items;
          return {
            done: items.length > 0,
            seen:
              items
                .map((item) => `${item.metadata.name} cpu ${item.containers[0]?.usage.cpu ?? '?'}`)
                .join(', ') || 'no pods',
          };
        },
        { timeoutMs: 5 * MINUTES, intervalMs: 10_000 },
      );
    },
  );

  test(
    'the HPA scales prod up under GET /work load, and a re-deploy while scaled up keeps the count',
    { timeout: 16 * MINUTES },
    async () => {
      const hpa = await kubectlJson<Hpa>(['-n', ENV, 'get', 'hpa', APP.deployment]);
      const start = hpa.status.currentReplicas ?? (await replicas());
      console.log(
        `HPA ${ENV}: min ${hpa.spec.minReplicas ?? 1}, max ${hpa.spec.maxReplicas}, replicas at start ${start}`,
      );
      // Two requests at a time of 25 ms of CPU each: far above the 70 % of a 100m request per pod,
      // and at most two of the runner's cores, so the control plane keeps its share.
      const load = loads.start({ baseUrl: url, paths: ['/work?ms=25'], concurrency: 2 });
      const seen: number[] = [start];
      const scaled = await waitFor(
        `the HPA to scale ${ENV} above ${start} replicas`,
        async () => {
          const now = await kubectlJson<Hpa>(['-n', ENV, 'get', 'hpa', APP.deployment]);
          const current = now.status.currentReplicas ?? 0;
          if (seen.at(-1) !== current) seen.push(current);
          return {
            done: current > start,
            value: current,
            seen: `replicas ${seen.join(' -> ')}, desired ${now.status.desiredReplicas ?? '?'}`,
          };
        },
        { timeoutMs: 8 * MINUTES, intervalMs: 5_000 },
      );
      await kubectlOk(
        ['-n', ENV, 'rollout', 'status', `deployment/${APP.deployment}`, '--timeout=300s'],
        { timeoutMs: 320_000 },
      );
      const before = await replicas();
      console.log(
        `replicas seen: ${seen.join(' -> ')}; ${before} when the overlay is applied again`,
      );

      // The same image and commit as running now: a re-deploy of prod by the pipeline.
      const image = await appImage(ENV);
      const version = (await (await fetch(`${url}/version`)).json()) as { commit: string };
      let lowest = before;
      const sampleReplicas = async () => {
        lowest = Math.min(lowest, await replicas());
      };
      // Sampled while the deploy applies and waits for its rollout, then for 20 s more (longer
      // than one HPA sync, 15 s): a cut by the apply shows in spec.replicas at once.
      const deploying = runDeploy([
        ...['--env', ENV, '--image', image, '--commit', version.commit],
        ...['--url', url, '--timeout', '300'],
      ]);
      const progress = { finished: false };
      const markFinished = () => {
        progress.finished = true;
      };
      void deploying.then(markFinished, markFinished);
      while (!progress.finished) await observeFor(1_000, 500, sampleReplicas);
      const result = await deploying;
      await observeFor(20_000, 500, sampleReplicas);
      const summary = await load.stop();
      console.log(
        `re-deploy of ${ENV} under load: exit ${result.code ?? 'none'}, replicas ${before} before, lowest ${lowest} during and after; /work load ${summary.requests} requests, ${summary.failed} failed`,
      );
      assert.equal(result.code, 0, result.output);
      assert.ok(scaled > start);
      assert.ok(lowest >= before, `the apply cut replicas from ${before} to ${lowest}`);
    },
  );
});
