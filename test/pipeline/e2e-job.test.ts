// The CI e2e job as data: it installs exactly the kind and kubectl that scripts/cluster/pins.ts
// pins (the one source; the job's env repeats them for install-release.sh and must agree), before
// `make cluster-up && make e2e`; it raises the inotify limits kind's known-issues page gives for
// clusters of several nodes; its failure dump reads the cluster's own kubeconfig; it has the time
// cluster-up and the suite need and stays free of secrets.
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { test } from 'node:test';
import { KUBECONFIG_PATH, ROOT } from '../../scripts/cluster/layout.js';
import { DOWNLOADS } from '../../scripts/cluster/pins.js';
import { loadWorkflow, type Job } from '../helpers/pipeline-workflows.js';

const e2e = loadWorkflow('ci-cd.yaml').jobs.e2e as Job;
const steps = e2e.steps ?? [];
const env: Record<string, string | undefined> = e2e.env ?? {};
const indexOfRun = (pattern: RegExp) => steps.findIndex((step) => pattern.test(step.run ?? ''));

test('kind and kubectl are installed from the URLs and checksums of scripts/cluster/pins.ts', () => {
  for (const [tool, prefix] of [
    ['kind', 'KIND'],
    ['kubectl', 'KUBECTL'],
  ] as const) {
    assert.equal(env[`${prefix}_URL`], DOWNLOADS[tool].url, `${prefix}_URL`);
    assert.equal(env[`${prefix}_SHA256`], DOWNLOADS[tool].sha256, `${prefix}_SHA256`);
    const install = indexOfRun(
      new RegExp(
        `^\\.github/scripts/install-release\\.sh "\\$${prefix}_URL" "\\$${prefix}_SHA256" ${tool}$`,
      ),
    );
    assert.ok(install >= 0, `no install-release.sh step for ${tool}`);
    assert.ok(install < indexOfRun(/make cluster-up/), `${tool} is installed before cluster-up`);
  }
});

test('the job raises the inotify limits to what kind documents, before cluster-up', () => {
  const sysctl = indexOfRun(
    /sysctl fs\.inotify\.max_user_watches=524288 fs\.inotify\.max_user_instances=512/,
  );
  assert.ok(sysctl >= 0, 'no sysctl step');
  assert.ok(sysctl < indexOfRun(/make cluster-up/));
});

test("the failure dump reads the cluster's own kubeconfig, and the job has 60 minutes", () => {
  const dump = steps.find((step) => step.if === 'failure()' && step.run?.includes('kubectl'));
  assert.ok(dump, 'no failure dump step');
  assert.equal(dump.env?.KUBECONFIG, relative(ROOT, KUBECONFIG_PATH));
  assert.equal((e2e as { 'timeout-minutes'?: number })['timeout-minutes'], 60);
});
