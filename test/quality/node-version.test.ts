// One Node.js: the version .nvmrc pins is the one the image is built on, the one every GitHub job
// sets up (actions/setup-node reads .nvmrc through node-version-file, actions/setup-node#338), the
// lowest one package.json supports, and the one running these tests (the Makefile puts it first
// on PATH through scripts/toolchain/node.sh). Each place is read from the file that defines it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';
import { parseDockerfile } from '../helpers/dockerfile.js';
import { repoPath } from '../helpers/paths.js';
import { loadWorkflow, workflowFiles } from '../helpers/pipeline-workflows.js';

const PINNED = readFileSync(repoPath('.nvmrc'), 'utf8').trim();

test('.nvmrc pins one exact Node.js version', () => {
  assert.ok(
    semver.valid(PINNED),
    `.nvmrc holds "${PINNED}": expected an exact version like 24.18.0`,
  );
});

test('package.json engines starts at the pinned version and stays within its major', () => {
  const { engines } = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as {
    engines?: { node?: string };
  };
  const range = engines?.node ?? '';
  assert.ok(semver.validRange(range), `engines.node "${range}" is not a version range`);
  assert.equal(semver.minVersion(range)?.version, PINNED, `lowest version engines.node allows`);
  const nextMajor = `${semver.major(PINNED) + 1}.0.0`;
  assert.ok(!semver.satisfies(nextMajor, range), `engines.node "${range}" allows ${nextMajor}`);
});

test('both Dockerfile base images are node:<the pinned version>-<variant>, pinned by digest', () => {
  const { globalArgs } = parseDockerfile(readFileSync(repoPath('Dockerfile'), 'utf8'));
  for (const arg of ['BUILD_BASE_IMAGE', 'BASE_IMAGE']) {
    const image = globalArgs.get(arg) ?? '';
    const match = /^node:(\d+\.\d+\.\d+)-[a-z0-9.-]+@sha256:[0-9a-f]{64}$/.exec(image);
    assert.ok(match, `ARG ${arg}=${image}: expected node:<version>-<variant>@sha256:<digest>`);
    assert.equal(match[1], PINNED, `ARG ${arg}'s Node.js version against .nvmrc`);
  }
});

test('every actions/setup-node step in the workflows reads .nvmrc', () => {
  let steps = 0;
  for (const file of workflowFiles()) {
    const workflow = loadWorkflow(basename(file));
    for (const [jobId, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps ?? []) {
        if (!step.uses?.startsWith('actions/setup-node@')) continue;
        steps += 1;
        const where = `${basename(file)} job ${jobId}`;
        const inputs = step.with ?? {};
        assert.equal(inputs['node-version-file'], '.nvmrc', `${where}: node-version-file`);
        assert.equal(inputs['node-version'], undefined, `${where}: a second node-version`);
      }
    }
  }
  assert.ok(steps > 0, 'no actions/setup-node step found in .github/workflows');
});

test('the tests run on the pinned Node.js (run them through make)', () => {
  assert.equal(process.version, `v${PINNED}`, `process.version against .nvmrc`);
});
