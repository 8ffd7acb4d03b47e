// The fake kind/kubectl/docker/podman the cluster-up tests run is shell: it passes shellcheck.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';
import { FAKE } from './helpers.js';

test('shellcheck finds nothing in the fake cluster tools', async (t) => {
  const shellcheck = requireTool(t, 'shellcheck');
  if (!shellcheck) return;
  const result = await run(shellcheck, ['--severity=style', FAKE], { cwd: REPO_ROOT });
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
});
