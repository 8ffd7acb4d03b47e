// Tool checks over opentofu/: canonical formatting (`tofu fmt`, or `terraform fmt` where only
// Terraform is installed) and shellcheck on every bootstrap script and the tests' fake command.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SCRIPTS_DIR } from '../helpers/infra-bootstrap.js';
import { iacEnv, iacTool, TOFU_DIR } from '../helpers/infra-hcl.js';
import { repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

test('fmt -check -recursive finds every .tf and .tftest.hcl file formatted', async (t) => {
  const tool = iacTool(t);
  if (!tool) return;
  const result = await run(tool, ['fmt', '-check', '-recursive', '-diff', '-no-color'], {
    cwd: TOFU_DIR,
    env: iacEnv(tmpdir()),
  });
  assert.equal(result.code, 0, `run "make infra-fmt":\n${result.stdout}${result.stderr}`);
});

test('shellcheck passes on every bootstrap script and the fake command', async (t) => {
  const shellcheck = requireTool(t, 'shellcheck');
  if (!shellcheck) return;
  const scripts = readdirSync(SCRIPTS_DIR)
    .filter((name) => name.endsWith('.sh'))
    .map((name) => join(SCRIPTS_DIR, name));
  assert.ok(scripts.length >= 4, scripts.join(' '));
  const result = await run(shellcheck, [
    '--external-sources',
    ...scripts,
    repoPath('test/infra/fixtures/fake-command.sh'),
  ]);
  assert.equal(result.code, 0, result.stdout);
});

test('tofu test files run plans against mock providers only, so they need no cloud account', () => {
  const dir = join(TOFU_DIR, 'tests');
  const files = readdirSync(dir).filter((name) => name.endsWith('.tftest.hcl'));
  assert.ok(files.length > 0, 'opentofu/tests/*.tftest.hcl missing');
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const provider of ['google', 'random'])
      assert.match(
        text,
        new RegExp(`^mock_provider "${provider}" \\{\\}$`, 'm'),
        `${file}: mock ${provider}`,
      );
    assert.doesNotMatch(text, /^provider "/m, `${file}: a real provider block`);
    const runs = text.match(/^run "/gm)?.length ?? 0;
    assert.ok(runs > 0, `${file}: no run blocks`);
    assert.equal(
      text.match(/^ {2}command = plan$/gm)?.length,
      runs,
      `${file}: every run must be a plan`,
    );
    assert.match(text, /expect_failures = \[google_compute_firewall\.service_node_ports\]/);
  }
});
