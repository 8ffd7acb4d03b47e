// The exact Prometheus and Alertmanager releases the cluster runs, as release tarballs, for the
// GitHub quality job: it downloads them, checks each against the sha256 pinned here, unpacks
// promtool/prometheus and amtool/alertmanager and puts them first on PATH, so `make test` runs
// the same monitoring checks with the shipped versions that .ci/run runs with Debian's nearest
// (trixie: 2.53.3 and 0.28.1). The versions must equal the image tags in k8s/monitoring
// (test/monitoring/release-tools.test.ts); the sums are those of each release's
// sha256sums.txt, as pinned by public repositories that verify against it.
// Usage (CI only; nothing downloads on this machine): tsx scripts/monitor/release-tools.ts DIR
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReleaseTool {
  /** Image repository in k8s/monitoring whose tag must be this version. */
  image: string;
  version: string;
  url: string;
  sha256: string;
  /** Binaries taken from the tarball's top folder. */
  binaries: string[];
}

export const RELEASE_TOOLS: ReleaseTool[] = [
  {
    image: 'quay.io/prometheus/prometheus',
    version: '3.13.4',
    url: 'https://github.com/prometheus/prometheus/releases/download/v3.13.4/prometheus-3.13.4.linux-amd64.tar.gz',
    sha256: '87f21a66f96c597a189cef8d640e8921b621fc17a9feff707c332c4f3b3ddd56',
    binaries: ['prometheus', 'promtool'],
  },
  {
    image: 'quay.io/prometheus/alertmanager',
    version: '0.34.1',
    url: 'https://github.com/prometheus/alertmanager/releases/download/v0.34.1/alertmanager-0.34.1.linux-amd64.tar.gz',
    sha256: '265b9d1e55ef0d5306a436018af6d2b686c2ce051f03d968f7464ecb1372a7e8',
    binaries: ['alertmanager', 'amtool'],
  },
];

/** Downloads one tool, refuses it unless its sha256 matches, unpacks its binaries into `dir`. */
export async function install(tool: ReleaseTool, dir: string): Promise<string[]> {
  const response = await fetch(tool.url);
  if (!response.ok) throw new Error(`${tool.url}: HTTP ${response.status}`);
  const tarball = Buffer.from(await response.arrayBuffer());
  const actual = createHash('sha256').update(tarball).digest('hex');
  if (actual !== tool.sha256)
    throw new Error(`${tool.url}: sha256 ${actual} is not the pinned ${tool.sha256}`);
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, `${tool.image.split('/').pop() ?? 'tool'}.tar.gz`);
  writeFileSync(archive, tarball);
  // The tarball holds one folder, e.g. prometheus-3.13.4.linux-amd64/, with the binaries in it.
  const members = tool.binaries.map((binary) => `*/${binary}`);
  const tar = spawnSync(
    'tar',
    ['-xzf', archive, '-C', dir, '--strip-components=1', '--wildcards', ...members],
    {
      encoding: 'utf8',
    },
  );
  if (tar.status !== 0) throw new Error(`tar ${archive}: ${tar.stderr.trim()}`);
  return tool.binaries.map((binary) => join(dir, binary));
}

async function main(dir: string | undefined): Promise<void> {
  if (!dir) throw new Error('usage: tsx scripts/monitor/release-tools.ts DIR');
  for (const tool of RELEASE_TOOLS) {
    for (const binary of await install(tool, dir)) {
      const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
      const said = `${version.stdout}${version.stderr}`;
      if (!said.includes(`version ${tool.version}`))
        throw new Error(
          `${binary} --version does not say ${tool.version}: ${said.split('\n')[0] ?? ''}`,
        );
      console.log(`${binary}: ${tool.version}, sha256 verified`);
    }
  }
  // On GitHub Actions, later steps find these first on PATH.
  if (process.env.GITHUB_PATH) appendFileSync(process.env.GITHUB_PATH, `${dir}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  main(process.argv[2]).catch((error: unknown) => {
    console.error(`release-tools: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
