// make cluster-up and make cluster-down against fake kind, kubectl, docker and podman: the
// start-up check of the pinned versions, what is created in which order with which arguments,
// that a second run converges without creating anything, and that cluster-down removes exactly
// what cluster-up made. The real cluster runs in the CI e2e job (docs/local-cluster.md).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { parseOptions } from '../../scripts/deploy/options.js';
import { ENVIRONMENTS } from '../../scripts/lib/environments.js';
import { hostsToml, hostsTomlDir, KIND_CONFIG } from '../../scripts/cluster/layout.js';
import {
  DOWNLOADS,
  KIND_NODE_IMAGE,
  KIND_VERSION,
  REGISTRY_IMAGE,
} from '../../scripts/cluster/pins.js';
import {
  CLUSTER_DIR,
  KIND_PROVIDED,
  identity,
  kindClusterManifests,
  parseManifests,
  render,
  servicePorts,
  MONITORING_DIR,
  overlayDir,
  workloads,
  type Manifest,
} from '../../scripts/cluster/manifests.js';
import { run, type RunResult } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';
import { sandbox, type Sandbox } from './helpers.js';

const TIMEOUT = { timeout: 180_000 };
const output = (result: RunResult) => `${result.stdout}\n${result.stderr}`;
const sandboxes: Sandbox[] = [];
after(async () => {
  for (const box of sandboxes) await box.cleanup();
});

async function newSandbox(t: TestContext): Promise<Sandbox | undefined> {
  const kubectl = requireTool(t, 'kubectl', 'kustomize renders the manifests cluster-up reads');
  if (!kubectl) return undefined;
  const box = await sandbox(kubectl);
  sandboxes.push(box);
  return box;
}

/** Index of the first call matching, -1 when none does. */
const indexOf = (calls: string[], pattern: RegExp) => calls.findIndex((call) => pattern.test(call));

