// The startup script GCE runs at boot: scripts/startup.sh.tftpl rendered by the real tool's
// templatefile() with the real scripts and k8s/cluster add-ons (as bootstrap.tf does), checked
// by shellcheck, then run on a sandbox node to show it installs the scripts byte for byte and
// hands over to the role script, and that booting again changes nothing.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import {
  CONTROL_PLANE_ENV,
  SCRIPTS_DIR,
  Sandbox,
  TEST_TOKEN,
  WORKER_ENV,
} from '../helpers/infra-bootstrap.js';
import { consoleEval, consoleString, iacTool } from '../helpers/infra-hcl.js';
import { repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const ADDONS = repoPath('k8s/cluster');
const ACCESS = repoPath('k8s/access');
const CA_HASH = `sha256:${'fedcba9876543210'.repeat(4)}`;
// GCE's limit for one metadata value.
const METADATA_VALUE_LIMIT = 256 * 1024;

/** Renders the template the way bootstrap.tf does, for one role and its settings. */
async function render(
  t: TestContext,
  role: 'control-plane' | 'worker',
  environment: Readonly<Record<string, string>>,
): Promise<string | undefined> {
  const tool = iacTool(t);
  if (!tool) return undefined;
  const scripts = `{ for f in fileset("${SCRIPTS_DIR}", "*.sh") : f => filebase64("${SCRIPTS_DIR}/\${f}") }`;
  const addons = `{ for f in fileset("${ADDONS}", "**") : "addons/\${f}" => filebase64("${ADDONS}/\${f}") }`;
  const access = `{ for f in fileset("${ACCESS}", "**") : "access/\${f}" => filebase64("${ACCESS}/\${f}") }`;
  const files = role === 'control-plane' ? `merge(${scripts}, ${addons}, ${access})` : scripts;
  const settings = Object.entries(environment)
    .map(([key, value]) => `${key} = "${value}"`)
    .join(', ');
  const result = await consoleEval(
    tool,
    [],
    `templatefile("${SCRIPTS_DIR}/startup.sh.tftpl", { role = "${role}", files = ${files}, environment = { ${settings} } })`,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /Error:/);
  return consoleString(result.stdout);
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) =>
    statSync(join(dir, name)).isDirectory()
      ? filesUnder(join(dir, name), `${prefix}${name}/`)
      : [`${prefix}${name}`],
  );
}

describe('rendered worker startup script', () => {
  const sandbox = new Sandbox();
  after(() => {
    sandbox.cleanup();
  });

  test('passes shellcheck, installs the scripts unchanged and joins', async (t) => {
    const script = await render(t, 'worker', WORKER_ENV);
    if (script === undefined) return;
    const path = join(sandbox.dir, 'startup.sh');
    writeFileSync(path, script);
    const shellcheck = requireTool(t, 'shellcheck');
    if (!shellcheck) return;
    const lint = await run(shellcheck, [path]);
    assert.equal(lint.code, 0, lint.stdout);

    const result = await sandbox.run(path, { FAKE_PUBLISHED_CA_HASH: CA_HASH });
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    const installed = join(sandbox.root, 'opt/k8s-bootstrap');
    for (const file of readdirSync(SCRIPTS_DIR).filter((name) => name.endsWith('.sh')))
      assert.equal(
        readFileSync(join(installed, file), 'utf8'),
        readFileSync(join(SCRIPTS_DIR, file), 'utf8'),
        `${file} changed on the way`,
      );
    const settings = join(installed, 'bootstrap.env');
    assert.equal(statSync(settings).mode & 0o777, 0o600, 'the settings hold the token: root only');
    assert.match(
      readFileSync(settings, 'utf8'),
      new RegExp(`^BOOTSTRAP_TOKEN='${TEST_TOKEN}'$`, 'm'),
    );
    assert.ok(
      sandbox
        .calls()
        .includes(
          `kubeadm join 10.160.0.3:6443 --node-name hello-k8s-worker-1 --token ${TEST_TOKEN} --discovery-token-ca-cert-hash ${CA_HASH}`,
        ),
      sandbox.calls().join('\n'),
    );
  });
});

describe('rendered control-plane startup script', () => {
  const sandbox = new Sandbox();
  after(() => {
    sandbox.cleanup();
  });
  let script: string | undefined;
  // Empty directories let control-plane.sh use the trees the startup script installed.
  const env = { ADDONS_DIR: '', ACCESS_DIR: '' };

  test('fits in one GCE metadata value and passes shellcheck', async (t) => {
    script = await render(t, 'control-plane', CONTROL_PLANE_ENV);
    if (script === undefined) return;
    assert.ok(
      Buffer.byteLength(script) < METADATA_VALUE_LIMIT,
      `${Buffer.byteLength(script)} bytes`,
    );
    writeFileSync(join(sandbox.dir, 'startup.sh'), script);
    const shellcheck = requireTool(t, 'shellcheck');
    if (!shellcheck) return;
    const lint = await run(shellcheck, [join(sandbox.dir, 'startup.sh')]);
    assert.equal(lint.code, 0, lint.stdout);
  });

  test('installs k8s/cluster and k8s/access unchanged and applies them after kubeadm init and Canal', async (t) => {
    if (script === undefined) {
      t.skip('not rendered');
      return;
    }
    if (!requireTool(t, 'openssl', 'the CA hash is computed with openssl')) return;
    const result = await sandbox.run(join(sandbox.dir, 'startup.sh'), env);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    const installed = join(sandbox.root, 'opt/k8s-bootstrap/addons');
    assert.deepEqual(filesUnder(installed).sort(), filesUnder(ADDONS).sort());
    for (const file of filesUnder(ADDONS))
      assert.equal(
        readFileSync(join(installed, file), 'utf8'),
        readFileSync(join(ADDONS, file), 'utf8'),
      );
    const installedAccess = join(sandbox.root, 'opt/k8s-bootstrap/access');
    assert.deepEqual(filesUnder(installedAccess).sort(), filesUnder(ACCESS).sort());
    const calls = sandbox.calls();
    const order = [
      'kubeadm init',
      `kubectl apply -f ${join(sandbox.dir, 'canal.yaml')}`,
      `kubectl apply -k ${installed}`,
      `kubectl apply -k ${installedAccess}`,
    ].map((prefix) => calls.findIndex((call) => call.startsWith(prefix)));
    assert.ok(
      order.every((index) => index >= 0),
      calls.join('\n'),
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      'init, then Canal, then add-ons, then access',
    );
  });

  test('the next boot changes nothing on the node', async (t) => {
    if (script === undefined) {
      t.skip('not rendered');
      return;
    }
    const before = sandbox.snapshot();
    sandbox.clearCalls();
    const result = await sandbox.run(join(sandbox.dir, 'startup.sh'), env);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.deepEqual(
      sandbox
        .calls()
        .filter((call) =>
          /^(kubeadm (init|reset|token create)|apt-get|systemctl restart)/.test(call),
        ),
      [],
    );
    assert.deepEqual(sandbox.snapshot(), before);
  });
});
