// scripts/deploy/deploy.ts with kubectl and git replaced by fakes on PATH (test/pipeline/
// fixtures/fake-kubectl.ts: revisions, ConfigMaps, rollout undo as kubectl documents them, the
// rendering done by the real kubectl kustomize; fixtures/fake-git: `ls-remote` of a branch head)
// and the smoke test run for real against the service started here.
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  findObject,
  overlayDir,
  renderedNodePorts,
  renderOrSkip,
} from '../helpers/k8s-manifests.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { run, type RunResult } from '../helpers/run.js';
import { startService, type RunningService } from '../helpers/service.js';
import { findTool, requireTool } from '../helpers/tools.js';
import { branchHead, prepare, running } from '../../scripts/deploy/cluster.js';
import { kubectlRunner, type Kubectl } from '../../scripts/deploy/kubectl.js';
import { parseOptions } from '../../scripts/deploy/options.js';
import { ENVIRONMENTS } from '../../scripts/lib/environments.js';
import { FlagError } from '../../scripts/lib/integer-flag.js';
import { findApp, INITIAL_REPLICAS_ANNOTATION } from '../../scripts/deploy/render.js';
// Types only: importing the fixture's values would run it.
import type { State as ClusterState } from './fixtures/fake-kubectl.js';

const REPO = 'docker.io/acme/hello-api';
const OLD = `${REPO}@sha256:${'a'.repeat(64)}`;
const NEW = `${REPO}@sha256:${'b'.repeat(64)}`;
const FIXTURE_OVERLAYS = repoPath('test/pipeline/fixtures/k8s/overlays');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const NEWER = 'fedcba9876543210fedcba9876543210fedcba98';

interface Sandbox {
  state: string;
  summary: string;
  /** A copy of the fixture overlays this test may edit. */
  overlays: string;
  /** A copy of the real k8s/base and k8s/overlays. */
  realOverlays: string;
  calls(): string[];
  gitCalls(): string[];
  cluster(): ClusterState;
}

const sandboxes: string[] = [];
after(() => {
  for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true });
});

/**
 * A sandbox whose cluster already runs `image` as revision 3 with `replicas` pods (applied from
 * a manifest without spec.replicas, as the HPA left it), or is empty.
 */
function sandbox(image: string | undefined, replicas?: number): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-test-'));
  sandboxes.push(dir);
  const state = join(dir, 'state');
  mkdirSync(state);
  mkdirSync(join(dir, 'bin'));
  symlinkSync(repoPath('test/pipeline/fixtures/fake-kubectl'), join(dir, 'bin', 'kubectl'));
  symlinkSync(repoPath('test/pipeline/fixtures/fake-git'), join(dir, 'bin', 'git'));
  cpSync(repoPath('test/pipeline/fixtures/k8s'), join(dir, 'k8s'), { recursive: true });
  for (const tree of ['base', 'overlays'])
    cpSync(repoPath(`k8s/${tree}`), join(dir, 'real', tree), { recursive: true });
  if (image !== undefined) {
    const template = { image, configMap: 'hello-api-config-old' };
    const seeded: ClusterState = {
      configMaps: { 'hello-api-config-old': { LOG_LEVEL: 'info' } },
      replicaSets: [{ revision: 3, template }],
      current: template,
      ...(replicas === undefined ? {} : { replicas }),
    };
    writeFileSync(join(state, 'state.json'), JSON.stringify(seeded));
  }
  const read = (name: string) =>
    existsSync(join(state, name)) ? readFileSync(join(state, name), 'utf8') : '';
  return {
    state,
    summary: join(dir, 'summary.md'),
    overlays: join(dir, 'k8s', 'overlays'),
    realOverlays: join(dir, 'real', 'overlays'),
    calls: () => read('calls.log').split('\n').filter(Boolean),
    gitCalls: () => read('git.log').split('\n').filter(Boolean),
    cluster: () => JSON.parse(read('state.json') || '{}') as ClusterState,
  };
}