describe('cluster-up start-up check', { concurrency: true }, () => {
  test(
    'a kind other than the pinned version stops cluster-up before it creates anything',
    TIMEOUT,
    async (t) => {
      const box = await newSandbox(t);
      if (!box) return;
      const result = await box.script('up', { FAKE_KIND_VERSION: 'v0.27.0' });
      assert.equal(result.code, 1, output(result));
      assert.match(
        result.stderr,
        new RegExp(`kind v0\\.27\\.0, the cluster needs kind ${KIND_VERSION}`),
      );
      assert.ok(result.stderr.includes(DOWNLOADS.kind.url), result.stderr);
      assert.deepEqual(box.calls(), ['kind version'], 'only the version was asked');
    },
  );

  test('kind missing from PATH is named with where to get it', TIMEOUT, async (t) => {
    const box = await newSandbox(t);
    if (!box) return;
    box.hide('kind');
    const result = await box.script('up');
    assert.equal(result.code, 1, output(result));
    assert.match(
      result.stderr,
      /^cluster-up FAILED: kind is not on PATH: install kind v0\.29\.0 \(https:/m,
    );
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  });

  test(
    'kubectl more than one minor version away from Kubernetes 1.30 is refused',
    TIMEOUT,
    async (t) => {
      const box = await newSandbox(t);
      if (!box) return;
      const result = await box.script('up', { FAKE_KUBECTL_VERSION: 'v1.32.2' });
      assert.equal(result.code, 1, output(result));
      assert.match(
        result.stderr,
        /kubectl v1\.32\.2, the cluster runs Kubernetes v1\.30 .* install kubectl v1\.30\.14/,
      );
      assert.equal(indexOf(box.calls(), /^kind create/), -1);
    },
  );

  test('kubectl within one minor version (1.31) passes the check', TIMEOUT, async (t) => {
    const box = await newSandbox(t);
    if (!box) return;
    const result = await box.script('up', { FAKE_KUBECTL_VERSION: 'v1.31.4' });
    assert.equal(result.code, 0, output(result));
  });
});

describe('cluster-up and cluster-down', () => {
  let box: Sandbox | undefined;
  let first: RunResult;
  let firstCalls: string[];
  /** The sandbox of the first test, or a skip when that one could not run. */
  const made = (t: TestContext): Sandbox | undefined => {
    if (!box) t.skip('the first cluster-up did not run');
    return box;
  };

  test(
    'a first cluster-up creates registry, cluster, image and deploys in order',
    TIMEOUT,
    async (t) => {
      box = await newSandbox(t);
      if (!box) return;
      first = await box.script('up', { FAKE_DEPLOY_REPLICAS: '3' });
      assert.equal(first.code, 0, output(first));
      firstCalls = box.calls();
      const order = [
        /^docker\b.* run --detach --restart=always --name hello-api-registry --publish 127\.0\.0\.1:\d+:5000 /,
        /^kind\[docker\] create cluster --name hello-api /,
        /^docker\b.* network connect kind hello-api-registry$/,
        /^docker\b.* exec -i hello-api-control-plane sh -c /,
        /^docker\b.* build /,
        /^docker\b.* push localhost:\d+\/hello-api:/,
        /^kubectl apply -f -$/,
        /^kubectl apply -k .*\/k8s\/access$/,
        /^kubectl create -f -$/,
        /^kubectl apply -k .*\/k8s\/monitoring$/,
        /^kubectl -n monitoring rollout status /,
      ];
      const positions = order.map((pattern) => indexOf(firstCalls, pattern));
      for (const [i, position] of positions.entries())
        assert.ok(position >= 0, `no call matches ${String(order[i])}:\n${firstCalls.join('\n')}`);
      assert.deepEqual(
        [...positions].sort((a, b) => a - b),
        positions,
        `calls out of order:\n${firstCalls.join('\n')}`,
      );
    },
  );

  test('the cluster is created from the pinned node image and the kind config, with its own kubeconfig', (t) => {
    const box = made(t);
    if (!box) return;
    const create = firstCalls.find((call) => call.startsWith('kind[docker] create cluster'));
    assert.ok(create);
    assert.ok(create.includes(`--image ${KIND_NODE_IMAGE}`), create);
    assert.ok(create.includes(`--config ${KIND_CONFIG}`), create);
    assert.ok(create.includes(`--kubeconfig ${join(box.clusterState, 'kubeconfig')}`), create);
    assert.ok(existsSync(join(box.clusterState, 'kubeconfig')));
    const registry = firstCalls.find((call) => / run --detach /.test(call));
    assert.ok(registry?.endsWith(REGISTRY_IMAGE), registry);
  });

  test('k8s/cluster is applied without the storage kind provides itself', TIMEOUT, (t) => {
    const box = made(t);
    if (!box) return;
    const kubectl = requireTool(t, 'kubectl');
    if (!kubectl) return;
    const lists = box
      .read('', 'applied.log')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { items: Manifest[] });
    assert.equal(lists.length, 1, 'one apply -f - (k8s/cluster)');
    const applied = (lists[0]?.items ?? []).map(identity).sort();
    const provided = parseManifests(readFileSync(KIND_PROVIDED, 'utf8')).map(identity);
    const all = render(kubectl, CLUSTER_DIR).map(identity);
    assert.ok(provided.length > 0 && provided.every((id) => all.includes(id)), provided.join(', '));
    assert.deepEqual(applied, all.filter((id) => !provided.includes(id)).sort());
    for (const kept of [
      'ValidatingAdmissionPolicy//pod-security-labels-admins-only',
      'Namespace//prod',
      'Deployment/kube-system/metrics-server',
    ])
      assert.ok(applied.includes(kept), `${kept} applied`);
    assert.ok(
      !firstCalls.some((call) => call.includes('local-path-provisioner')),
      'no wait for a provisioner kind does not run',
    );
  });

  test('what each environment runs right after its first deploy is noted for the e2e suite', (t) => {
    const box = made(t);
    if (!box) return;
    const state = JSON.parse(readFileSync(join(box.clusterState, 'state.json'), 'utf8')) as {
      firstDeploys: Record<string, { uid: string; replicas: number; readyReplicas: number }>;
    };
    for (const env of ENVIRONMENTS) {
      const served = JSON.parse(box.read('deployments', `${env}.json`)) as {
        metadata: { uid: string };
      };
      assert.deepEqual(
        { ...state.firstDeploys[env], at: undefined },
        { uid: served.metadata.uid, replicas: 3, readyReplicas: 3, at: undefined },
        env,
      );
    }
    assert.match(first.stdout, /cluster: prod right after its first deploy: 3 of 3 pods ready/);
  });

  test('every node gets the hosts.toml that sends localhost:<port> to the registry container', (t) => {
    const box = made(t);
    if (!box) return;
    for (const node of ['hello-api-control-plane', 'hello-api-worker', 'hello-api-worker2']) {
      const path: string = `${hostsTomlDir(box.registryPort)}/hosts.toml`;
      assert.equal(box.read(`nodefiles/${node}`, path), hostsToml(), node);
    }
    assert.equal(hostsToml(), '[host."http://hello-api-registry:5000"]\n');
  });

  test(
    'dev, stage and prod are deployed by the registry digest through the deploy script',
    TIMEOUT,
    (t) => {
      const box = made(t);
      if (!box) return;
      const kubectl = requireTool(t, 'kubectl');
      if (!kubectl) return;
      const deploys = box.deploys();
      assert.equal(deploys.length, 3, JSON.stringify(deploys));
      const tag =
        /push (localhost:\d+\/hello-api:\S+)/.exec(firstCalls.join('\n'))?.[1]?.split(':').at(-1) ??
        '';
      const digest = `sha256:${box.read('registry', tag).trim()}`;
      for (const [i, env] of ENVIRONMENTS.entries()) {
        // The real deploy script's parser accepts exactly what cluster-up passed.
        const options = parseOptions(deploys[i] ?? [], {});
        assert.equal(options.env, env);
        assert.equal(options.image, `localhost:${box.registryPort}/hello-api@${digest}`);
        const nodePort: number | undefined = servicePorts(render(kubectl, overlayDir(env))).find(
          (p) => p.service === 'hello-api',
        )?.nodePort;
        assert.equal(options.url, `http://127.0.0.1:${nodePort ?? 'none'}`);
      }
    },
  );

  test('the Secrets monitoring cannot start without are created with generated values, never printed', (t) => {
    const box = made(t);
    if (!box) return;
    const secret = JSON.parse(box.read('secrets', 'monitoring_grafana-admin')) as {
      stringData: Record<string, string>;
    };
    assert.deepEqual(Object.keys(secret.stringData).sort(), ['admin-password', 'admin-user']);
    const password = secret.stringData['admin-password'] ?? '';
    assert.ok(password.length >= 32, 'a generated password');
    assert.ok(!output(first).includes(password), 'the password is not in the output');
    assert.ok(!firstCalls.join('\n').includes(password), 'nor on a command line');
  });

  test('cluster-up waits for every monitoring workload and prints every URL', TIMEOUT, (t) => {
    const box = made(t);
    if (!box) return;
    const kubectl = requireTool(t, 'kubectl');
    if (!kubectl) return;
    for (const workload of workloads([
      ...kindClusterManifests(kubectl),
      ...render(kubectl, MONITORING_DIR),
    ]))
      assert.ok(
        firstCalls.includes(
          `kubectl -n ${workload.namespace} rollout status ${workload.name} --timeout=300s`,
        ),
        `no rollout wait for ${workload.name}`,
      );
    // Every NodePort the overlays and k8s/monitoring render, and Grafana's port-forward.
    const rendered = [...ENVIRONMENTS.map(overlayDir), MONITORING_DIR].flatMap((dir) =>
      servicePorts(render(kubectl, dir)),
    );
    const nodePorts = rendered.flatMap((port) => (port.nodePort === undefined ? [] : [port]));
    assert.ok(nodePorts.length > ENVIRONMENTS.length, 'the environments and Prometheus');
    const grafana = rendered.find((port) => port.service === 'grafana');
    const expected = [
      ...nodePorts.map((port) => `127.0.0.1:${port.nodePort}`),
      `port-forward svc/grafana ${String(grafana?.port)}`,
    ];
    for (const url of expected)
      assert.ok(first.stdout.includes(url), `${url} not printed:\n${first.stdout}`);
  });

  test(
    'a second cluster-up converges: nothing new is created, the same digest is deployed',
    TIMEOUT,
    async (t) => {
      const box = made(t);
      if (!box) return;
      const second = await box.script('up');
      assert.equal(second.code, 0, output(second));
      const calls = box.calls().slice(firstCalls.length);
      for (const creating of [
        / run --detach /,
        /^kind.* create cluster/,
        / network connect /,
        / exec -i /,
        / build /,
        / push /,
        /create -f/,
      ])
        assert.equal(
          indexOf(calls, creating),
          -1,
          `second run repeated ${String(creating)}:\n${calls.join('\n')}`,
        );
      const deploys = box.deploys();
      assert.equal(deploys.length, 6);
      assert.deepEqual(deploys.slice(3), deploys.slice(0, 3), 'same deploys, same digest');
      assert.doesNotMatch(second.stdout, /right after its first deploy/, 'not a first deploy');
    },
  );

  test(
    'cluster-down removes the cluster, registry, built image and the network it created',
    TIMEOUT,
    async (t) => {
      const box = made(t);
      if (!box) return;
      const tagged = /push (\S+)/.exec(firstCalls.join('\n'))?.[1] ?? '';
      const down = await box.script('down');
      assert.equal(down.code, 0, output(down));
      assert.equal(box.exists('clusters', 'hello-api'), false);
      assert.equal(box.exists('containers', 'hello-api-registry'), false);
      assert.equal(box.exists('images', tagged), false);
      assert.equal(box.exists('networks', 'kind'), false, 'the network cluster-up created');
      assert.equal(existsSync(box.clusterState), false, 'state folder');
      const again = await box.script('down');
      assert.equal(again.code, 0, `a second cluster-down is harmless:\n${output(again)}`);
    },
  );
});

