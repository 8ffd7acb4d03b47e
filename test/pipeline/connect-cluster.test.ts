// scripts/deploy/connect-cluster.sh end to end with a fake gcloud (guest attributes, IAP tunnels
// to an HTTPS API server stand-in) and a fake GitHub token endpoint (GitHub's documented
// contract: GET ACTIONS_ID_TOKEN_REQUEST_URL&audience=..., bearer request token, {"value": JWT}),
// then the real kubectl with the kubeconfig it wrote: kubectl must run the credential plugin,
// trust the published CA under the name "kubernetes" and send the fresh OIDC token as its bearer.
// What only the real cluster proves (IAP itself, the API server's OIDC authenticator) is proved
// by the first deploy; docs/ci-cd.md says so.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../scripts/lib/free-port.js';
import { execCredential, jwtExpiry } from '../../scripts/deploy/github-oidc-credential.js';
import { repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { findTool, missingTool } from '../helpers/tools.js';

const SCRIPT = repoPath('scripts/deploy/connect-cluster.sh');
const AUDIENCE = 'hello-test-project/hello-k8s/kube-apiserver';
const REQUEST_TOKEN = 'request-token-for-the-test';
const work = mkdtempSync(join(tmpdir(), 'connect-cluster-'));
const pidFiles: string[] = [];
let endpoint: Server | undefined;

after(async () => {
  for (const file of pidFiles)
    if (existsSync(file))
      for (const pid of readFileSync(file, 'utf8').split('\n').filter(Boolean))
        try {
          process.kill(Number(pid), 'SIGTERM');
        } catch {
          // already gone
        }
  await new Promise<void>((resolve) => {
    if (endpoint)
      endpoint.close(() => {
        resolve();
      });
    else resolve();
  });
  rmSync(work, { recursive: true, force: true });
});

/** An unsigned JWT whose exp is `seconds` from now (the plugin only reads exp). */
function jwt(seconds: number, subject = 'repo:acme/hello-api:environment:dev'): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256' })}.${part({ sub: subject, aud: AUDIENCE, iat: now, exp: now + seconds })}.c2ln`;
}

async function openssl(args: string[]): Promise<void> {
  const result = await run('openssl', args, { cwd: work });
  assert.equal(result.code, 0, result.stderr);
}

describe('the GitHub OIDC credential plugin', () => {
  test('turns a token into an ExecCredential that expires 30 s before the token', () => {
    const token = jwt(300);
    const credential = execCredential(token);
    assert.equal(credential.apiVersion, 'client.authentication.k8s.io/v1');
    assert.equal(credential.kind, 'ExecCredential');
    assert.equal(credential.status.token, token);
    const expires = Date.parse(credential.status.expirationTimestamp) / 1000;
    assert.equal(expires, jwtExpiry(token) - 30);
    assert.match(credential.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.throws(() => execCredential('not-a-jwt'), /not a JWT/);
  });

  test('without the id-token permission it fails with one line saying so', async () => {
    const result = await run(
      process.execPath,
      ['--import', 'tsx', repoPath('scripts/deploy/github-oidc-credential.ts')],
      { env: { PATH: process.env.PATH ?? '', KUBE_OIDC_AUDIENCE: AUDIENCE }, cwd: repoPath('.') },
    );
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr.trim(),
      /^github-oidc-credential: .* the job needs permissions id-token: write$/,
    );
  });
});

