// The CI/CD workflows read as data: which run deploys where (the plan step run for real), what
// every deploy waits for, who may write what, how actions, tools and images are pinned, that the
// Trivy gates can fail and see every platform, and how the deploy reaches the cluster.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '../../scripts/lib/environments.js';
import { renderedNodePorts } from '../helpers/k8s-manifests.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { tempDirFor } from '../helpers/temp-dir.js';
import {
  evaluate,
  jobsThatRun,
  loadWorkflow,
  plan,
  runBlocks,
  runContext,
  transitiveNeeds,
  workflowFiles,
  type Job,
  type Step,
} from '../helpers/pipeline-workflows.js';

const ciCd = loadWorkflow('ci-cd.yaml');
const deploy = loadWorkflow('deploy.yaml');
const deployJob = Object.values(deploy.jobs)[0] as Job;
const deploySteps = deployJob.steps ?? [];
const DEPLOY_JOBS = { dev: 'deploy-dev', stage: 'deploy-stage', prod: 'deploy-prod' } as const;
const ALL_DEPLOY_JOBS: string[] = Object.values(DEPLOY_JOBS);

async function deployJobsFor(event: string, ref: string, requested = ''): Promise<string[]> {
  const planned = await plan(event, ref, requested);
  assert.equal(planned.code, 0, planned.output);
  return jobsThatRun(ciCd, runContext(event, ref, planned)).filter((id) =>
    ALL_DEPLOY_JOBS.includes(id),
  );
}

function allSteps(): { file: string; job: string; step: Step }[] {
  return workflowFiles().flatMap((file) => {
    const workflow = loadWorkflow(basename(file));
    return Object.entries(workflow.jobs).flatMap(([job, body]) =>
      (body.steps ?? []).map((step) => ({ file: basename(file), job, step })),
    );
  });
}

