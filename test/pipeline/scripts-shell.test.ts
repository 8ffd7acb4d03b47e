// The pipeline's shell scripts and shell fixtures pass shellcheck (connect-cluster.sh's behaviour
// is tested in connect-cluster.test.ts, install-release.sh's in install-release.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const SCRIPTS = [
  'scripts/deploy/connect-cluster.sh',
  '.github/scripts/install-release.sh',
  'test/pipeline/fixtures/fake-kubectl',
  'test/pipeline/fixtures/fake-git',
  'test/pipeline/fixtures/fake-gcloud',
];

test('shellcheck finds nothing in the pipeline shell scripts', async (t) => {
  const shellcheck = requireTool(t, 'shellcheck');
  if (!shellcheck) return;
  const result = await run(shellcheck, ['--severity=style', ...SCRIPTS], { cwd: REPO_ROOT });
  assert.equal(result.code, 0, result.stdout + result.stderr);
});
