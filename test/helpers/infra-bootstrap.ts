// A throw-away machine for the node bootstrap scripts (opentofu/scripts): a temp root the scripts
// write under (BOOTSTRAP_ROOT), and fake system commands first on PATH that log every call and
// keep just enough state for a second run to see what the first one did.
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { repoPath } from './paths.js';
import { run, type RunResult } from './run.js';

export const SCRIPTS_DIR = repoPath('opentofu/scripts');
const FAKE_COMMAND = repoPath('test/infra/fixtures/fake-command.sh');
const FAKED = [
  'apt-get',
  'apt-mark',
  'dpkg-query',
  'systemctl',
  'containerd',
  'gpg',
  'curl',
  'kubeadm',
  'kubectl',
  'modprobe',
  'sysctl',
  'swapoff',
  'iptables',
];

/** A valid token in kubeadm's format; the fakes never send it anywhere. */
export const TEST_TOKEN = 'abc123.0123456789abcdef';

/** What the fake curl serves as the Canal manifest, and its sha256 (the pinned value here). */
const FAKE_CANAL_MANIFEST = 'kind: List\nitems: []\n# stands in for canal.yaml\n';
export const FAKE_CANAL_SHA256 = createHash('sha256').update(FAKE_CANAL_MANIFEST).digest('hex');

export const CONTROL_PLANE_ENV: Readonly<Record<string, string>> = {
  NODE_NAME: 'hello-k8s-control-plane',
  NODE_INTERNAL_IP: '10.160.0.3',
  API_SERVER_EXTERNAL_IP: '203.0.113.7',
  KUBERNETES_MINOR: '1.30',
  POD_CIDR: '10.244.0.0/16',
  SERVICE_CIDR: '10.96.0.0/12',
  ETCD_METRICS_PORT: '2381',
  CANAL_VERSION: 'v3.29.7',
  CANAL_MANIFEST_SHA256: FAKE_CANAL_SHA256,
  BOOTSTRAP_TOKEN: TEST_TOKEN,
  BOOTSTRAP_TOKEN_TTL: '24h',
  GITHUB_REPOSITORY: 'octo-org/hello-api',
  GITHUB_REPOSITORY_ID: '',
  OIDC_ISSUER_URL: 'https://token.actions.githubusercontent.com',
  OIDC_AUDIENCE: 'hello-test-project/hello-k8s/kube-apiserver',
  OIDC_USERNAME_PREFIX: 'github:',
};

export const WORKER_ENV: Readonly<Record<string, string>> = {
  NODE_NAME: 'hello-k8s-worker-1',
  NODE_INTERNAL_IP: '10.160.0.4',
  KUBERNETES_MINOR: '1.30',
  POD_CIDR: '10.244.0.0/16',
  CONTROL_PLANE_ENDPOINT: '10.160.0.3:6443',
  CONTROL_PLANE_NAME: 'hello-k8s-control-plane',
  CONTROL_PLANE_ZONE: 'us-central1-a',
  GCP_PROJECT: 'hello-test-project',
  BOOTSTRAP_TOKEN: TEST_TOKEN,
};

export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'infra-bootstrap-'));
  readonly root = join(this.dir, 'root');
  readonly state = join(this.dir, 'state');
  readonly bin = join(this.dir, 'bin');
  readonly addons = join(this.dir, 'addons');
  readonly access = join(this.dir, 'access');
  readonly canalManifest = join(this.dir, 'canal-served.yaml');
  private readonly logFile = join(this.dir, 'calls.log');

  constructor() {
    for (const path of [this.root, this.state, this.bin, this.addons, this.access]) mkdirSync(path);
    writeFileSync(this.canalManifest, FAKE_CANAL_MANIFEST);
    for (const name of FAKED) symlinkSync(FAKE_COMMAND, join(this.bin, name));
    // A node image with a swap entry, so the first run has something to disable.
    mkdirSync(join(this.root, 'etc'));
    writeText(
      join(this.root, 'etc/fstab'),
      'UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n',
    );
  }

  /** Environment every script run gets: fakes first on PATH, state under the sandbox. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${this.bin}:/usr/local/bin:/usr/bin:/bin`,
      HOME: this.dir,
      BOOTSTRAP_ROOT: this.root,
      FAKE_LOG: this.logFile,
      FAKE_STATE: this.state,
      ADDONS_DIR: this.addons,
      ACCESS_DIR: this.access,
      // Files the control plane writes next to its scripts, kept inside the sandbox.
      KUBEADM_CONFIG: join(this.dir, 'kubeadm-config.yaml'),
      CANAL_MANIFEST: join(this.dir, 'canal.yaml'),
      FAKE_CANAL_MANIFEST: this.canalManifest,
      POLL_INTERVAL_SECONDS: '0',
      ...extra,
    };
  }

  /** Runs a file (a script from opentofu/scripts by default) with bash. */
  run(script: string, env: Record<string, string>): Promise<RunResult> {
    const path = script.startsWith('/') ? script : join(SCRIPTS_DIR, script);
    return run('bash', [path], { env: this.env(env), cwd: this.dir, timeoutMs: 120_000 });
  }

  /** Every faked command called so far, as "name args" lines. */
  calls(): string[] {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  clearCalls(): void {
    rmSync(this.logFile, { force: true });
  }

  /** path -> mode and content hash of every file under the node root. */
  snapshot(): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const stat = statSync(path);
        if (stat.isDirectory()) walk(path);
        else {
          const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
          files.set(relative(this.root, path), `${stat.mode.toString(8)} ${hash}`);
        }
      }
    };
    walk(this.root);
    return files;
  }

  read(pathUnderRoot: string): string {
    return readFileSync(join(this.root, pathUnderRoot), 'utf8');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