function deploy(
  box: Sandbox,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return run(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/deploy/deploy.ts',
      '--timeout',
      '5',
      '--smoke-deadline',
      '30',
      ...args,
    ],
    {
      cwd: REPO_ROOT,
      timeoutMs: 90_000,
      env: {
        ...process.env,
        PATH: `${join(box.state, '..', 'bin')}:${process.env.PATH ?? ''}`,
        FAKE_KUBECTL_STATE: box.state,
        FAKE_KUBECTL_REAL: findTool('kubectl') ?? 'kubectl',
        FAKE_GIT_HEAD: COMMIT,
        GITHUB_STEP_SUMMARY: box.summary,
        ...env,
      },
    },
  );
}

const kubectl = (t: TestContext) => requireTool(t, 'kubectl', 'kustomize renders the overlays');
const output = (result: RunResult) => `${result.stdout}\n${result.stderr}`;
const undoTo = (revision: number) =>
  `-n dev rollout undo deployment/hello-api --to-revision=${revision}`;
const isScale = (call: string) => / scale /.test(` ${call} `);

/** The initial size the real prod overlay declares (the one place it is written). */
async function declaredInitialReplicas(t: TestContext): Promise<number | undefined> {
  const objects = await renderOrSkip(t, overlayDir('prod'));
  if (!objects) return undefined;
  const value = findObject(objects, 'Deployment', 'hello-api', 'prod').metadata.annotations?.[
    INITIAL_REPLICAS_ANNOTATION
  ];
  assert.match(value ?? '', /^[1-9][0-9]*$/, `prod Deployment: ${INITIAL_REPLICAS_ANNOTATION}`);
  return Number(value);
}

