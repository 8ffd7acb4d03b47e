// scripts/deploy/deploy.ts with kubectl replaced by a fake on PATH (test/pipeline/fixtures/
// fake-kubectl: logs calls, keeps the "deployed image", renders with the real kubectl kustomize)
// and the smoke test run for real against the service started here.
import assert from 'node:assert/strict';
import {
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
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { run, type RunResult } from '../helpers/run.js';
import { startService, type RunningService } from '../helpers/service.js';
import { findTool, requireTool } from '../helpers/tools.js';
import { currentImage, prepare } from '../../scripts/deploy/cluster.js';
import { kubectlRunner, type Kubectl } from '../../scripts/deploy/kubectl.js';
import { parseOptions, UsageError } from '../../scripts/deploy/options.js';
import { findApp } from '../../scripts/deploy/render.js';

const REPO = 'docker.io/acme/hello-api';
const OLD = `${REPO}@sha256:${'a'.repeat(64)}`;
const NEW = `${REPO}@sha256:${'b'.repeat(64)}`;
const FIXTURE_OVERLAYS = repoPath('test/pipeline/fixtures/k8s/overlays');
const COMMIT = 'abc123';

interface Sandbox {
  state: string;
  summary: string;
  calls(): string[];
  image(): string;
  applied(): { namespace: unknown; image: unknown }[];
}

const sandboxes: string[] = [];
after(() => {
  for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true });
});

function sandbox(currentImage: string | undefined): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-test-'));
  sandboxes.push(dir);
  const state = join(dir, 'state');
  mkdirSync(state);
  mkdirSync(join(dir, 'bin'));
  symlinkSync(repoPath('test/pipeline/fixtures/fake-kubectl'), join(dir, 'bin', 'kubectl'));
  if (currentImage !== undefined) writeFileSync(join(state, 'image'), `${currentImage}\n`);
  const read = (name: string) =>
    existsSync(join(state, name)) ? readFileSync(join(state, name), 'utf8') : '';
  return {
    state,
    summary: join(dir, 'summary.md'),
    calls: () => read('calls.log').split('\n').filter(Boolean),
    image: () => read('image').trim(),
    applied: () =>
      parseAllDocuments(read('applied.yaml'))
        .map((doc) => doc.toJS() as { kind?: string; metadata?: { namespace?: string } } | null)
        .filter((doc) => doc?.kind === 'Deployment')
        .map((doc) => {
          const spec = (
            doc as { spec: { template: { spec: { containers: { image: string }[] } } } }
          ).spec;
          return {
            namespace: doc?.metadata?.namespace,
            image: spec.template.spec.containers[0]?.image,
          };
        }),
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
      timeoutMs: 60_000,
      env: {
        ...process.env,
        PATH: `${join(box.state, '..', 'bin')}:${process.env.PATH ?? ''}`,
        FAKE_KUBECTL_STATE: box.state,
        FAKE_KUBECTL_REAL: findTool('kubectl') ?? 'kubectl',
        GITHUB_STEP_SUMMARY: box.summary,
        ...env,
      },
    },
  );
}

const kubectl = (t: TestContext) => requireTool(t, 'kubectl', 'kustomize renders the overlays');
const output = (result: RunResult) => `${result.stdout}\n${result.stderr}`;