describe('triggers and the run -> environment plan', () => {
  test('runs on pushes to dev, stage and main, on pull requests and by hand', () => {
    const push = ciCd.on.push as { branches: string[] };
    assert.deepEqual([...push.branches].sort(), ['dev', 'main', 'stage']);
    assert.ok('pull_request' in ciCd.on, 'no pull_request trigger');
    const dispatch = ciCd.on.workflow_dispatch as {
      inputs: { environment: { type: string; options: string[] } };
    };
    assert.equal(dispatch.inputs.environment.type, 'choice');
    assert.deepEqual(dispatch.inputs.environment.options, [...ENVIRONMENTS]);
  });

  test('a push deploys its branch to exactly one environment: dev->dev, stage->stage, main->prod', async () => {
    assert.deepEqual(await deployJobsFor('push', 'refs/heads/dev'), ['deploy-dev']);
    assert.deepEqual(await deployJobsFor('push', 'refs/heads/stage'), ['deploy-stage']);
    assert.deepEqual(await deployJobsFor('push', 'refs/heads/main'), ['deploy-prod']);
    assert.deepEqual(await deployJobsFor('push', 'refs/heads/feature/x'), []);
  });

  test('a pull request (also from a fork) never pushes, signs or deploys, and needs no secret', async () => {
    const planned = await plan('pull_request', 'refs/pull/7/merge');
    const jobs = jobsThatRun(ciCd, runContext('pull_request', 'refs/pull/7/merge', planned));
    assert.deepEqual(jobs.sort(), [
      'build',
      'e2e',
      'opentofu',
      'plan',
      'quality',
      'scan-repo',
      'scan-shipped-images',
      'shipped-images',
    ]);
    const build = ciCd.jobs.build?.steps ?? [];
    assert.equal(
      build.find((step) => step.id === 'build')?.with?.push,
      "${{ github.event_name != 'pull_request' }}",
    );
    // The only secret-using step of those jobs is the login, skipped on pull requests.
    for (const id of jobs)
      for (const step of ciCd.jobs[id]?.steps ?? [])
        if (JSON.stringify(step).includes('secrets.'))
          assert.equal(step.if, "github.event_name != 'pull_request'", `${id} ${step.name ?? ''}`);
  });

  test('a run that pushes stops in plan with one line while DOCKERHUB_REPOSITORY is unset; a pull request (a fork gets no variables) goes on', async () => {
    for (const [event, ref, requested] of [
      ['push', 'refs/heads/dev', ''],
      ['workflow_dispatch', 'refs/heads/main', 'prod'],
    ] as const) {
      const planned = await plan(event, ref, requested, '');
      assert.equal(planned.code, 1, `${event} ${ref}`);
      assert.deepEqual(planned.output.split('\n'), [
        '::error title=no image repository::repository variable DOCKERHUB_REPOSITORY is not set; set it to <namespace>/hello-api (docs/ci-cd.md, Setup) before a run that pushes',
      ]);
    }
    const pullRequest = await plan('pull_request', 'refs/pull/7/merge', '', '');
    assert.equal(pullRequest.code, 0, pullRequest.output);
  });

  test('a manual run deploys the chosen environment; dev from any branch', async () => {
    assert.deepEqual(await deployJobsFor('workflow_dispatch', 'refs/heads/feature/x', 'dev'), [
      'deploy-dev',
    ]);
    assert.deepEqual(await deployJobsFor('workflow_dispatch', 'refs/heads/stage', 'stage'), [
      'deploy-stage',
    ]);
    assert.deepEqual(await deployJobsFor('workflow_dispatch', 'refs/heads/main', 'prod'), [
      'deploy-prod',
    ]);
  });

  for (const [requested, ref, needed] of [
    ['stage', 'refs/heads/dev', 'stage'],
    ['prod', 'refs/heads/stage', 'main'],
    ['prod', 'refs/tags/v1.0.0', 'main'],
  ] as const) {
    test(`a manual ${requested} run on ${ref} fails the run with one line saying why`, async () => {
      const planned = await plan('workflow_dispatch', ref, requested);
      assert.equal(planned.code, 1);
      assert.equal(planned.environment, '');
      assert.deepEqual(planned.output.split('\n'), [
        `::error title=wrong branch::a manual deploy to ${requested} runs only from branch ${needed}; this run is on ${ref}, so nothing was deployed`,
      ]);
    });
  }

  test('a failed plan stops the build and every deploy (they need it)', () => {
    for (const id of ['build', 'e2e', ...ALL_DEPLOY_JOBS])
      assert.ok(transitiveNeeds(ciCd, id).has('plan'), `${id} does not need plan`);
  });

  test('the expression evaluator itself tells true from false', () => {
    const context = runContext('push', 'refs/heads/main');
    assert.equal(evaluate("github.ref == 'refs/heads/MAIN'", context), true);
    assert.equal(
      evaluate("github.ref != 'refs/heads/main' || !(github.event_name)", context),
      false,
    );
    assert.throws(() => evaluate('github.sha', context), /no value/);
  });
});

