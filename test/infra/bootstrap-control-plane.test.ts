// The control-plane bootstrap (opentofu/scripts/control-plane.sh) run against fake system
// commands: what a first boot does, that a second boot on the initialised node changes nothing,
// the CA it publishes, Canal pinned by checksum, and that a failing step or bad setting stops it
// with one clear line.
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  CONTROL_PLANE_ENV,
  FAKE_CANAL_SHA256,
  Sandbox,
  TEST_TOKEN,
  writeText,
} from '../helpers/infra-bootstrap.js';
import type { RunResult } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const output = (result: RunResult) => `${result.stdout}${result.stderr}`;
const called = (calls: string[], prefix: string) => calls.filter((call) => call.startsWith(prefix));

interface KubeadmDocument {
  kind: string;
  bootstrapTokens?: { token: string }[];
  kubernetesVersion?: string;
  networking?: unknown;
  apiServer?: { certSANs?: string[] };
}
const CANAL_URL = `https://raw.githubusercontent.com/projectcalico/calico/${CONTROL_PLANE_ENV.CANAL_VERSION}/manifests/canal.yaml`;
/** Calls that change a node: none may happen on a boot of a node that is already set up. */
const CHANGING =
  /^(kubeadm (init|reset|token create)|apt-get|apt-mark hold|systemctl (restart|enable)|gpg|sysctl --system|iptables .*-[NIAF] )/;

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

  test('kubeadm init runs once, from a configuration with the pod CIDR, the token and the SANs', () => {
    const inits = called(firstCalls, 'kubeadm init');
    assert.deepEqual(inits, [
      `kubeadm init --config ${join(sandbox.dir, 'kubeadm-config.yaml')} --skip-token-print`,
    ]);
    const documents = parseAllDocuments(
      readFileSync(join(sandbox.dir, 'kubeadm-config.yaml'), 'utf8'),
    ).map((document) => document.toJS() as KubeadmDocument);
    assert.deepEqual(
      documents.map((document) => document.kind),
      ['InitConfiguration', 'ClusterConfiguration'],
    );
    const [init, cluster] = documents as [KubeadmDocument, KubeadmDocument];
    assert.deepEqual(
      init.bootstrapTokens?.map((token) => token.token),
      [TEST_TOKEN],
    );
    assert.equal(cluster.kubernetesVersion, 'v1.30.14', 'the installed kubeadm version');
    assert.deepEqual(cluster.networking, {
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
    });
    assert.deepEqual(cluster.apiServer?.certSANs, ['203.0.113.7', '10.160.0.3']);
    assert.equal(called(firstCalls, 'kubeadm reset').length, 0);
  });

  test("etcd's metrics listener: loopback first (kubeadm's probes use it), then the node address", () => {
    const cluster = parseAllDocuments(
      readFileSync(join(sandbox.dir, 'kubeadm-config.yaml'), 'utf8'),
    )[1]?.toJS() as { etcd?: { local?: { extraArgs?: Record<string, string> } } };
    assert.deepEqual(cluster.etcd?.local?.extraArgs, {
      'listen-metrics-urls': 'http://127.0.0.1:2381,http://10.160.0.3:2381',
    });
  });

  test('the API server reads its authentication configuration from a mounted host directory', () => {
    const cluster = parseAllDocuments(
      readFileSync(join(sandbox.dir, 'kubeadm-config.yaml'), 'utf8'),
    )[1]?.toJS() as {
      apiServer: {
        extraArgs: Record<string, string>;
        extraVolumes: { hostPath: string; mountPath: string; readOnly: boolean }[];
      };
    };
    const path = cluster.apiServer.extraArgs['authentication-config'] ?? '';
    assert.equal(path, '/etc/kubernetes/authentication/config.yaml');
    const volume = cluster.apiServer.extraVolumes[0];
    assert.deepEqual(
      [volume?.hostPath, volume?.mountPath, volume?.readOnly],
      ['/etc/kubernetes/authentication', '/etc/kubernetes/authentication', true],
    );
    assert.match(
      sandbox.read(path.slice(1)),
      /^kind: AuthenticationConfiguration$/m,
      'written before init starts the API server',
    );
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
    assert.ok(called(firstCalls, 'systemctl restart containerd').length === 1);
  });

  test("containerd's sandbox image is the one the installed kubeadm names", () => {
    assert.match(
      sandbox.read('etc/containerd/config.toml'),
      /sandbox_image = "registry\.k8s\.io\/pause:3\.9"/,
    );
    assert.ok(
      firstCalls.includes('kubeadm config images list --kubernetes-version v1.30.14'),
      firstCalls.join('\n'),
    );
  });

  test('conntrack, iptables and iproute2 are installed: kubeadm below 1.32 checks for them', () => {
    assert.ok(
      firstCalls.includes(
        'apt-get -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=5 install -y conntrack iptables iproute2',
      ),
      firstCalls.join('\n'),
    );
  });

  test('pod traffic to the metadata server goes through the DNS-only chain, in mangle FORWARD', () => {
    const chain = readFileSync(join(sandbox.state, 'iptables/mangle/K8S-POD-TO-METADATA'), 'utf8');
    assert.equal(
      chain,
      '-p udp -m udp --dport 53 -j RETURN\n-p tcp -m tcp --dport 53 -j RETURN\n-j DROP\n',
    );
    assert.equal(
      readFileSync(join(sandbox.state, 'iptables/mangle/FORWARD'), 'utf8'),
      '-s 10.244.0.0/16 -d 169.254.169.254/32 -j K8S-POD-TO-METADATA\n',
    );
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
        'apt-get -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=5 install -y kubelet kubeadm kubectl',
      ),
      firstCalls.join('\n'),
    );
    for (const pkg of ['kubelet', 'kubeadm', 'kubectl'])
      assert.ok(firstCalls.includes(`apt-mark hold ${pkg}`), `${pkg} is not held`);
  });

  test('Canal comes from its pinned release tag and is applied, then k8s/cluster, then k8s/access', () => {
    assert.ok(
      firstCalls.includes(
        `curl -fsSL --retry 5 -o ${join(sandbox.dir, 'canal.yaml')} ${CANAL_URL}`,
      ),
      firstCalls.join('\n'),
    );
    assert.match(
      first.stdout,
      new RegExp(`Canal v3\\.29\\.7 manifest verified \\(sha256 ${FAKE_CANAL_SHA256}\\)`),
    );
    assert.deepEqual(called(firstCalls, 'kubectl apply'), [
      `kubectl apply -f ${join(sandbox.dir, 'canal.yaml')}`,
      `kubectl apply -k ${sandbox.addons}`,
      `kubectl apply -k ${sandbox.access}`,
    ]);
  });

  test('the deploy identities get the repository OpenTofu passed', () => {
    assert.equal(
      readFileSync(join(sandbox.access, 'github-repository.env'), 'utf8'),
      'GITHUB_REPOSITORY=octo-org/hello-api\n',
    );
  });

  test('the token-based deployers of earlier versions are deleted', () => {
    assert.deepEqual(called(firstCalls, 'kubectl delete'), [
      'kubectl delete serviceaccounts,clusterroles,clusterrolebindings --all-namespaces --ignore-not-found -l app.kubernetes.io/part-of=hello-api,app.kubernetes.io/component=deploy-access',
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

  test("the CA certificate is published too, base64 on one line: kubeconfig's certificate-authority-data", () => {
    const published = readFileSync(join(sandbox.state, 'guest-attributes/kubeadm/ca-cert'), 'utf8');
    assert.doesNotMatch(published, /\s/);
    assert.equal(
      Buffer.from(published, 'base64').toString('utf8'),
      sandbox.read('etc/kubernetes/pki/ca.crt'),
    );
  });

  test('a second run on the initialised node changes nothing', async () => {
    const before = sandbox.snapshot();
    sandbox.clearCalls();
    const second = await sandbox.run('control-plane.sh', { ...CONTROL_PLANE_ENV });
    assert.equal(second.code, 0, output(second));
    assert.match(second.stdout, /cluster already initialised .*kubeadm init skipped/);
    assert.deepEqual(
      sandbox.calls().filter((call) => CHANGING.test(call)),
      [],
    );
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

describe('control-plane.sh after an init that stopped half-way', () => {
  const sandbox = new Sandbox();
  after(() => {
    sandbox.cleanup();
  });

  test('the next boot runs init again (without preflight), not "already initialised"', async (t) => {
    if (!requireTool(t, 'openssl', 'the CA hash is computed with openssl')) return;
    // kubeadm writes admin.conf, then fails in a later phase.
    const failed = await sandbox.run('control-plane.sh', {
      ...CONTROL_PLANE_ENV,
      FAKE_INIT_DIES_AFTER_KUBECONFIG: '1',
    });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /step 'kubeadm init \(first boot of the control plane\)' failed/);
    assert.ok(
      sandbox.snapshot().has('etc/kubernetes/admin.conf'),
      'the fake kubeadm left admin.conf behind',
    );

    sandbox.clearCalls();
    const next = await sandbox.run('control-plane.sh', { ...CONTROL_PLANE_ENV });
    assert.equal(next.code, 0, output(next));
    assert.doesNotMatch(next.stdout, /already initialised/);
    assert.match(next.stdout, /a previous kubeadm init did not complete/);
    assert.deepEqual(called(sandbox.calls(), 'kubeadm init'), [
      `kubeadm init --config ${join(sandbox.dir, 'kubeadm-config.yaml')} --skip-phases=preflight --skip-token-print`,
    ]);
    assert.ok(sandbox.snapshot().has('etc/kubernetes/k8s-bootstrap-init-complete'));

    sandbox.clearCalls();
    const third = await sandbox.run('control-plane.sh', { ...CONTROL_PLANE_ENV });
    assert.equal(third.code, 0, output(third));
    assert.match(third.stdout, /cluster already initialised/);
    assert.deepEqual(called(sandbox.calls(), 'kubeadm init'), []);
  });
});

test('Kubernetes 1.31: conntrack installed, the pause image kubeadm 1.31 names, the 1.31 repository', async (t) => {
  if (!requireTool(t, 'openssl', 'the CA hash is computed with openssl')) return;
  const sandbox = new Sandbox();
  try {
    const result = await sandbox.run('control-plane.sh', {
      ...CONTROL_PLANE_ENV,
      KUBERNETES_MINOR: '1.31',
      FAKE_K8S_VERSION: '1.31.14-1.1',
    });
    assert.equal(result.code, 0, output(result));
    const calls = sandbox.calls();
    assert.ok(
      calls.some((call) => / install -y conntrack /.test(call)),
      calls.join('\n'),
    );
    assert.match(
      sandbox.read('etc/containerd/config.toml'),
      /sandbox_image = "registry\.k8s\.io\/pause:3\.10"/,
    );
    assert.match(
      sandbox.read('etc/apt/sources.list.d/kubernetes.list'),
      /core:\/stable:\/v1\.31\/deb\//,
    );
  } finally {
    sandbox.cleanup();
  }
});

describe('control-plane.sh waits out transient trouble', { concurrency: true }, () => {
  test('apt-get update finding the lists lock held (the daily apt job) is retried', async () => {
    const sandbox = new Sandbox();
    try {
      const result = await sandbox.run('control-plane.sh', {
        ...CONTROL_PLANE_ENV,
        FAKE_APT_LOCKED_CALLS: '3',
      });
      assert.equal(result.code, 0, output(result));
      assert.equal(
        called(
          sandbox.calls(),
          'apt-get -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=5 update',
        ).length,
        // Three refused, one that worked, and one more after the Kubernetes repository was added.
        5,
      );
      assert.match(
        result.stdout,
        /apt-get update: another apt process holds its lock \(attempt 3 of 120\)/,
      );
    } finally {
      sandbox.cleanup();
    }
  });

  test("a lock that is never released stops the step with apt's own message", async () => {
    const sandbox = new Sandbox();
    try {
      const result = await sandbox.run('control-plane.sh', {
        ...CONTROL_PLANE_ENV,
        FAKE_APT_LOCKED_CALLS: '100',
        APT_LOCK_ATTEMPTS: '3',
      });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /Could not get lock \/var\/lib\/apt\/lists\/lock/);
      assert.match(result.stderr, /step 'install containerd' failed/);
      assert.equal(
        called(
          sandbox.calls(),
          'apt-get -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=5 update',
        ).length,
        3,
      );
    } finally {
      sandbox.cleanup();
    }
  });

  test('kubectl apply refused while the API server settles is retried', async () => {
    const sandbox = new Sandbox();
    try {
      writeText(join(sandbox.addons, 'kustomization.yaml'), 'resources: []\n');
      const result = await sandbox.run('control-plane.sh', {
        ...CONTROL_PLANE_ENV,
        FAKE_APPLY_FAILURES: '2',
      });
      assert.equal(result.code, 0, output(result));
      const applies = called(sandbox.calls(), 'kubectl apply');
      assert.deepEqual(
        applies.slice(0, 3),
        Array(3).fill(`kubectl apply -f ${join(sandbox.dir, 'canal.yaml')}`),
      );
      assert.equal(applies.length, 5, applies.join('\n'));
    } finally {
      sandbox.cleanup();
    }
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
      name: 'Canal not pinned to a release',
      env: { CANAL_VERSION: 'latest' },
      message: /CANAL_VERSION: invalid value 'latest'; allowed: a pinned Calico release tag/,
    },
    {
      name: 'a repository GitHub would not allow',
      env: { GITHUB_REPOSITORY: 'octo-org/hello api' },
      message: /GITHUB_REPOSITORY: invalid value 'octo-org\/hello api'; allowed: OWNER\/REPO/,
    },
    {
      name: 'an etcd metrics port that is not a port',
      env: { ETCD_METRICS_PORT: '2381/tcp' },
      message: /ETCD_METRICS_PORT: invalid value '2381\/tcp'; allowed: a TCP port such as 2381/,
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

  test('a Canal manifest whose sha256 is not the pinned one is refused and not applied', async () => {
    const sandbox = new Sandbox();
    try {
      const result = await sandbox.run('control-plane.sh', {
        ...CONTROL_PLANE_ENV,
        CANAL_MANIFEST_SHA256: '0'.repeat(64),
      });
      assert.notEqual(result.code, 0);
      const errors = result.stderr.split('\n').filter((line) => line.includes('ERROR'));
      assert.deepEqual(errors, [
        `k8s-bootstrap[control-plane]: ERROR: ${CANAL_URL}: sha256 ${FAKE_CANAL_SHA256} is not the pinned ${'0'.repeat(64)}; Canal not applied`,
      ]);
      assert.deepEqual(called(sandbox.calls(), 'kubectl apply'), []);
    } finally {
      sandbox.cleanup();
    }
  });

  test('a failing step, naming it; nothing after it runs', async () => {
    const sandbox = new Sandbox();
    try {
      const result = await sandbox.run('control-plane.sh', {
        ...CONTROL_PLANE_ENV,
        FAKE_FAIL: 'apt-get -q',
      });
      assert.notEqual(result.code, 0);
      const errors = result.stderr.split('\n').filter((line) => line.includes('ERROR'));
      assert.equal(errors.length, 1, result.stderr);
      assert.match(
        errors[0] ?? '',
        /step 'install containerd' failed \(exit 1, line \d+\); stopping/,
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

  test('a failing kubeadm init is not reset, and nothing is applied', async () => {
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