describe('deploy script', { concurrency: true }, () => {
  let service: RunningService;
  /** The deploy of NEW to dev that every case here runs, against the started service. */
  let devArgs: (commit: string) => string[];
  before(async () => {
    service = await startService({ env: { GIT_COMMIT: COMMIT } });
    devArgs = (commit) => [
      ...['--env', 'dev', '--image', NEW, '--commit', commit],
      ...['--url', service.url, '--overlays', FIXTURE_OVERLAYS],
    ];
  });
  after(async () => {
    await service.stop('SIGKILL');
  });

  test('success: applies the dev overlay with the new digest, waits, smoke-tests, no rollback', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(OLD);
    const result = await deploy(box, devArgs(COMMIT));
    assert.equal(result.code, 0, output(result));
    assert.deepEqual(box.applied(), [{ namespace: 'dev', image: NEW }]);
    const calls = box.calls();
    assert.ok(
      calls.some((c) => c.startsWith('apply -k ')),
      calls.join('\n'),
    );
    assert.ok(
      calls.includes('-n dev rollout status deployment/hello-api --timeout=5s'),
      calls.join('\n'),
    );
    assert.ok(!calls.some((c) => c.includes('set image')), 'no rollback on success');
    assert.equal(box.image(), NEW);
    const summary = readFileSync(box.summary, 'utf8');
    for (const expected of ['Deploy to dev', NEW, service.url, 'smoke test PASSED', OLD])
      assert.ok(summary.includes(expected), `summary lacks ${expected}:\n${summary}`);
    assert.match(result.stdout, /deploy SUCCEEDED: dev: /);
  });

  test('failed rollout: rolls back to the previous digest and exits non-zero', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(OLD);
    const result = await deploy(box, devArgs(COMMIT), { FAKE_KUBECTL_FAIL_ROLLOUT: NEW });
    assert.equal(result.code, 1, output(result));
    assert.ok(
      box.calls().includes(`-n dev set image deployment/hello-api hello-api=${OLD}`),
      box.calls().join('\n'),
    );
    assert.equal(box.image(), OLD, 'the previous digest runs again');
    assert.doesNotMatch(
      result.stdout,
      /smoke test (PASSED|FAILED)/,
      'no smoke test after a failed rollout',
    );
    assert.match(result.stdout, /deploy FAILED: dev: rollout did not complete .*; rolled back to /);
  });

  test('failed smoke test (wrong commit): rolls back to the previous digest and exits non-zero', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(OLD);
    const result = await deploy(box, [
      ...devArgs('def456'),
      // Long enough for a loaded machine's first answer; a wrong commit waits it out anyway.
      '--smoke-deadline',
      '15',
    ]);
    assert.equal(result.code, 1, output(result));
    assert.ok(
      box.calls().some((c) => c.startsWith('apply -k ')),
      box.calls().join('\n'),
    );
    assert.ok(
      box.calls().includes(`-n dev set image deployment/hello-api hello-api=${OLD}`),
      box.calls().join('\n'),
    );
    assert.equal(box.image(), OLD);
    const summary = readFileSync(box.summary, 'utf8');
    assert.match(summary, /smoke test FAILED: .*expected "def456"/);
    assert.match(summary, /smoke test failed; rolled back to /);
  });

  test('first deploy that fails: nothing to roll back to, exit code 3', async (t) => {
    if (!kubectl(t)) return;
    const box = sandbox(undefined);
    const result = await deploy(box, devArgs(COMMIT), { FAKE_KUBECTL_FAIL_ROLLOUT: NEW });
    assert.equal(result.code, 3, output(result));
    assert.ok(!box.calls().some((c) => c.includes('set image')), box.calls().join('\n'));
    assert.match(result.stdout, /no previous image to roll back to/);
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
        name: 'Error',
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
    assert.throws(() => parseOptions([...args(NEW), '--force']), UsageError);
  });

  test("the default URL is the environment's NodePort on loopback (where CI opens the tunnel)", () => {
    assert.equal(parseOptions(args(NEW, 'dev'), {}).url, 'http://127.0.0.1:30080');
    assert.equal(parseOptions(args(NEW, 'stage'), {}).url, 'http://127.0.0.1:30081');
    assert.equal(parseOptions(args(NEW, 'prod'), {}).url, 'http://127.0.0.1:30082');
    assert.equal(parseOptions(args(NEW), { DEPLOY_URL: 'http://x:1' }).url, 'http://x:1');
  });

  test('a cluster it cannot read stops the deploy (an unknown deployment means a first deploy)', () => {
    const answering =
      (stderr: string): Kubectl =>
      () => ({ ok: false, stdout: '', stderr });
    assert.throws(
      () =>
        currentImage(answering('error: You must be logged in to the server (Unauthorized)'), 'dev'),
      /cannot read deployment\/hello-api in namespace dev; nothing was changed/,
    );
    const notFound = 'Error from server (NotFound): deployments.apps "hello-api" not found';
    assert.equal(currentImage(answering(notFound), 'dev'), undefined);
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
    return {
      prepare: () => {
        prepare(run, options, workDir);
      },
      rendered,
    };
  };

  test('an overlay rendering into the wrong namespace is refused', (t) => {
    // The fixture "stage" overlay wrongly sets namespace dev.
    const job = render(t, 'stage', FIXTURE_OVERLAYS);
    if (!job) return;
    assert.throws(() => {
      job.prepare();
    }, /renders namespace "dev", expected "stage"/);
  });

  for (const environment of ['dev', 'stage', 'prod']) {
    test(`the real k8s/overlays/${environment} renders into namespace ${environment} with the digest`, (t) => {
      const job = render(t, environment);
      if (!job) return;
      job.prepare();
      assert.deepEqual(job.rendered(), { namespace: environment, image: NEW });
    });
  }
});
