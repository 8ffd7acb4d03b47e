// On the kind cluster: a deploy of an image that never gets ready is rolled back by the deploy
// script (exit 1, "rolled back"), the Deployment runs the previous digest again, and the
// environment answers every request of a steady load throughout.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { runDeploy } from './lib/deploy.js';
import { appImage } from './lib/fixtures.js';
import { clusterNodes } from './lib/cluster.js';
import { APP, ROLLBACK_ENVIRONMENT, environmentUrls } from './lib/facts.js';
import { isReady, kubectlOk, pods } from './lib/kubectl.js';
import { formatSummary, loadsOfThisFile } from './lib/load.js';

const MINUTES = 60_000;
const ENV = ROLLBACK_ENVIRONMENT;

describe(`a failed rollout in ${ENV}`, { timeout: 15 * MINUTES }, () => {
  before(() => clusterNodes());
  const url = environmentUrls()[ENV];
  const loads = loadsOfThisFile();

  after(() => loads.stopAll());

  test(
    'an image that never gets ready is rolled back and the environment keeps serving',
    { timeout: 10 * MINUTES },
    async () => {
      const running = await appImage(ENV);
      // Same repository, a digest the registry does not have: the new pod never pulls, never starts,
      // never gets ready, while the old pods keep serving (maxUnavailable: 0).
      const broken = `${running.split('@')[0] ?? running}@sha256:${createHash('sha256').update('hello-api e2e: an image that does not exist').digest('hex')}`;
      const version = (await (await fetch(`${url}/version`)).json()) as { commit: string };

      const load = loads.start({ baseUrl: url, paths: ['/', '/healthz'], concurrency: 4 });
      const result = await runDeploy([
        '--env',
        ENV,
        '--image',
        broken,
        '--commit',
        version.commit,
        '--url',
        url,
        '--timeout',
        '90',
      ]);
      await kubectlOk(
        ['-n', ENV, 'rollout', 'status', `deployment/${APP.deployment}`, '--timeout=300s'],
        { timeoutMs: 320_000 },
      );
      const summary = await load.stop();

      const lastLine = result.output.trim().split('\n').at(-1) ?? '';
      console.log(`deploy of ${broken}: exit ${result.code ?? 'none'}: ${lastLine}`);
      console.log(formatSummary(`${ENV} during the failed rollout and its rollback`, summary));
      assert.equal(
        result.code,
        1,
        `the deploy script should fail and roll back:\n${result.output}`,
      );
      assert.match(lastLine, /rolled back/);
      const image = await appImage(ENV);
      assert.equal(image, running, 'the Deployment runs the previous digest again');
      const ready = (await pods(ENV, APP.selector)).filter(isReady);
      assert.ok(
        ready.every((pod) => pod.spec.containers.some((c) => c.image === running)),
        'every ready pod runs the previous image',
      );
      assert.equal(
        summary.failed,
        0,
        `${summary.failed} failed requests, first: ${summary.firstFailures.join(' | ')}`,
      );
    },
  );
});