describe('deploy script', { concurrency: true }, () => {
  let service: RunningService;
  /** The deploy of `image` to dev that every case here runs, against the started service. */
  let devArgs: (box: Sandbox, image?: string, commit?: string) => string[];
  /** The deploy of NEW to `env` from the real overlays (no --branch: origin is not asked). */
  let realArgs: (box: Sandbox, env: string) => string[];
  before(async () => {
    service = await startService({ env: { GIT_COMMIT: COMMIT } });
    devArgs = (box, image = NEW, commit = COMMIT) => [
      ...['--env', 'dev', '--image', image, '--commit', commit, '--branch', 'dev'],
      ...['--url', service.url, '--overlays', box.overlays],
    ];
    realArgs = (box, env) => [
      ...['--env', env, '--image', NEW, '--commit', COMMIT],
      ...['--url', service.url, '--overlays', box.realOverlays],
    ];
  });
  after(async () => {
    await service.stop('SIGKILL');
  });

  test('success: checks the branch head, applies the digest, waits, smoke-tests, no rollback', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(OLD);
    const result = await deploy(box, devArgs(box));
    assert.equal(result.code, 0, output(result));
    assert.deepEqual(box.gitCalls(), ['ls-remote --exit-code origin refs/heads/dev']);
    const cluster = box.cluster();
    assert.equal(cluster.current?.image, NEW);
    assert.match(cluster.current.configMap, /^hello-api-config-[a-z0-9]{10}$/);
    assert.deepEqual(
      cluster.replicaSets.map((rs) => rs.revision),
      [3, 4],
      'the new template is revision 4',
    );
    const calls = box.calls();
    assert.ok(
      calls.includes('-n dev rollout status deployment/hello-api --timeout=5s'),
      calls.join('\n'),
    );
    assert.ok(!calls.some((c) => c.includes('rollout undo')), 'no rollback on success');
    const summary = readFileSync(box.summary, 'utf8');
    for (const expected of [
      'Deploy to dev',
      NEW,
      service.url,
      'smoke test PASSED',
      `revision 3 (${OLD})`,
    ])
      assert.ok(summary.includes(expected), `summary lacks ${expected}:\n${summary}`);
    assert.match(result.stdout, /deploy SUCCEEDED: dev: /);
  });

  test('failed rollout: undoes to the revision recorded before the apply and exits 1', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(OLD);
    const result = await deploy(box, devArgs(box), { FAKE_KUBECTL_FAIL_ROLLOUT: NEW });
    assert.equal(result.code, 1, output(result));
    const calls = box.calls();
    assert.ok(calls.includes(undoTo(3)), calls.join('\n'));
    assert.ok(
      calls.indexOf('-n dev get deployment hello-api -o json') <
        calls.findIndex((c) => c.startsWith('apply -k')),
      'the revision is recorded before the apply',
    );
    assert.deepEqual(box.cluster().current, { image: OLD, configMap: 'hello-api-config-old' });
    assert.doesNotMatch(
      result.stdout,
      /smoke test (PASSED|FAILED)/,
      'no smoke test after a failed rollout',
    );
    assert.match(
      result.stdout,
      /deploy FAILED: dev: rollout did not complete .*; rolled back to revision 3 \(/,
    );
  });

  test('a bad ConfigMap value is really undone: the old template and its old ConfigMap run again', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(undefined);
    // First deploy, good settings: revision 1.
    const first = await deploy(box, devArgs(box, OLD));
    assert.equal(first.code, 0, output(first));
    const good = box.cluster().current;
    assert.ok(good);
    // Second deploy: a new image and a setting the pods cannot start with.
    const kustomization = join(box.overlays, '..', 'base', 'kustomization.yaml');
    writeFileSync(
      kustomization,
      readFileSync(kustomization, 'utf8').replace('LOG_LEVEL=info', 'LOG_LEVEL=verbose'),
    );
    const second = await deploy(box, devArgs(box), {
      FAKE_KUBECTL_BAD_SETTING: 'LOG_LEVEL=verbose',
    });
    assert.equal(second.code, 1, output(second));
    assert.ok(box.calls().includes(undoTo(1)), box.calls().join('\n'));
    const cluster = box.cluster();
    assert.deepEqual(cluster.current, good, 'image and ConfigMap reference of revision 1');
    assert.deepEqual(
      cluster.configMaps[good.configMap],
      { LOG_LEVEL: 'info' },
      'the old ConfigMap is intact',
    );
    assert.equal(
      Object.keys(cluster.configMaps).length,
      2,
      'apply never prunes: both ConfigMaps exist',
    );
    assert.deepEqual(
      cluster.replicaSets.map((rs) => [rs.revision, rs.template.image]),
      [
        [3, OLD],
        [2, NEW],
      ],
      'the undone template comes back as the next revision, as the Deployment controller does',
    );
    assert.match(second.stdout, /rolled back to revision 1 \(/);
  });

  test('failed smoke test (wrong commit): undoes to the recorded revision and exits 1', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(OLD);
    const result = await deploy(
      box,
      [
        ...devArgs(box, NEW, NEWER),
        // Long enough for a loaded machine's first answer; a wrong commit waits it out anyway.
        '--smoke-deadline',
        '15',
      ],
      { FAKE_GIT_HEAD: NEWER },
    );
    assert.equal(result.code, 1, output(result));
    assert.ok(box.calls().includes(undoTo(3)), box.calls().join('\n'));
    assert.equal(box.cluster().current?.image, OLD);
    const summary = readFileSync(box.summary, 'utf8');
    assert.match(summary, new RegExp(`smoke test FAILED: .*expected "${NEWER}"`));
    assert.match(summary, /smoke test failed; rolled back to revision 3/);
  });

  test('a commit that is no longer the head of its branch is not deployed, and the run stays green', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(OLD);
    const result = await deploy(box, devArgs(box), { FAKE_GIT_HEAD: NEWER });
    assert.equal(result.code, 0, output(result));
    assert.match(
      result.stdout,
      new RegExp(
        `deploy SKIPPED: dev: branch dev is now at ${NEWER}, not ${COMMIT}; the run for the newer commit deploys it, nothing was changed`,
      ),
    );
    assert.ok(!box.calls().some((c) => c.startsWith('apply')), box.calls().join('\n'));
    assert.deepEqual(box.cluster().current, { image: OLD, configMap: 'hello-api-config-old' });
  });

  test('a branch head origin cannot tell stops the deploy before anything changes', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(OLD);
    const result = await deploy(box, devArgs(box), { FAKE_GIT_HEAD: '' });
    assert.equal(result.code, 1, output(result));
    assert.match(
      result.stdout,
      /deploy FAILED: dev: cannot read the head of branch dev from origin; nothing was changed/,
    );
    assert.ok(!box.calls().some((c) => c.startsWith('apply')));
  });

  test('first deploy that fails: nothing to roll back to, exit code 3', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(undefined);
    const result = await deploy(box, devArgs(box), { FAKE_KUBECTL_FAIL_ROLLOUT: NEW });
    assert.equal(result.code, 3, output(result));
    assert.ok(!box.calls().some((c) => c.includes('rollout undo')), box.calls().join('\n'));
    assert.match(result.stdout, /no previous revision to roll back to/);
  });

  test("prod's first deploy scales to the overlay's initial size after the apply, before waiting for the rollout", async (t) => {
    if (!kubectl(t)) return;
    const initial = await declaredInitialReplicas(t);
    if (initial === undefined) return;
    const box = sandbox(undefined);
    const result = await deploy(box, realArgs(box, 'prod'));
    assert.equal(result.code, 0, output(result));
    const calls = box.calls();
    const apply = calls.findIndex((c) => c.startsWith('apply -k'));
    const scale = calls.indexOf(`-n prod scale deployment/hello-api --replicas=${initial}`);
    const rollout = calls.findIndex((c) => c.startsWith('-n prod rollout status'));
    assert.ok(
      apply >= 0 && scale > apply && rollout > scale,
      `apply, then scale to ${initial}, then rollout status:\n${calls.join('\n')}`,
    );
    assert.equal(calls.filter(isScale).length, 1, calls.join('\n'));
    assert.equal(box.cluster().replicas, initial, 'the Deployment runs the initial size');
    assert.match(result.stdout, new RegExp(`first deploy to prod: starting with ${initial} pods`));
  });

  test("prod's later deploys do not scale: the count the HPA chose stays", async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(OLD, 7);
    const result = await deploy(box, realArgs(box, 'prod'));
    assert.equal(result.code, 0, output(result));
    assert.deepEqual(box.calls().filter(isScale), [], box.calls().join('\n'));
    const cluster = box.cluster();
    assert.equal(cluster.current?.image, NEW, 'the new image is deployed');
    assert.equal(cluster.replicas, 7, "the apply and the deploy leave the HPA's 7 pods alone");
  });

  test('dev and stage, which set replicas themselves, never scale, not even on a first deploy', async (t) => {
    if (!kubectl(t)) return;
    await Promise.all(
      ['dev', 'stage'].map(async (env) => {
        const box = sandbox(undefined);
        const result = await deploy(box, realArgs(box, env));
        assert.equal(result.code, 0, `${env}: ${output(result)}`);
        assert.deepEqual(box.calls().filter(isScale), [], `${env}:\n${box.calls().join('\n')}`);
        const overlay = await renderOrSkip(t, overlayDir(env as 'dev' | 'stage'));
        const declared = overlay
          ? findObject(overlay, 'Deployment', 'hello-api', env).spec?.replicas
          : undefined;
        assert.ok(declared !== undefined, `${env} overlay sets spec.replicas`);
        assert.equal(box.cluster().replicas, declared, `${env}: the overlay's replicas`);
      }),
    );
  });

  test("prod's first deploy whose scale is refused fails with exit 3 and does not wait for the rollout", async (t) => {
    if (!kubectl(t)) return;
    const initial = await declaredInitialReplicas(t);
    if (initial === undefined) return;
    const box = sandbox(undefined);
    const result = await deploy(box, realArgs(box, 'prod'), { FAKE_KUBECTL_FORBID_SCALE: '1' });
    assert.equal(result.code, 3, output(result));
    assert.ok(!box.calls().some((c) => c.includes('rollout status')), box.calls().join('\n'));
    assert.match(
      result.stdout,
      new RegExp(
        `deploy FAILED: prod: kubectl scale to the initial ${initial} replicas failed; first deploy, no previous revision to roll back to`,
      ),
    );
  });
});