describe('job graph', () => {
  const gates = [
    'quality',
    'opentofu',
    'build',
    'scan-image',
    'scan-repo',
    'scan-shipped-images',
    'sign',
    'e2e',
  ];

  test('the image is built only after the quality jobs pass; scan and sign work on it', () => {
    const needs = transitiveNeeds(ciCd, 'build');
    assert.ok(needs.has('quality') && needs.has('opentofu'), [...needs].join(','));
    for (const job of ['scan-image', 'sign'])
      assert.ok(transitiveNeeds(ciCd, job).has('build'), `${job} must need build`);
    assert.ok(transitiveNeeds(ciCd, 'sign').has('scan-image'), 'only a scanned image is signed');
  });

  test('e2e is exactly make cluster-up && make e2e, builds its own image and uses no secret', () => {
    const e2e = ciCd.jobs.e2e as Job;
    assert.ok(!transitiveNeeds(ciCd, 'e2e').has('build'), 'e2e must not need the pushed image');
    const runs = (e2e.steps ?? []).map((step) => step.run).filter(Boolean);
    assert.ok(runs.includes('make cluster-up && make e2e'), runs.join('\n'));
    assert.doesNotMatch(JSON.stringify(e2e), /secrets\./);
    assert.equal(e2e.permissions, undefined, 'e2e keeps the read-only default');
  });

  for (const [environment, jobId] of Object.entries(DEPLOY_JOBS)) {
    test(`${jobId} waits for quality, build, every scan, signing and e2e`, () => {
      const needs = transitiveNeeds(ciCd, jobId);
      for (const gate of gates) assert.ok(needs.has(gate), `${jobId} does not need ${gate}`);
    });

    test(`${jobId} calls deploy.yaml for "${environment}" with the digest and no secrets`, () => {
      const job = ciCd.jobs[jobId] as Job;
      assert.equal(job.uses, './.github/workflows/deploy.yaml');
      assert.equal(job.if, `needs.plan.outputs.environment == '${environment}'`);
      assert.deepEqual(job.with, {
        environment,
        digest: '${{ needs.build.outputs.digest }}',
        commit: '${{ github.sha }}',
      });
      assert.equal(job.secrets, undefined, 'no secrets: inherit, no secrets at all');
    });
  }

  test('deploy.yaml: the job runs in the environment it was given, one deploy at a time, never cancelled', () => {
    assert.equal(Object.keys(deploy.jobs).length, 1);
    const environment = deployJob.environment as { name: string };
    assert.equal(environment.name, '${{ inputs.environment }}');
    assert.equal(deployJob.concurrency?.group, 'deploy-${{ inputs.environment }}');
    assert.equal(deployJob.concurrency['cancel-in-progress'], false);
    const call = deploy.on.workflow_call as {
      inputs: Record<string, { required: boolean }>;
      secrets?: unknown;
    };
    assert.deepEqual(Object.keys(call.inputs).sort(), ['commit', 'digest', 'environment']);
    for (const input of Object.values(call.inputs)) assert.equal(input.required, true);
    assert.equal(call.secrets, undefined, 'deploy.yaml takes no secrets');
  });
});

