// The quality job's exact-version monitoring tools (scripts/monitor/release-tools.ts): their
// versions are the ones k8s/monitoring ships, and the installer refuses a tarball whose sha256
// is not the pinned one and unpacks the binaries of one that matches. A loopback HTTP server
// stands in for GitHub's release downloads; nothing is downloaded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { install, RELEASE_TOOLS, type ReleaseTool } from '../../scripts/monitor/release-tools.js';
import { renderOrSkip } from '../helpers/k8s-manifests.js';
import { tempDir } from '../helpers/monitoring-config.js';
import { repoPath } from '../helpers/paths.js';
import { requireTool } from '../helpers/tools.js';

const work = tempDir('release-tools');
after(work.cleanup);

test('the exact-version tools are the versions the monitoring images run', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/monitoring');
  if (!objects) return;
  const images = objects.flatMap((object) => {
    const spec = (
      object as { spec?: { template?: { spec?: { containers: { image?: string }[] } } } }
    ).spec;
    return (spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '');
  });
  for (const tool of RELEASE_TOOLS) {
    const image = images.find((candidate) => candidate.startsWith(`${tool.image}:`));
    assert.ok(image, `no container runs ${tool.image}`);
    assert.match(
      image,
      new RegExp(`^${tool.image}:v${tool.version.replaceAll('.', '\\.')}@sha256:`),
    );
    assert.match(tool.sha256, /^[0-9a-f]{64}$/);
    assert.ok(
      tool.url.includes(`/v${tool.version}/`) && tool.url.endsWith('.linux-amd64.tar.gz'),
      tool.url,
    );
  }
});

test('the quality job installs them before the test suite runs', () => {
  const workflow = parse(readFileSync(repoPath('.github/workflows/ci-cd.yaml'), 'utf8')) as {
    jobs: { quality: { steps: { run?: string }[] } };
  };
  const runs = workflow.jobs.quality.steps.map((step) => step.run ?? '');
  const install = runs.findIndex((run) => run.includes('tsx scripts/monitor/release-tools.ts'));
  const suite = runs.findIndex((run) => run.includes('make test'));
  assert.ok(install >= 0, 'the quality job does not run scripts/monitor/release-tools.ts');
  assert.ok(suite > install, 'the tools must be on PATH before make test');
});

test('a tarball with the wrong sha256 is refused; the pinned one is unpacked', async (t) => {
  if (!requireTool(t, 'tar')) return;
  // A release-shaped tarball: one top folder holding the binaries.
  const source = join(work.path, 'source', 'prometheus-9.9.9.linux-amd64');
  mkdirSync(source, { recursive: true });
  for (const name of ['prometheus', 'promtool', 'LICENSE'])
    writeFileSync(join(source, name), `#!/bin/sh\necho ${name}\n`);
  const tarball = join(work.path, 'release.tar.gz');
  const packed = spawnSync('tar', [
    '-czf',
    tarball,
    '-C',
    join(work.path, 'source'),
    'prometheus-9.9.9.linux-amd64',
  ]);
  assert.equal(packed.status, 0);
  const bytes = readFileSync(tarball);
  const server = createServer((_request, response) => response.end(bytes));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prometheus-9.9.9.linux-amd64.tar.gz`;
  const tool: ReleaseTool = {
    image: 'quay.io/prometheus/prometheus',
    version: '9.9.9',
    url,
    sha256: '0'.repeat(64),
    binaries: ['prometheus', 'promtool'],
  };
  const refused = join(work.path, 'refused');
  await assert.rejects(install(tool, refused), /sha256 [0-9a-f]{64} is not the pinned 0{64}/);
  assert.equal(
    existsSync(join(refused, 'promtool')),
    false,
    'nothing may be unpacked from a refused tarball',
  );

  const accepted = join(work.path, 'accepted');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const paths = await install({ ...tool, sha256 }, accepted);
  assert.deepEqual(paths, [join(accepted, 'prometheus'), join(accepted, 'promtool')]);
  for (const path of paths) assert.ok(existsSync(path), path);
  assert.equal(existsSync(join(accepted, 'LICENSE')), false, 'only the binaries are unpacked');
});
