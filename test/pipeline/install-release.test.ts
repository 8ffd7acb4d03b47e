// .github/scripts/install-release.sh, the one way the workflows download a tool: it installs the
// named binaries only when the download's SHA-256 is the pinned one, from a tarball or a zip (at
// its top level or inside a folder) or as is, and refuses anything else with one line. Run here
// on file: URLs the test builds.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const SCRIPT = repoPath('.github/scripts/install-release.sh');
const work = mkdtempSync(join(tmpdir(), 'install-release-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A release artifact holding an executable `tool` that prints its name. */
async function artifact(kind: 'tar.gz' | 'zip' | 'raw'): Promise<string> {
  const dir = mkdtempSync(join(work, 'src-'));
  writeFileSync(join(dir, 'tool'), '#!/bin/sh\necho tool-ran\n', { mode: 0o755 });
  if (kind === 'raw') return join(dir, 'tool');
  const archive = join(dir, `tool_1.0.0_linux_amd64.${kind}`);
  const result =
    kind === 'tar.gz'
      ? await run('tar', ['-czf', archive, '-C', dir, 'tool'])
      : await run('zip', ['-q', '-j', archive, join(dir, 'tool')]);
  assert.equal(result.code, 0, result.stderr);
  return archive;
}

/** A release-shaped archive: one top folder holding `tool`, `helper` and a LICENSE. */
async function releaseArchive(kind: 'tar.gz' | 'zip'): Promise<string> {
  const dir = mkdtempSync(join(work, 'release-'));
  const folder = join(dir, 'tool-1.0.0.linux-amd64');
  mkdirSync(folder);
  for (const name of ['tool', 'helper', 'LICENSE'])
    writeFileSync(join(folder, name), `#!/bin/sh\necho ${name}-ran\n`, { mode: 0o755 });
  const archive = join(dir, `tool-1.0.0.linux-amd64.${kind}`);
  const result =
    kind === 'tar.gz'
      ? await run('tar', ['-czf', archive, '-C', dir, 'tool-1.0.0.linux-amd64'])
      : await run('zip', ['-q', '-r', archive, 'tool-1.0.0.linux-amd64'], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  return archive;
}

function install(url: string, checksum: string, members: string[] = ['tool']) {
  const target = mkdtempSync(join(work, 'bin-'));
  const githubPath = join(target, 'github-path');
  return run('bash', [SCRIPT, url, checksum, ...members], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      INSTALL_DIR: join(target, 'bin'),
      GITHUB_PATH: githubPath,
    },
  }).then((result) => ({ result, bin: join(target, 'bin'), githubPath }));
}

describe('install-release.sh', { concurrency: true }, () => {
  for (const kind of ['tar.gz', 'zip', 'raw'] as const) {
    test(`installs the binary from a ${kind} download whose SHA-256 matches`, async (t) => {
      if (kind === 'zip' && !(requireTool(t, 'zip') && requireTool(t, 'unzip'))) return;
      const file = await artifact(kind);
      const { result, bin, githubPath } = await install(pathToFileURL(file).href, sha256(file));
      assert.equal(result.code, 0, result.stderr);
      const ran = await run(join(bin, 'tool'), []);
      assert.equal(ran.stdout.trim(), 'tool-ran');
      assert.equal(readFileSync(githubPath, 'utf8'), `${bin}\n`);
    });
  }

  for (const kind of ['tar.gz', 'zip'] as const) {
    test(`installs the named binaries from inside a ${kind} release's folder, and nothing else`, async (t) => {
      if (
        !requireTool(t, 'tar') ||
        (kind === 'zip' && !(requireTool(t, 'zip') && requireTool(t, 'unzip')))
      )
        return;
      const file = await releaseArchive(kind);
      const { result, bin, githubPath } = await install(pathToFileURL(file).href, sha256(file), [
        '*/tool',
        '*/helper',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(readdirSync(bin).sort(), ['helper', 'tool']);
      for (const name of ['tool', 'helper'])
        assert.equal((await run(join(bin, name), [])).stdout.trim(), `${name}-ran`);
      assert.equal(readFileSync(githubPath, 'utf8'), `${bin}\n`);
      assert.match(result.stdout, /^install-release: tool, helper from file:.* installed in /m);
    });
  }

  test('refuses an archive that lacks a named binary, with one line, and installs nothing', async (t) => {
    if (!requireTool(t, 'tar')) return;
    const file = await releaseArchive('tar.gz');
    const { result, bin } = await install(pathToFileURL(file).href, sha256(file), [
      '*/tool',
      '*/missing',
    ]);
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderr.trim().split('\n'), [
      `install-release: tool, missing: not all in tool-1.0.0.linux-amd64.tar.gz (tar: */missing: Not found in archive)`,
    ]);
    assert.equal(existsSync(join(bin, 'tool')), false);
  });

  test('a plain download is one binary: a path or a second name is refused', async () => {
    const file = await artifact('raw');
    for (const members of [['bin/tool'], ['tool', 'other']]) {
      const { result, bin } = await install(pathToFileURL(file).href, sha256(file), members);
      assert.equal(result.code, 2, members.join(' '));
      assert.deepEqual(result.stderr.trim().split('\n'), [
        `install-release: ${members.join(' ')}: tool is not an archive, so it is one binary: give its name alone`,
      ]);
      assert.equal(existsSync(join(bin, 'tool')), false);
    }
  });

  test('refuses a download whose SHA-256 differs, with one line, and installs nothing', async () => {
    const file = await artifact('tar.gz');
    const wrong = 'f'.repeat(64);
    const { result, bin } = await install(pathToFileURL(file).href, wrong);
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderr.trim().split('\n'), [
      `install-release: tool: ${pathToFileURL(file).href} has SHA-256 ${sha256(file)}, expected ${wrong}; not installed`,
    ]);
    assert.equal(existsSync(join(bin, 'tool')), false);
  });

  test('refuses a checksum that is not 64 hex digits, and a failed download', async () => {
    const bad = await install('file:///nonexistent/tool.tar.gz', 'abc');
    assert.equal(bad.result.code, 2);
    assert.match(bad.result.stderr, /SHA256 must be 64 lower-case hex digits, got "abc"/);
    mkdirSync(join(work, 'empty'), { recursive: true });
    const missing = await install(
      pathToFileURL(join(work, 'empty', 'x.tar.gz')).href,
      'a'.repeat(64),
    );
    assert.equal(missing.result.code, 1);
    assert.match(missing.result.stderr.trim().split('\n').at(-1) ?? '', /download of .* failed$/);
  });
});