describe('the deploy job', () => {
  const index = (pattern: RegExp) =>
    deploySteps.findIndex((step) => pattern.test(`${step.run ?? ''} ${step.uses ?? ''}`));

  test('verifies the signature of exactly this workflow at this ref and commit, before deploying', () => {
    const verify = deploySteps[index(/cosign verify /)];
    assert.ok(verify, 'no cosign verify step');
    const script = verify.run ?? '';
    assert.doesNotMatch(script, /identity-regexp/, 'an exact identity, not a regular expression');
    assert.match(
      script,
      /--certificate-identity "https:\/\/github\.com\/\$\{REPOSITORY\}\/\.github\/workflows\/ci-cd\.yaml@\$\{REF\}"/,
    );
    assert.match(
      script,
      /--certificate-oidc-issuer https:\/\/token\.actions\.githubusercontent\.com/,
    );
    assert.match(script, /--certificate-github-workflow-sha "\$COMMIT"/);
    assert.deepEqual(verify.env, {
      REPOSITORY: '${{ github.repository }}',
      REF: '${{ github.ref }}',
    });
    assert.ok(index(/cosign verify /) < index(/scripts\/deploy\/deploy\.ts/));
  });

  test('reaches the cluster with short-lived identities only: WIF for GCP, OIDC for kubectl', () => {
    const auth = deploySteps.find((step) => step.uses?.startsWith('google-github-actions/auth@'));
    assert.deepEqual(auth?.with, {
      workload_identity_provider: '${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}',
      service_account: '${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}',
    });
    const connect = deploySteps[index(/connect-cluster\.sh/)];
    assert.equal(connect?.env?.KUBE_OIDC_AUDIENCE, '${{ vars.KUBE_OIDC_AUDIENCE }}');
    assert.doesNotMatch(JSON.stringify(deploy), /KUBE_DEPLOY_TOKEN|KUBE_CA_CERT|secrets\./);
    assert.deepEqual(deployJob.permissions, { contents: 'read', 'id-token': 'write' });
  });

  // Each environment's NodePort is what its overlay's Service patch sets. The job reads it from
  // there with scripts/deploy/node-port.ts, so a port written into the workflow instead (an env
  // entry, a literal URL) cannot drift from the manifests: no NodePort is written here at all.
  test('takes NODE_PORT from the overlay before the tunnel and the deploy use it, and writes none itself', async (t) => {
    const text = readFileSync(repoPath('.github/workflows/deploy.yaml'), 'utf8');
    assert.doesNotMatch(text, /(?<![\w.:/-])3[0-2]\d{3}(?![\w.])/, 'a NodePort-range number');
    for (const scope of [deploy.env, deployJob.env, ...deploySteps.map((step) => step.env)])
      assert.equal(scope?.NODE_PORT, undefined, 'NODE_PORT set in an env: block');
    const at = index(/scripts\/deploy\/node-port\.ts/);
    const step = deploySteps[at];
    assert.ok(step?.run, 'no step runs scripts/deploy/node-port.ts');
    assert.ok(at < index(/connect-cluster\.sh/), 'before the tunnel opens');
    assert.ok(at < index(/scripts\/deploy\/deploy\.ts/), 'before the deploy');
    assert.match(deploySteps[index(/scripts\/deploy\/deploy\.ts/)]?.run ?? '', /\$\{NODE_PORT\}/);
    const dir = tempDirFor(t, 'deploy-node-port');
    const nodePorts = await renderedNodePorts(t);
    if (!nodePorts) return;
    for (const env of ENVIRONMENTS) {
      const githubEnv = join(dir, env);
      writeFileSync(githubEnv, '');
      const result = await run('bash', ['-e', '-c', step.run], {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ENVIRONMENT: env,
          GITHUB_ENV: githubEnv,
        },
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(readFileSync(githubEnv, 'utf8'), `NODE_PORT=${nodePorts[env]}\n`, env);
    }
  });

  test('runs the project deploy script with the branch, so a superseded commit stops green', () => {
    const step = deploySteps[index(/scripts\/deploy\/deploy\.ts/)];
    assert.match(
      step?.run ?? '',
      /deploy\.ts --env "\$ENVIRONMENT" --image "\$IMAGE_REF"\s+--commit "\$COMMIT" --branch "\$BRANCH"/,
    );
    assert.equal(deployJob.env?.BRANCH, '${{ github.ref_name }}');
    assert.equal(
      deployJob.env.IMAGE_REF,
      'docker.io/${{ vars.DOCKERHUB_REPOSITORY }}@${{ inputs.digest }}',
    );
    for (const s of deploySteps) assert.doesNotMatch(s.run ?? '', /kubectl (apply|set|rollout)/);
  });
});

describe('least privilege', () => {
  const writeAllowed: Record<string, string[]> = {
    'scan-repo': ['security-events'],
    'scan-image': ['security-events'],
    'scan-shipped-images': ['security-events'],
    sign: ['id-token'],
    'deploy-dev': ['id-token'],
    'deploy-stage': ['id-token'],
    'deploy-prod': ['id-token'],
    deploy: ['id-token'],
  };

  for (const file of workflowFiles()) {
    const workflow = loadWorkflow(basename(file));
    test(`${basename(file)}: top-level permissions are exactly contents: read`, () => {
      assert.deepEqual(workflow.permissions, { contents: 'read' });
    });

    test(`${basename(file)}: write scopes only where a job needs them`, () => {
      for (const [id, job] of Object.entries(workflow.jobs)) {
        if (job.permissions === undefined) continue;
        assert.equal(typeof job.permissions, 'object', `${id}: no read-all/write-all`);
        for (const [scope, level] of Object.entries(job.permissions)) {
          if (level === 'read' || level === 'none') continue;
          assert.ok(
            writeAllowed[id]?.includes(scope),
            `${id} asks for ${scope}: ${level}, which it has no reason to`,
          );
        }
      }
    });
  }

  test('every npm ci skips install scripts, and every setup-node reads .nvmrc', () => {
    const steps = allSteps();
    const installs = steps.filter(({ step }) => /\bnpm ci\b/.test(step.run ?? ''));
    assert.ok(installs.length >= 3, `npm ci found ${installs.length} times`);
    for (const { file, job, step } of installs)
      assert.match(step.run ?? '', /npm ci --ignore-scripts\b/, `${file} ${job}`);
    const setups = steps.filter(({ step }) => step.uses?.startsWith('actions/setup-node@'));
    assert.ok(setups.length >= 3);
    for (const { file, job, step } of setups)
      assert.deepEqual(
        step.with,
        { 'node-version-file': '.nvmrc', cache: 'npm' },
        `${file} ${job}`,
      );
  });

  test('every job that runs steps has a timeout, so a hung step cannot hold a runner or a deploy lock', () => {
    for (const file of workflowFiles()) {
      for (const [id, job] of Object.entries(loadWorkflow(basename(file)).jobs)) {
        if (job.uses) continue; // a reusable-workflow call: its jobs carry their own
        const minutes = (job as { 'timeout-minutes'?: unknown })['timeout-minutes'];
        assert.ok(typeof minutes === 'number' && minutes > 0 && minutes <= 60, `${file} ${id}`);
      }
    }
  });

  test('only the deploy job keeps the checkout credentials (for its head-of-branch check)', () => {
    for (const { file, job, step } of allSteps().filter(({ step }) =>
      step.uses?.startsWith('actions/checkout@'),
    ))
      assert.equal(step.with?.['persist-credentials'], file === 'deploy.yaml', `${file} ${job}`);
  });
});

describe('pinning and injection', () => {
  // Each SHA was checked against its tag in the action's own repository (docs/ci-cd.md, Pins).
  const VERIFIED: Record<string, string> = {
    'actions/checkout': 'de0fac2e4500dabe0009e67214ff5f5447ce83dd v6.0.2',
    'actions/setup-node': '53b83947a5a98c8d113130e565377fae1a50d02f v6.3.0',
    'actions/upload-artifact': 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f v7.0.0',
    'github/codeql-action/upload-sarif': 'c10b8064de6f491fea524254123dbe5e09572f13 v4.35.1',
    'docker/setup-qemu-action': 'ce360397dd3f832beb865e1373c09c0e9f86d70a v4.0.0',
    'docker/setup-buildx-action': '4d04d5d9486b7bd6fa91e7baf45bbb4f8b9deedd v4.0.0',
    'docker/login-action': '4907a6ddec9925e35a0a9e82d7399ccc52663121 v4.1.0',
    'docker/metadata-action': '030e881283bb7a6894de51c315a6bfe6a94e05cf v6.0.0',
    'docker/build-push-action': 'bcafcacb16a39f128d818304e6c9c0c18556b85f v7.1.0',
    'sigstore/cosign-installer': 'cad07c2e89fa2edd6e2d7bab4c1aa38e53f76003 v4.1.1',
    'google-github-actions/auth': '7c6bc770dae815cd3e89ee6cdf493a5fab2cc093 v3.0.0',
  };

  test('every action is one of the verified SHAs, with its version in a comment', () => {
    const seen = new Set<string>();
    for (const file of workflowFiles()) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const match = /^\s*(?:-\s+)?uses:\s*([^@\s]+)@(\S+)\s*(?:#\s*(v\d+\.\d+\.\d+))?\s*$/.exec(
          line,
        );
        if (!match?.[1] || match[1].startsWith('./')) continue;
        seen.add(match[1]);
        assert.equal(`${match[2] ?? ''} ${match[3] ?? ''}`, VERIFIED[match[1]], line.trim());
      }
    }
    assert.deepEqual([...seen].sort(), Object.keys(VERIFIED).sort());
  });

  test('no action that fetches unpinned code: Trivy, OpenTofu, kubectl and kind are installed pinned', () => {
    const text = workflowFiles()
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    assert.doesNotMatch(
      text,
      /aquasecurity\/(trivy-action|setup-trivy)|opentofu\/setup-opentofu|azure\/setup-kubectl|helm\/kind-action|setup-gcloud/,
    );
    for (const { where, run } of runBlocks())
      assert.doesNotMatch(
        run,
        /\b(curl|wget)\b/,
        `${where}: downloads go through install-release.sh`,
      );
    const installs = runBlocks().flatMap(({ where, run, env }) =>
      run
        .split('\n')
        .filter((line) => line.includes('install-release.sh'))
        .map((line) => ({ where, line, env })),
    );
    assert.ok(installs.length >= 6, `${installs.length} pinned installs`);
    for (const { where, line, env } of installs) {
      const [, url, sha, members] =
        /install-release\.sh "\$(\w+)_URL" "\$(\w+)_SHA256"((?: (?:\w[\w.-]*|'[\w.*/-]+'))+)$/.exec(
          line.trim(),
        ) ?? [];
      assert.ok(url && sha && members, `${where}: ${line}`);
      assert.equal(url, sha, `${where}: URL and checksum of one tool`);
      assert.match(String(env[`${sha}_SHA256`]), /^[0-9a-f]{64}$/, `${where}: ${sha}_SHA256`);
      assert.match(String(env[`${url}_URL`]), /^https:\/\//, `${where}: ${url}_URL`);
    }
    for (const name of ['TRIVY', 'TOFU'])
      assert.match(String(ciCd.env?.[`${name}_SHA256`]), /^[0-9a-f]{64}$/);
    assert.match(String(deploy.env?.KUBECTL_SHA256), /^[0-9a-f]{64}$/);
    assert.match(String(deploy.env?.KUBECTL_VERSION), /^v1\.30\.\d+$/);
  });

  test('no run: script expands ${{ }} (untrusted values arrive as environment variables)', () => {
    const steps = allSteps().filter(({ step }) => step.run !== undefined);
    assert.ok(steps.length > 10, `only ${steps.length} run: steps found`);
    for (const { file, job, step } of steps)
      assert.doesNotMatch(step.run ?? '', /\$\{\{/, `${file} ${job} "${step.name ?? step.run}"`);
  });

  test('no latest tag anywhere in the workflows, and the image metadata never adds one', () => {
    for (const file of workflowFiles())
      assert.doesNotMatch(readFileSync(file, 'utf8'), /:latest\b|type=raw,value=latest/);
    const meta = ciCd.jobs.build?.steps?.find((step) => step.id === 'meta');
    assert.match(String(meta?.with?.flavor), /latest=false/);
    assert.match(String(meta?.with?.tags), /type=sha,format=long,prefix=\n/);
  });

  test('the build outputs only the digest; every later job joins it to the repository variable', () => {
    assert.deepEqual(ciCd.jobs.build?.outputs, { digest: '${{ steps.build.outputs.digest }}' });
    assert.equal(
      ciCd.env?.IMAGE,
      "docker.io/${{ vars.DOCKERHUB_REPOSITORY || 'pull-request/hello-api' }}",
    );
    assert.equal(ciCd.jobs['scan-image']?.env?.DIGEST, '${{ needs.build.outputs.digest }}');
    const sign = ciCd.jobs.sign?.steps?.find((step) => step.run?.includes('cosign sign'));
    assert.equal(sign?.run, 'cosign sign --yes "${IMAGE}@${DIGEST}"');
    assert.equal(sign.env?.DIGEST, '${{ needs.build.outputs.digest }}');
  });

  test('builds every platform in PLATFORMS, with layer cache, SBOM and provenance', () => {
    const step = ciCd.jobs.build?.steps?.find((s) => s.id === 'build');
    const inputs = step?.with ?? {};
    assert.equal(
      inputs.platforms,
      "${{ github.event_name == 'pull_request' && 'linux/amd64' || env.PLATFORMS }}",
    );
    assert.equal(ciCd.env?.PLATFORMS, 'linux/amd64,linux/arm64');
    assert.equal(inputs['cache-from'], 'type=gha');
    assert.equal(inputs['cache-to'], 'type=gha,mode=max');
    assert.equal(inputs.sbom, true);
    assert.equal(inputs.provenance, 'mode=max');
    assert.match(String(inputs['build-args']), /GIT_COMMIT=\$\{\{ github\.sha \}\}/);
  });
});

describe('the Trivy gates', () => {
  test('scan-image scans every platform the image is built for', () => {
    const job = ciCd.jobs['scan-image'] as Job;
    assert.deepEqual(job.strategy?.matrix?.platform, String(ciCd.env?.PLATFORMS).split(','));
    for (const step of (job.steps ?? []).filter((s) => /\btrivy image\b/.test(s.run ?? '')))
      assert.match(step.run ?? '', /--platform "\$PLATFORM"/);
    assert.equal(job.env?.PLATFORM, '${{ matrix.platform }}');
  });

  for (const jobId of ['scan-image', 'scan-repo', 'scan-shipped-images']) {
    test(`${jobId}: installs pinned Trivy and fails on a fixable CRITICAL or HIGH finding`, () => {
      const steps = ciCd.jobs[jobId]?.steps ?? [];
      assert.ok(
        steps.some((s) =>
          /install-release\.sh "\$TRIVY_URL" "\$TRIVY_SHA256" trivy/.test(s.run ?? ''),
        ),
      );
      const gates = steps.filter((step) => /--exit-code 1\b/.test(step.run ?? ''));
      assert.equal(gates.length, 1, 'exactly one gate step');
      const gate = gates[0] as Step;
      const commands = (gate.run ?? '').replace(/\\\n/g, ' ').split('\n').filter(Boolean);
      for (const command of commands) {
        assert.match(command, /--severity CRITICAL,HIGH/);
        assert.match(command, /--ignorefile \.trivyignore/);
        assert.match(command, /--exit-code 1/);
        if (!command.includes('trivy config')) assert.match(command, /--ignore-unfixed/);
      }
      assert.equal(gate['continue-on-error'], undefined, 'the gate must not be softened');
      assert.equal(gate.if, undefined, 'the gate must always run');
      const uploads = steps.filter((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
      assert.ok(uploads.length > 0);
      for (const upload of uploads) assert.match(String(upload.if), /always\(\)/);
    });
  }

  test('scan-repo reads Kubernetes from the rendered kustomizations, the rest from the repository', () => {
    const steps = ciCd.jobs['scan-repo']?.steps ?? [];
    const render = steps.find((s) => /kubectl kustomize/.test(s.run ?? ''));
    for (const dir of [
      'overlays/dev',
      'overlays/stage',
      'overlays/prod',
      'monitoring',
      'cluster',
      'access',
    ])
      assert.ok(render?.run?.includes(dir), `${dir} is not rendered`);
    const text = steps.map((s) => s.run ?? '').join('\n');
    assert.match(
      text,
      /trivy fs --scanners vuln,misconfig,secret --misconfig-scanners dockerfile,terraform/,
    );
    assert.match(text, /trivy config --misconfig-scanners kubernetes/);
  });
});

describe('quality job and repository files', () => {
  test('quality runs npm ci, lint, format, types, workflow lint and the full suite', () => {
    const runs = (id: string) => (ciCd.jobs[id]?.steps ?? []).map((step) => step.run ?? '');
    const quality = runs('quality').join('\n');
    for (const command of [
      'npm ci',
      'eslint',
      'prettier --check',
      'tsc -p tsconfig.json --noEmit',
      'test/pipeline/actionlint.test.ts test/pipeline/run-blocks.test.ts',
      'make test',
    ])
      assert.ok(quality.includes(command), `quality does not run ${command}`);
    const tofu = runs('opentofu').join('\n');
    for (const command of ['fmt -check -recursive', 'init -backend=false', 'validate', 'test'])
      assert.ok(
        tofu.includes(`tofu -chdir=opentofu ${command}`),
        `opentofu does not run ${command}`,
      );
  });

  test('Dependabot watches npm, the Docker base image and the actions', () => {
    const config = parse(readFileSync(repoPath('.github/dependabot.yml'), 'utf8')) as {
      version: number;
      updates: { 'package-ecosystem': string; directory: string }[];
    };
    assert.equal(config.version, 2);
    const ecosystems = config.updates.map((update) => update['package-ecosystem']).sort();
    assert.deepEqual(ecosystems, ['docker', 'github-actions', 'npm']);
  });
});
