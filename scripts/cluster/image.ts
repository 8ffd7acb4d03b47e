// Builds hello-api from the working tree with the same Dockerfile and build command as
// `make image`, pushes it to the local registry and answers with its digest reference.
// The tag is the commit, plus "-dirty-<hash of the uncommitted changes to tracked files>"; the
// build time is the commit's own time, as in CI. A tag the registry already has is not rebuilt,
// so a second cluster-up of the same tree deploys the same digest again and changes nothing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { buildFacts } from '../container/build-facts.js';
import { engineCall, type ContainerEngine } from '../container/engine.js';
import { buildCommand } from '../container/image-commands.js';
import { ClusterError, must } from './exec.js';
import { IMAGE_REPOSITORY, ROOT, registryHost } from './layout.js';
import { registryDigest } from './registry.js';

interface BuiltImage {
  /** localhost:<port>/hello-api@sha256:... : what the deploy pins. */
  ref: string;
  /** localhost:<port>/hello-api:<tag> in the engine's store, undefined when nothing was built. */
  tagged: string | undefined;
  commit: string;
}

function git(args: readonly string[]): string {
  return execFileSync('git', ['-C', ROOT, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  }).trim();
}

/** The commit, or commit-dirty-<12 hex> when tracked files differ from it. */
function imageTag(commit: string, diff: string): string {
  if (diff === '') return commit;
  return `${commit}-dirty-${createHash('sha256').update(diff).digest('hex').slice(0, 12)}`;
}

export async function buildAndPush(engine: ContainerEngine, port: number): Promise<BuiltImage> {
  const commit = git(['rev-parse', 'HEAD']);
  const tag = imageTag(commit, git(['diff', 'HEAD', '--binary']));
  const repository = `${registryHost(port)}/${IMAGE_REPOSITORY}`;
  const tagged = `${repository}:${tag}`;

  const existing = await registryDigest(port, IMAGE_REPOSITORY, tag);
  if (existing !== undefined) {
    console.log(`cluster: ${tagged} is in the registry already (${existing}); not rebuilt`);
    return { ref: `${repository}@${existing}`, tagged: undefined, commit };
  }

  const facts = buildFacts(ROOT, {
    ...process.env,
    GIT_COMMIT: commit,
    BUILD_TIME: git(['log', '-1', '--format=%cI']),
  });
  must(engine.path, buildCommand(engine, { root: ROOT, tag: tagged, facts }), { inherit: true });
  // Docker treats localhost registries as insecure by default; Podman must be told (kind's guide).
  const tlsFlag = engine.name === 'podman' ? ['--tls-verify=false'] : [];
  must(engine.path, engineCall(engine, ['push', ...tlsFlag, tagged]), { inherit: true });
  const digest = await registryDigest(port, IMAGE_REPOSITORY, tag);
  if (digest === undefined)
    throw new ClusterError(`pushed ${tagged} but the registry does not list the tag ${tag}`);
  console.log(`cluster: built and pushed ${tagged} -> ${digest}`);
  return { ref: `${repository}@${digest}`, tagged, commit };
}
