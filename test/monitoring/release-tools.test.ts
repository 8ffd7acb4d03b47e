// The quality job's exact-version monitoring tools (its `monitoring-tools` step, which calls
// .github/scripts/install-release.sh): the releases are those of the Prometheus and Alertmanager
// images k8s/monitoring runs, and the step's own commands, run here against release-shaped
// tarballs on file: URLs, put exactly promtool, prometheus, amtool and alertmanager on PATH and
// refuse a tarball whose sha256 is not the pinned one. Nothing is downloaded.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { renderOrSkip } from '../helpers/k8s-manifests.js';
import { tempDir } from '../helpers/monitoring-config.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { loadWorkflow, type Step } from '../helpers/pipeline-workflows.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const work = tempDir('release-tools');
after(work.cleanup);

const quality = loadWorkflow('ci-cd.yaml').jobs.quality;
const step: Step | undefined = quality?.steps?.find((s) => s.id === 'monitoring-tools');

interface Release {
  /** The env prefix of its URL and checksum in the step, e.g. PROMETHEUS. */
  prefix: string;
  /** GitHub repository under github.com/prometheus, and the image under quay.io/prometheus. */
  project: string;
  version: string;
  url: string;
}

/** Every `<X>_URL` of the step, read as a Prometheus-project release download. */
function releases(): Release[] {
  return Object.entries(step?.env ?? {})
    .filter(([name]) => name.endsWith('_URL'))
    .map(([name, url]) => {
      const match =
        /^https:\/\/github\.com\/prometheus\/([\w-]+)\/releases\/download\/v(\d+\.\d+\.\d+)\/\1-\2\.linux-amd64\.tar\.gz$/.exec(
          url,
        );
      assert.ok(match, `monitoring-tools ${name}: not a Prometheus release tarball URL: ${url}`);
      return { prefix: name.slice(0, -4), project: match[1] ?? '', version: match[2] ?? '', url };
    });
}

test('the step installs the releases of exactly the Prometheus-project images k8s/monitoring runs', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/monitoring');
  if (!objects) return;
  const images = objects.flatMap((object) => {
    const spec = (
      object as { spec?: { template?: { spec?: { containers: { image?: string }[] } } } }
    ).spec;
    return (spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '');
  });
  const shipped = new Map(
    images.flatMap((image) => {
      const match = /^quay\.io\/prometheus\/([\w-]+):v([\d.]+)@sha256:[0-9a-f]{64}$/.exec(image);
      return match ? [[match[1] ?? '', match[2] ?? ''] as const] : [];
    }),
  );
  assert.deepEqual([...shipped.keys()].sort(), ['alertmanager', 'prometheus'], 'images found');
  const installed = new Map(releases().map((release) => [release.project, release.version]));
  assert.deepEqual(installed, shipped);
  for (const { prefix } of releases())
    assert.match(String(step?.env?.[`${prefix}_SHA256`]), /^[0-9a-f]{64}$/, `${prefix}_SHA256`);
});

test('the quality job installs them before the test suite runs', () => {
  const runs = (quality?.steps ?? []).map((s) => s.run ?? '');
  const install = runs.findIndex((text) => text === step?.run);
  const suite = runs.findIndex((text) => text.includes('make test'));
  assert.ok(install >= 0, 'the quality job has no monitoring-tools step');
  assert.match(step?.run ?? '', /\.github\/scripts\/install-release\.sh/);
  assert.ok(suite > install, 'the tools must be on PATH before make test');
});

/** A release-shaped tarball (one top folder holding the binaries and a LICENSE) for `release`. */
async function fakeRelease(release: Release, binaries: string[]): Promise<string> {
  const folder = basename(release.url).replace(/\.tar\.gz$/, '');
  const source = join(work.path, 'source', folder);
  mkdirSync(source, { recursive: true });
  for (const name of [...binaries, 'LICENSE'])
    writeFileSync(join(source, name), `#!/bin/sh\necho ${name} ${release.version}\n`, {
      mode: 0o755,
    });
  const tarball = join(work.path, basename(release.url));
  const packed = await run('tar', ['-czf', tarball, '-C', join(work.path, 'source'), folder]);
  assert.equal(packed.code, 0, packed.stderr);
  return tarball;
}

/** Runs the step's own script with its URLs pointed at the fake tarballs. */
async function runStep(overrides: Record<string, string>, target: string) {
  return run('bash', ['-euo', 'pipefail', '-c', step?.run ?? 'exit 99'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work.path,
      INSTALL_DIR: target,
      ...step?.env,
      ...overrides,
    },
  });
}

test("the step's commands install exactly the four binaries from inside the tarballs' folders", async (t) => {
  if (!requireTool(t, 'tar', 'packs the release-shaped tarballs')) return;
  const overrides: Record<string, string> = {};
  for (const release of releases()) {
    const binaries =
      release.project === 'prometheus' ? ['prometheus', 'promtool'] : ['alertmanager', 'amtool'];
    const tarball = await fakeRelease(release, binaries);
    overrides[`${release.prefix}_URL`] = pathToFileURL(tarball).href;
    overrides[`${release.prefix}_SHA256`] = createHash('sha256')
      .update(readFileSync(tarball))
      .digest('hex');
  }
  const target = join(work.path, 'installed');
  const result = await runStep(overrides, target);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readdirSync(target).sort(), [
    'alertmanager',
    'amtool',
    'prometheus',
    'promtool',
  ]);
  const promtool = await run(join(target, 'promtool'), []);
  assert.match(promtool.stdout, /^promtool \d+\.\d+\.\d+$/m);

  // The same tarballs against the step's pinned sums: refused, nothing installed.
  const pinned = Object.fromEntries(
    Object.entries(overrides).filter(([name]) => name.endsWith('_URL')),
  );
  const refusedDir = join(work.path, 'refused');
  const refused = await runStep(pinned, refusedDir);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}; not installed$/m);
  assert.equal(existsSync(join(refusedDir, 'prometheus')), false);
});
