// The control-plane bootstrap (opentofu/scripts/control-plane.sh) run against fake system
// commands: what a first boot does, that a second boot on the initialised node changes nothing,
// the CA hash it publishes, and that a failing step or bad setting stops it with one clear line.
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CONTROL_PLANE_ENV, Sandbox, TEST_TOKEN, writeText } from '../helpers/infra-bootstrap.js';
import type { RunResult } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const output = (result: RunResult) => `${result.stdout}${result.stderr}`;
const called = (calls: string[], prefix: string) => calls.filter((call) => call.startsWith(prefix));

describe('control-plane.sh on a fresh node, then again on the initialised node', () => {
  const sandbox = new Sandbox();
  let first: RunResult;
  let firstCalls: string[];

  before(async () => {
    writeText(join(sandbox.addons, 'kustomization.yaml'), 'resources: [metrics-server.yaml]\n');
    writeText(join(sandbox.addons, 'metrics-server.yaml'), 'kind: List\n');
    first = await sandbox.run('control-plane.sh', { ...CONTROL_PLANE_ENV });
    firstCalls = sandbox.calls();
  });
  after(() => {
    sandbox.cleanup();
  });

  test('the first run succeeds', (t) => {
    if (!requireTool(t, 'openssl', 'the CA hash is computed with openssl')) return;
    assert.equal(first.code, 0, output(first));
  });

  test('kubeadm init runs once with the pod CIDR, the token and the external IP in the SANs', () => {
    const inits = called(firstCalls, 'kubeadm init');
    assert.equal(inits.length, 1, firstCalls.join('\n'));
    const init = inits[0] ?? '';
    assert.match(init, /--pod-network-cidr 10\.244\.0\.0\/16/);
    assert.match(init, new RegExp(`--token ${TEST_TOKEN.replace('.', '\\.')} `));
    assert.match(init, /--apiserver-cert-extra-sans 203\.0\.113\.7,10\.160\.0\.3/);
    assert.match(init, /--kubernetes-version v1\.30\.14/);
    assert.equal(called(firstCalls, 'kubeadm reset').length, 0);
  });

  test('the node is prepared: swap off, modules, sysctl, containerd with the systemd cgroup driver', () => {
    assert.ok(called(firstCalls, 'swapoff -a').length > 0);
    assert.match(sandbox.read('etc/fstab'), /^# disabled for the kubelet: \/swapfile none swap/m);
    assert.equal(sandbox.read('etc/modules-load.d/kubernetes.conf'), 'overlay\nbr_netfilter\n');
    assert.match(sandbox.read('etc/sysctl.d/99-kubernetes.conf'), /net\.ipv4\.ip_forward = 1/);
    assert.match(sandbox.read('etc/sysctl.d/99-kubernetes.conf'), /bridge-nf-call-iptables = 1/);
    const containerd = sandbox.read('etc/containerd/config.toml');
    assert.match(containerd, /SystemdCgroup = true/);
    assert.doesNotMatch(containerd, /SystemdCgroup = false/);
    assert.match(containerd, /sandbox_image = "registry\.k8s\.io\/pause:3\.9"/);
    assert.ok(called(firstCalls, 'systemctl restart containerd').length === 1);
  });

  test('pods are blocked from the metadata server, which holds the bootstrap token', () => {
    assert.deepEqual(called(firstCalls, 'iptables -w -I'), [
      'iptables -w -I FORWARD -s 10.244.0.0/16 -d 169.254.169.254/32 -j DROP',
    ]);
  });

  test('kubelet, kubeadm and kubectl come from the pinned v1.30 repository and are held', () => {
    assert.equal(
      sandbox.read('etc/apt/sources.list.d/kubernetes.list').trim(),
      'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.30/deb/ /',
    );
    assert.ok(
      called(firstCalls, 'curl').some((call) =>
        call.includes('https://pkgs.k8s.io/core:/stable:/v1.30/deb/Release.key'),
      ),
    );
    assert.ok(
      firstCalls.includes(
        'apt-get install -y -q -o DPkg::Lock::Timeout=600 kubelet kubeadm kubectl',
      ),
      firstCalls.join('\n'),
    );
    for (const pkg of ['kubelet', 'kubeadm', 'kubectl'])
      assert.ok(firstCalls.includes(`apt-mark hold ${pkg}`), `${pkg} is not held`);
  });

  test('Flannel is applied from its pinned release, then the add-ons from k8s/cluster', () => {
    assert.deepEqual(called(firstCalls, 'kubectl apply'), [
      'kubectl apply -f https://github.com/flannel-io/flannel/releases/download/v0.26.7/kube-flannel.yml',
      `kubectl apply -k ${sandbox.addons}`,
    ]);
  });

  test('the published CA hash is the sha256 of the CA public key, as kubeadm join expects', () => {
    const published = readFileSync(
      join(sandbox.state, 'guest-attributes/kubeadm/ca-cert-hash'),
      'utf8',
    );
    const der = createPublicKey(sandbox.read('etc/kubernetes/pki/ca.crt')).export({
      type: 'spki',
      format: 'der',
    });
    assert.equal(published, `sha256:${createHash('sha256').update(der).digest('hex')}`);
  });

  test('a second run on the initialised node changes nothing', async () => {
    const before = sandbox.snapshot();
    sandbox.clearCalls();
    const second = await sandbox.run('control-plane.sh', { ...CONTROL_PLANE_ENV });
    assert.equal(second.code, 0, output(second));
    const calls = sandbox.calls();
    assert.match(second.stdout, /cluster already initialised .*kubeadm init skipped/);
    for (const forbidden of [
      'kubeadm init',
      'kubeadm reset',
      'kubeadm token create',
      'apt-get',
      'apt-mark hold',
      'systemctl restart',
      'systemctl enable',
      'gpg',
      'sysctl --system',
      'iptables -w -I',
    ])
      assert.deepEqual(called(calls, forbidden), [], `second run called ${forbidden}`);
    assert.deepEqual(sandbox.snapshot(), before, 'files under the node root changed');
  });

  test('a missing bootstrap token (expired and cleaned up) is recreated on the next boot', async () => {
    const tokenId = TEST_TOKEN.split('.')[0] ?? '';
    rmSync(join(sandbox.state, 'tokens', tokenId));
    sandbox.clearCalls();
    const third = await sandbox.run('control-plane.sh', { ...CONTROL_PLANE_ENV });
    assert.equal(third.code, 0, output(third));
    assert.deepEqual(called(sandbox.calls(), 'kubeadm token create'), [
      `kubeadm token create ${TEST_TOKEN} --ttl 24h`,
    ]);
    assert.deepEqual(called(sandbox.calls(), 'kubeadm init'), []);
  });
});

describe('control-plane.sh stops with one clear line', { concurrency: true }, () => {
  const cases: { name: string; env: Record<string, string>; message: RegExp; leaks?: string }[] = [
    {
      name: 'a malformed bootstrap token, without printing it',
      env: { BOOTSTRAP_TOKEN: 'ABCDEF.0123456789abcdef' },
      message:
        /BOOTSTRAP_TOKEN: invalid value \(hidden, it is a secret\); allowed: \[a-z0-9\]\{6\}\.\[a-z0-9\]\{16\}/,
      leaks: 'ABCDEF',
    },
    {
      name: 'Flannel not pinned to a release',
      env: { FLANNEL_VERSION: 'latest' },
      message: /FLANNEL_VERSION: invalid value 'latest'; allowed: a pinned release tag/,
    },
    {
      name: 'a missing setting',
      env: { NODE_INTERNAL_IP: '' },
      message: /NODE_INTERNAL_IP: invalid value ''; allowed: an IPv4 address/,
    },
  ];
  for (const { name, env, message, leaks } of cases) {
    test(name, async () => {
      const sandbox = new Sandbox();
      try {
        const result = await sandbox.run('control-plane.sh', { ...CONTROL_PLANE_ENV, ...env });
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, message);
        if (leaks) assert.ok(!output(result).includes(leaks), 'the secret was printed');
        assert.deepEqual(sandbox.calls(), [], 'nothing may run before the settings are checked');
      } finally {
        sandbox.cleanup();
      }
    });
  }

  test('a failing step, naming it; nothing after it runs', async () => {
    const sandbox = new Sandbox();
    try {
      const result = await sandbox.run('control-plane.sh', {
        ...CONTROL_PLANE_ENV,
        FAKE_FAIL: 'apt-get install',
      });
      assert.notEqual(result.code, 0);
      const errors = result.stderr.split('\n').filter((line) => line.includes('ERROR'));
      assert.equal(errors.length, 1, result.stderr);
      assert.match(
        errors[0] ?? '',
        /step 'install containerd' failed \(exit 42, line \d+\); stopping/,
      );
      assert.deepEqual(called(sandbox.calls(), 'kubeadm'), []);
      assert.deepEqual(called(sandbox.calls(), 'kubectl'), []);
    } finally {
      sandbox.cleanup();
    }
  });

  test('a failure inside a command substitution is reported once, naming its step', async () => {
    const sandbox = new Sandbox();
    try {
      const result = await sandbox.run('control-plane.sh', {
        ...CONTROL_PLANE_ENV,
        FAKE_FAIL: 'containerd config',
      });
      assert.notEqual(result.code, 0);
      const errors = result.stderr.split('\n').filter((line) => line.includes('ERROR'));
      assert.equal(errors.length, 1, result.stderr);
      assert.match(
        errors[0] ?? '',
        /step 'configure containerd with the systemd cgroup driver' failed \(exit 42/,
      );
    } finally {
      sandbox.cleanup();
    }
  });

  test('a failing kubeadm init is not retried or reset, and nothing is applied', async () => {
    const sandbox = new Sandbox();
    try {
      const result = await sandbox.run('control-plane.sh', {
        ...CONTROL_PLANE_ENV,
        FAKE_FAIL: 'kubeadm init',
      });
      assert.notEqual(result.code, 0);
      assert.match(
        result.stderr,
        /step 'kubeadm init \(first boot of the control plane\)' failed \(exit 42/,
      );
      assert.equal(called(sandbox.calls(), 'kubeadm init').length, 1);
      assert.deepEqual(called(sandbox.calls(), 'kubeadm reset'), []);
      assert.deepEqual(called(sandbox.calls(), 'kubectl'), []);
    } finally {
      sandbox.cleanup();
    }
  });
});