// The checks that need no cluster conversation run in-process: faster, and just as real.
describe('deploy script: refusals before the cluster is touched', () => {
  const args = (image: string, env = 'dev') => ['--env', env, '--image', image, '--commit', COMMIT];

  for (const [image, why] of [
    [`${REPO}:1.0.0`, 'a tag'],
    [`${REPO}:1.0.0@sha256:${'b'.repeat(64)}`, 'a tag and a digest'],
    [`${REPO}@sha256:${'b'.repeat(63)}`, 'a short digest'],
    [`${REPO}@sha256:${'B'.repeat(64)}`, 'an upper-case digest'],
  ] as const) {
    test(`an image given by ${why} is refused`, () => {
      assert.throws(() => parseOptions(args(image)), {
        name: 'FlagError',
        message: /^--image must be <repository>@sha256:<64 hex> \(no tag\), got "/,
      });
    });
  }

  test('an unknown environment, a missing commit or an unknown flag is refused', () => {
    assert.throws(
      () => parseOptions(args(NEW, 'qa')),
      /--env must be one of dev, stage, prod, got "qa"/,
    );
    assert.throws(() => parseOptions(['--env', 'dev', '--image', NEW]), /--commit must be/);
    assert.throws(() => parseOptions([...args(NEW), '--force']), FlagError);
    assert.throws(
      () => parseOptions(['--env', 'dev', '--image', NEW, '--commit', 'abc123', '--branch', 'dev']),
      /^FlagError: --branch needs --commit to be the full 40-hex commit, got "abc123"$/,
    );
    assert.throws(
      () => parseOptions([...args(NEW), '--branch', '../main']),
      /--branch must be a git branch name/,
    );
  });

  test("the default URL is the NodePort the environment's overlay renders, on loopback (where CI opens the tunnel)", async (t) => {
    const nodePorts = await renderedNodePorts(t);
    if (!nodePorts) return;
    for (const env of ENVIRONMENTS)
      assert.equal(parseOptions(args(NEW, env), {}).url, `http://127.0.0.1:${nodePorts[env]}`);
    assert.equal(parseOptions(args(NEW), { DEPLOY_URL: 'http://x:1' }).url, 'http://x:1');
  });

  test('a cluster it cannot read, or a rollout still under way, stops the deploy', () => {
    const answering =
      (ok: boolean, stdout: string, stderr = ''): Kubectl =>
      () => ({ ok, stdout, stderr });
    assert.throws(
      () =>
        running(
          answering(false, '', 'error: You must be logged in to the server (Unauthorized)'),
          'dev',
        ),
      /cannot read deployment\/hello-api in namespace dev; nothing was changed/,
    );
    const notFound = 'Error from server (NotFound): deployments.apps "hello-api" not found';
    assert.equal(running(answering(false, '', notFound), 'dev'), undefined);
    const deployment = (generation: number, observed: number) =>
      JSON.stringify({
        metadata: { generation, annotations: { 'deployment.kubernetes.io/revision': '7' } },
        status: { observedGeneration: observed },
        spec: { template: { spec: { containers: [{ name: 'hello-api', image: OLD }] } } },
      });
    assert.deepEqual(running(answering(true, deployment(4, 4)), 'dev'), {
      revision: 7,
      image: OLD,
    });
    assert.throws(
      () => running(answering(true, deployment(5, 4)), 'dev'),
      /still being rolled out/,
    );
  });

  test('the branch head is read from git ls-remote as git prints it', () => {
    const git: Kubectl = (args) => ({
      ok: true,
      stdout: `${COMMIT}\t${args.at(-1) ?? ''}\n`,
      stderr: '',
    });
    assert.equal(branchHead(git, 'stage'), COMMIT);
    const none: Kubectl = () => ({ ok: false, stdout: '', stderr: '' });
    assert.throws(() => branchHead(none, 'stage'), /cannot read the head of branch stage/);
  });

  const render = (t: TestContext, environment: string, overlays?: string) => {
    const real = kubectl(t);
    if (!real) return undefined;
    const workDir = mkdtempSync(join(tmpdir(), 'deploy-render-'));
    sandboxes.push(workDir);
    const options = parseOptions([
      ...args(NEW, environment),
      ...(overlays ? ['--overlays', overlays] : []),
    ]);
    const run = kubectlRunner(real);
    const rendered = () => findApp(run(['kustomize', workDir], { quiet: true }).stdout);
    return { prepare: () => prepare(run, options, workDir), rendered };
  };

  test('an overlay rendering into the wrong namespace is refused', (t) => {
    // The fixture "stage" overlay wrongly sets namespace dev.
    const job = render(t, 'stage', FIXTURE_OVERLAYS);
    if (!job) return;
    assert.throws(() => {
      job.prepare();
    }, /renders namespace "dev", expected "stage"/);
  });

  for (const environment of ENVIRONMENTS) {
    test(`the real k8s/overlays/${environment} renders into namespace ${environment} with the digest`, (t) => {
      const job = render(t, environment);
      if (!job) return;
      const prepared = job.prepare();
      const rendered = job.rendered();
      assert.deepEqual(
        { namespace: rendered?.namespace, image: rendered?.image },
        { namespace: environment, image: NEW },
      );
      // Only an overlay that leaves the count to an HPA declares an initial size.
      assert.equal(
        prepared.initialReplicas === undefined,
        rendered?.replicas !== undefined,
        `${environment}: initial size ${String(prepared.initialReplicas)} with replicas ${String(rendered?.replicas)}`,
      );
    });
  }

  /** A copy of the fixture dev overlay whose Deployment gets `patch` (metadata and spec). */
  const patchedOverlay = (patch: { annotation: string; replicas?: number }) => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-initial-'));
    sandboxes.push(dir);
    cpSync(repoPath('test/pipeline/fixtures/k8s'), dir, { recursive: true });
    const kustomization = join(dir, 'overlays', 'dev', 'kustomization.yaml');
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'hello-api',
        annotations: { [INITIAL_REPLICAS_ANNOTATION]: patch.annotation },
      },
      ...(patch.replicas === undefined ? {} : { spec: { replicas: patch.replicas } }),
    };
    writeFileSync(
      kustomization,
      `${readFileSync(kustomization, 'utf8')}patches:\n  - patch: '${JSON.stringify(deployment)}'\n`,
    );
    return join(dir, 'overlays');
  };

  test('an initial size is read from the render, and refused beside spec.replicas or when not a count', (t) => {
    const accepted = render(t, 'dev', patchedOverlay({ annotation: '4' }));
    if (!accepted) return;
    assert.deepEqual(accepted.prepare(), { initialReplicas: 4 });
    const beside = render(t, 'dev', patchedOverlay({ annotation: '3', replicas: 2 }));
    assert.throws(
      () => beside?.prepare(),
      /annotation hello-api\/initial-replicas is only for a Deployment without spec.replicas \(an HPA owns its count\), but it sets replicas 2$/,
    );
    for (const value of ['three', '0', '2.5', '-1'])
      assert.throws(
        () => render(t, 'dev', patchedOverlay({ annotation: value }))?.prepare(),
        new RegExp(
          `must be a whole number of pods of 1 or more, got "${value.replace('.', '\\.')}"$`,
        ),
        value,
      );
  });
});