test(
  'cluster-down leaves what was there before cluster-up: another kind cluster and its network',
  TIMEOUT,
  async (t) => {
    const box = await newSandbox(t);
    if (!box) return;
    const env = { FAKE_CLUSTER_STATE: box.state, PATH: box.path };
    const other = await run(
      join(box.dir, 'bin', 'kind'),
      ['create', 'cluster', '--name', 'other'],
      { env },
    );
    assert.equal(other.code, 0, output(other));
    assert.equal((await box.script('up')).code, 0);
    const down = await box.script('down');
    assert.equal(down.code, 0, output(down));
    assert.equal(box.exists('clusters', 'other'), true, 'the other cluster');
    assert.equal(box.exists('containers', 'other-control-plane'), true);
    assert.equal(box.exists('networks', 'kind'), true, 'the network that existed before');
    assert.equal(box.exists('clusters', 'hello-api'), false);
  },
);

test(
  'with only Podman working, kind runs its Podman provider and the push skips TLS for the local registry',
  TIMEOUT,
  async (t) => {
    const box = await newSandbox(t);
    if (!box) return;
    const result = await box.script('up', { FAKE_DOCKER_DOWN: '1' });
    assert.equal(result.code, 0, output(result));
    const calls = box.calls();
    assert.ok(
      calls.some((call) => call.startsWith('kind[podman] create cluster')),
      calls.join('\n'),
    );
    assert.ok(
      calls.some((call) => /^podman .*push --tls-verify=false localhost:/.test(call)),
      calls.join('\n'),
    );
    assert.equal(indexOf(calls, /^docker .* (run|build|push) /), -1, 'docker only asked for info');
  },
);
