// The worker bootstrap (opentofu/scripts/worker.sh) run against fake system commands: it waits
// for the API server, joins pinned to the CA hash the control plane published (never skipping
// verification), joins only once, and stops with one clear line when the hash is missing or bad.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Sandbox, TEST_TOKEN, WORKER_ENV, writeText } from '../helpers/infra-bootstrap.js';
import type { RunResult } from '../helpers/run.js';

const CA_HASH = `sha256:${'0123456789abcdef'.repeat(4)}`;
const output = (result: RunResult) => `${result.stdout}${result.stderr}`;
const called = (calls: string[], prefix: string) => calls.filter((call) => call.startsWith(prefix));

describe('worker.sh on a fresh node, then again on the joined node', () => {
  const sandbox = new Sandbox();
  // The API server refuses the first two probes, as while the control plane still boots.
  const env = { ...WORKER_ENV, FAKE_PUBLISHED_CA_HASH: CA_HASH, FAKE_API_DOWN_CALLS: '2' };
  let first: RunResult;
  let firstCalls: string[];

  before(async () => {
    first = await sandbox.run('worker.sh', env);
    firstCalls = sandbox.calls();
  });
  after(() => {
    sandbox.cleanup();
  });

  test('the first run succeeds after waiting for the API server', () => {
    assert.equal(first.code, 0, output(first));
    const probes = firstCalls.filter((call) => call.endsWith('https://10.160.0.3:6443/livez'));
    assert.equal(probes.length, 3, 'two refused probes, then one answered');
    const firstJoin = firstCalls.findIndex((call) => call.startsWith('kubeadm join'));
    const lastProbe = firstCalls.findLastIndex((call) => call.endsWith('/livez'));
    assert.ok(lastProbe < firstJoin, 'joined before the API server answered');
  });

  test('kubeadm join verifies the published CA hash and never skips verification', () => {
    assert.deepEqual(called(firstCalls, 'kubeadm join'), [
      `kubeadm join 10.160.0.3:6443 --node-name hello-k8s-worker-1 --token ${TEST_TOKEN} --discovery-token-ca-cert-hash ${CA_HASH}`,
    ]);
    assert.ok(!firstCalls.some((call) => call.includes('unsafe-skip-ca-verification')));
  });

  test("the hash is read from the control plane's guest attribute with the node's own credentials", () => {
    const reads = firstCalls.filter((call) => call.includes('getGuestAttributes'));
    assert.deepEqual(reads, [
      'curl -fsS -H @- https://compute.googleapis.com/compute/v1/projects/hello-test-project/zones/us-central1-a/instances/hello-k8s-control-plane/getGuestAttributes?variableKey=kubeadm%2Fca-cert-hash',
    ]);
    assert.ok(
      !firstCalls.some((call) => call.includes('ya29.')),
      'the access token must not be on a command line',
    );
  });

  test('the node is prepared like every node', () => {
    assert.match(sandbox.read('etc/containerd/config.toml'), /SystemdCgroup = true/);
    assert.ok(firstCalls.includes('apt-mark hold kubelet'));
  });

  test('a second run on the joined node changes nothing', async () => {
    const before = sandbox.snapshot();
    sandbox.clearCalls();
    const second = await sandbox.run('worker.sh', env);
    assert.equal(second.code, 0, output(second));
    assert.match(second.stdout, /already joined .*kubeadm join skipped/);
    const calls = sandbox.calls();
    for (const forbidden of [
      'kubeadm join',
      'kubeadm init',
      'apt-get',
      'systemctl restart',
      'curl',
    ])
      assert.deepEqual(called(calls, forbidden), [], `second run called ${forbidden}`);
    assert.deepEqual(
      calls.filter((call) => /^iptables .*-[NIAF] /.test(call)),
      [],
      'second run changed iptables rules',
    );
    assert.deepEqual(sandbox.snapshot(), before, 'files under the node root changed');
  });
});

describe('worker.sh stops with one clear line and does not join', { concurrency: true }, () => {
  const cases: { name: string; env: Record<string, string>; message: RegExp }[] = [
    {
      name: 'when the published CA hash is malformed',
      env: { FAKE_PUBLISHED_CA_HASH: 'sha256:not-a-hash' },
      message:
        /CA_CERT_HASH: invalid value 'sha256:not-a-hash'; allowed: sha256:<64 lowercase hex digits>/,
    },
    {
      name: 'when no CA hash is ever published',
      env: { CA_HASH_ATTEMPTS: '3' },
      message: /CA hash published by hello-k8s-control-plane: not ready after 3 attempts 0s apart/,
    },
    {
      name: 'when the API server never answers',
      env: { FAKE_PUBLISHED_CA_HASH: CA_HASH, FAKE_API_DOWN_CALLS: '100', API_WAIT_ATTEMPTS: '3' },
      message: /API server at 10\.160\.0\.3:6443: not ready after 3 attempts 0s apart/,
    },
    {
      name: 'when the token is malformed',
      env: { BOOTSTRAP_TOKEN: 'short.token', FAKE_PUBLISHED_CA_HASH: CA_HASH },
      message: /BOOTSTRAP_TOKEN: invalid value \(hidden, it is a secret\)/,
    },
    {
      name: 'when kubeadm join fails, naming the step',
      env: { FAKE_PUBLISHED_CA_HASH: CA_HASH, FAKE_FAIL: 'kubeadm join' },
      message: /step 'kubeadm join 10\.160\.0\.3:6443' failed \(exit 42/,
    },
  ];
  for (const { name, env, message } of cases) {
    test(name, async () => {
      const sandbox = new Sandbox();
      try {
        const result = await sandbox.run('worker.sh', { ...WORKER_ENV, ...env });
        assert.notEqual(result.code, 0);
        const errors = result.stderr.split('\n').filter((line) => line.includes('ERROR'));
        assert.equal(errors.length, 1, result.stderr);
        assert.match(errors[0] ?? '', message);
        const joins = called(sandbox.calls(), 'kubeadm join');
        assert.equal(joins.length, env.FAKE_FAIL === 'kubeadm join' ? 1 : 0);
      } finally {
        sandbox.cleanup();
      }
    });
  }
});

test('packages of another Kubernetes minor are left alone with a warning (upgrades are kubeadm upgrade)', async () => {
  const sandbox = new Sandbox();
  try {
    for (const pkg of ['kubelet', 'kubeadm', 'kubectl'])
      writeText(join(sandbox.state, 'packages', pkg), '1.29.9-1.1');
    const result = await sandbox.run('worker.sh', {
      ...WORKER_ENV,
      FAKE_PUBLISHED_CA_HASH: CA_HASH,
    });
    assert.equal(result.code, 0, output(result));
    assert.match(
      result.stdout,
      /WARNING: kubelet 1\.29\.9-1\.1 is installed but KUBERNETES_MINOR is 1\.30; left unchanged/,
    );
    assert.deepEqual(
      called(sandbox.calls(), 'apt-get').filter((call) =>
        / install .*kube(let|adm|ctl)/.test(call),
      ),
      [],
    );
  } finally {
    sandbox.cleanup();
  }
});
