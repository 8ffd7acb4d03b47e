// The pipeline's shell scripts pass shellcheck, and the cluster-connection script refuses to run
// without its inputs, naming the first one missing (it runs only in CI, against GCP).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const SCRIPTS = [
  'scripts/deploy/connect-cluster.sh',
  '.github/scripts/install-release.sh',
  'test/pipeline/fixtures/fake-kubectl',
  'test/pipeline/fixtures/fake-git',
];

test('shellcheck finds nothing in the pipeline shell scripts', async (t) => {
  const shellcheck = requireTool(t, 'shellcheck');
  if (!shellcheck) return;
  const result = await run(shellcheck, ['--severity=style', ...SCRIPTS], { cwd: REPO_ROOT });
  assert.equal(result.code, 0, result.stdout + result.stderr);
});

test('connect-cluster.sh stops at the first missing input with one line naming it', async () => {
  const result = await run('bash', [repoPath('scripts/deploy/connect-cluster.sh')], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GCP_PROJECT: 'p' },
  });
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr.trim(),
    'connect-cluster: environment variable GCP_ZONE is empty; set it as a GitHub environment secret or variable',
  );
});