describe('connect-cluster.sh', () => {
  const gcloudDir = join(work, 'gcloud');
  const bin = join(work, 'bin');
  const issued: string[] = [];
  let tokenUrl = '';

  before(async () => {
    mkdirSync(join(gcloudDir, 'kubeadm'), { recursive: true });
    mkdirSync(bin);
    // The fixtures' gcloud under the name the script calls.
    writeFileSync(
      join(bin, 'gcloud'),
      `#!/bin/sh\nexec ${repoPath('test/pipeline/fixtures/fake-gcloud')} "$@"\n`,
      { mode: 0o755 },
    );
    endpoint = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (
        request.headers.authorization !== `bearer ${REQUEST_TOKEN}` ||
        url.searchParams.get('audience') !== AUDIENCE
      ) {
        response.writeHead(403).end();
        return;
      }
      const token = jwt(300);
      issued.push(token);
      writeFileSync(join(gcloudDir, 'expected-token'), token);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ count: 1, value: token }));
    });
    await new Promise<void>((resolve) => endpoint?.listen(0, '127.0.0.1', resolve));
    const address = endpoint.address();
    assert.ok(address && typeof address === 'object');
    tokenUrl = `http://127.0.0.1:${address.port}/token?api-version=2.0`;
  });

  /** A fresh CA and an API server certificate for "kubernetes", published like the control plane. */
  async function publishCa(hashOverride?: string): Promise<void> {
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=kubernetes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    ]);
    await openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=kube-apiserver',
      '-keyout',
      join(gcloudDir, 'server.key'),
      '-out',
      'server.csr',
    ]);
    writeFileSync(join(work, 'san.ext'), 'subjectAltName=DNS:kubernetes\n');
    await openssl([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'san.ext',
      '-out',
      join(gcloudDir, 'server.crt'),
    ]);
    writeFileSync(
      join(gcloudDir, 'kubeadm', 'ca-cert'),
      readFileSync(join(work, 'ca.crt')).toString('base64'),
    );
    const hash = await run(
      'bash',
      [
        '-c',
        'openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | sha256sum | cut -d" " -f1',
      ],
      { cwd: work },
    );
    writeFileSync(
      join(gcloudDir, 'kubeadm', 'ca-cert-hash'),
      hashOverride ?? `sha256:${hash.stdout.trim()}`,
    );
  }

  async function connect(name: string, overrides: Record<string, string> = {}) {
    const kubeconfig = join(work, `${name}.kubeconfig`);
    pidFiles.push(`${kubeconfig}.pids`);
    const env = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: work,
      FAKE_GCLOUD_DIR: gcloudDir,
      GCP_PROJECT: 'hello-test-project',
      GCP_ZONE: 'us-central1-a',
      CONTROL_PLANE_INSTANCE: 'hello-k8s-control-plane',
      NODE_PORT: '30080',
      NAMESPACE: 'dev',
      KUBE_OIDC_AUDIENCE: AUDIENCE,
      KUBECONFIG_PATH: kubeconfig,
      API_LOCAL_PORT: String(await freePort()),
      NODE_LOCAL_PORT: String(await freePort()),
      TUNNEL_WAIT_SECONDS: '30',
      ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      ...overrides,
    };
    const result = await run('bash', [SCRIPT], { env, timeoutMs: 60_000 });
    return { result, kubeconfig, env };
  }

  test('stops at the first missing input with one line naming it', async () => {
    const result = await run('bash', [SCRIPT], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GCP_PROJECT: 'p' },
    });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr.trim(),
      'connect-cluster: environment variable GCP_ZONE is empty; set it as a GitHub environment variable (tofu output github_variable_commands)',
    );
  });

  test('real kubectl reaches the API server through the tunnel with a fresh OIDC token and the published CA', async (t) => {
    const kubectl = findTool('kubectl');
    if (!kubectl) {
      missingTool(t, 'kubectl', 'talks to the fake API server');
      return;
    }
    if (!findTool('openssl')) {
      missingTool(t, 'openssl', 'makes the test CA');
      return;
    }
    await publishCa();
    const { result, kubeconfig, env } = await connect('good');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(statSync(kubeconfig).mode & 0o777, 0o600);
    const text = readFileSync(kubeconfig, 'utf8');
    assert.doesNotMatch(text, /token:|eyJ/, 'no token is stored in the kubeconfig');
    const calls = readFileSync(join(gcloudDir, 'calls.log'), 'utf8');
    assert.match(
      calls,
      /^beta compute start-iap-tunnel hello-k8s-control-plane 6443 --local-host-port=127\.0\.0\.1:\d+ --zone=us-central1-a --project=hello-test-project$/m,
    );
    assert.match(calls, /^beta compute start-iap-tunnel hello-k8s-control-plane 30080 /m);
    assert.match(
      calls,
      /get-guest-attributes hello-k8s-control-plane .*--query-path=kubeadm\/ca-cert /,
    );

    const version = await run(kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/version'], {
      env,
      timeoutMs: 60_000,
    });
    assert.equal(version.code, 0, version.stderr);
    assert.equal((JSON.parse(version.stdout) as { gitVersion: string }).gitVersion, 'v1.30.14');
    const seen = readFileSync(join(gcloudDir, 'authorizations.log'), 'utf8')
      .split('\n')
      .filter(Boolean);
    assert.ok(issued.length > 0, 'the plugin asked the token endpoint');
    assert.equal(seen.at(-1), `Bearer ${issued.at(-1) ?? ''}`);
    const nodePort = await fetch(`http://127.0.0.1:${env.NODE_LOCAL_PORT}/`);
    assert.equal(nodePort.status, 200);
  });

  test('a CA that does not match the published hash stops it with one line, before any tunnel', async (t) => {
    if (!findTool('openssl')) {
      missingTool(t, 'openssl', 'makes the test CA');
      return;
    }
    await publishCa(`sha256:${'0'.repeat(64)}`);
    const before = readFileSync(join(gcloudDir, 'calls.log'), 'utf8');
    const { result } = await connect('bad-ca');
    assert.equal(result.code, 1);
    assert.match(
      result.stderr.trim(),
      /^connect-cluster: the CA in guest attribute kubeadm\/ca-cert of hello-k8s-control-plane does not match kubeadm\/ca-cert-hash \(sha256:0{64}\)/,
    );
    const calls = readFileSync(join(gcloudDir, 'calls.log'), 'utf8').slice(before.length);
    assert.doesNotMatch(calls, /start-iap-tunnel/);
  });

  test("a tunnel IAP refuses fails at once with gcloud's error, not after the whole wait", async (t) => {
    if (!findTool('openssl')) {
      missingTool(t, 'openssl', 'makes the test CA');
      return;
    }
    await publishCa();
    const refused = join(gcloudDir, 'tunnel-refused');
    writeFileSync(refused, '');
    t.after(() => {
      rmSync(refused, { force: true });
    });
    // A wait far longer than the run's own 60 s limit: only noticing the exit can end it in time.
    const { result } = await connect('refused', { TUNNEL_WAIT_SECONDS: '600' });
    assert.equal(result.code, 1, result.stderr);
    const [first, ...rest] = result.stderr.trim().split('\n');
    assert.match(
      first ?? '',
      /^connect-cluster: IAP tunnel to 127\.0\.0\.1:\d+ ended before it opened; gcloud said:$/,
    );
    assert.deepEqual(rest, [
      "ERROR: (gcloud.beta.compute.start-iap-tunnel) Error while connecting [4033: 'not authorized'].",
    ]);
  });
});
