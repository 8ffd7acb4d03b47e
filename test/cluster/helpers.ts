// A sandbox for running scripts/cluster/up.ts and down.ts against fake kind, kubectl, docker and
// podman (test/cluster/fixtures/fake-cluster-tools) and a fake registry answering the registry
// API from what the fake `push` stored. Everything lives in one temp folder removed by `cleanup`.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findExecutable } from '../../scripts/lib/find-executable.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { run, type RunResult } from '../helpers/run.js';

export const FAKE = repoPath('test/cluster/fixtures/fake-cluster-tools');

/** The system programs the fakes and cluster-up call; nothing else of the host is on PATH. */
const SYSTEM_TOOLS = [
  'bash',
  'basename',
  'cat',
  'cp',
  'cut',
  'git',
  'ls',
  'mkdir',
  'rm',
  'sed',
  'sha256sum',
  'touch',
  'tr',
];
const FAKE_DEPLOY = repoPath('test/cluster/fixtures/fake-deploy.ts');

export interface Sandbox {
  dir: string;
  state: string;
  clusterState: string;
  registryPort: number;
  /** Runs up.ts or down.ts with the fakes first on PATH. */
  script(name: 'up' | 'down', env?: Record<string, string>): Promise<RunResult>;
  /** Every fake call so far, "tool[provider] args". */
  calls(): string[];
  /** The deploy script's argument lists, one per deploy. */
  deploys(): string[][];
  exists(kind: string, name: string): boolean;
  read(kind: string, name: string): string;
  /** Removes a tool from the sandbox's PATH. */
  hide(tool: string): void;
  cleanup(): Promise<void>;
  /** PATH of the sandbox, for calling a fake directly. */
  path: string;
}

/** The fake registry: HEAD /v2/<repo>/manifests/<tag> answers the digest the fake push stored. */
function fakeRegistry(state: string): Server {
  return createServer((request, response) => {
    const match = /^\/v2\/[^/]+\/manifests\/([^/]+)$/.exec(request.url ?? '');
    if (request.url === '/v2/') response.writeHead(200).end('{}');
    else if (match?.[1] !== undefined && existsSync(join(state, 'registry', match[1]))) {
      const digest = readFileSync(join(state, 'registry', match[1]), 'utf8').trim();
      response.writeHead(200, { 'Docker-Content-Digest': `sha256:${digest}` }).end();
    } else response.writeHead(404).end();
  });
}

export async function sandbox(kubectl: string): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-test-'));
  const state = join(dir, 'fake');
  const bin = join(dir, 'bin');
  mkdirSync(state);
  mkdirSync(bin);
  for (const tool of ['kind', 'kubectl', 'docker', 'podman']) symlinkSync(FAKE, join(bin, tool));
  // Only the fakes, these programs and node: a real kind or engine on the host is never reached.
  const system = join(dir, 'system');
  mkdirSync(system);
  for (const tool of SYSTEM_TOOLS) {
    const path = findExecutable(tool);
    if (!path) throw new Error(`${tool} is not on PATH; the cluster-up tests need it`);
    symlinkSync(path, join(system, tool));
  }
  const registryPort = await freePort();
  const registry = fakeRegistry(state);
  await new Promise<void>((resolve) => registry.listen(registryPort, '127.0.0.1', resolve));
  const clusterState = join(dir, 'cluster-state');
  const read = (kind: string, name: string) =>
    readFileSync(join(state, kind, name.replace(/[/:@]/g, '_')), 'utf8');
  return {
    dir,
    state,
    clusterState,
    registryPort,
    path: `${bin}:${system}:${dirname(process.execPath)}`,
    script: (name, env = {}) =>
      run(process.execPath, ['--import', 'tsx', `scripts/cluster/${name}.ts`], {
        cwd: REPO_ROOT,
        timeoutMs: 120_000,
        env: {
          PATH: `${bin}:${system}:${dirname(process.execPath)}`,
          HOME: dir,
          FAKE_CLUSTER_STATE: state,
          FAKE_KUBECTL_REAL: kubectl,
          CLUSTER_STATE_DIR: clusterState,
          CLUSTER_REGISTRY_PORT: String(registryPort),
          CLUSTER_DEPLOY_SCRIPT: FAKE_DEPLOY,
          ...env,
        },
      }),
    calls: () =>
      existsSync(join(state, 'calls.log'))
        ? readFileSync(join(state, 'calls.log'), 'utf8').split('\n').filter(Boolean)
        : [],
    deploys: () =>
      existsSync(join(state, 'deploys.log'))
        ? readFileSync(join(state, 'deploys.log'), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as string[])
        : [],
    exists: (kind, name) => existsSync(join(state, kind, name.replace(/[/:@]/g, '_'))),
    read,
    hide: (tool) => {
      rmSync(join(bin, tool), { force: true });
    },
    cleanup: async () => {
      await new Promise<void>((resolve) => {
        registry.close(() => {
          resolve();
        });
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
