// The build facts stamped into the image (GET /version, OCI labels): version from package.json,
// commit and remote from git, time now. CI passes its own values through the environment.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BuildFacts {
  readonly version: string;
  readonly commit: string;
  readonly time: string;
  readonly source: string;
}

function git(root: string, args: readonly string[]): string | undefined {
  try {
    const out = execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** git@github.com:o/r.git and https://github.com/o/r.git both become https://github.com/o/r. */
export function sourceUrl(remote: string | undefined): string {
  if (!remote) return 'unknown';
  const ssh = /^git@([^:]+):(.+?)(?:\.git)?$/.exec(remote);
  if (ssh) return `https://${ssh[1] ?? ''}/${ssh[2] ?? ''}`;
  return remote.replace(/\.git$/, '').replace(/^(https?:\/\/)[^@/]+@/, '$1');
}

export function buildFacts(root: string, env: NodeJS.ProcessEnv = process.env): BuildFacts {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return {
    version: env.APP_VERSION ?? pkg.version,
    commit: env.GIT_COMMIT ?? git(root, ['rev-parse', 'HEAD']) ?? 'unknown',
    time: env.BUILD_TIME ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    source: env.SOURCE_URL ?? sourceUrl(git(root, ['remote', 'get-url', 'origin'])),
  };
}

export function buildArgFlags(facts: BuildFacts): string[] {
  return [
    ['APP_VERSION', facts.version],
    ['GIT_COMMIT', facts.commit],
    ['BUILD_TIME', facts.time],
    ['SOURCE_URL', facts.source],
  ].flatMap(([name, value]) => ['--build-arg', `${name ?? ''}=${value ?? ''}`]);
}
