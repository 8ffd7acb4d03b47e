// The CI/CD workflow read as data: which branch deploys where, what every deploy waits for,
// who may write what, how actions and images are pinned, and that the Trivy gate can fail.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { repoPath } from '../helpers/paths.js';
import {
  evaluate,
  jobsThatRun,
  loadWorkflow,
  runContext,
  transitiveNeeds,
  workflowFiles,
  type Job,
  type Step,
} from '../helpers/pipeline-workflows.js';

const ciCd = loadWorkflow('ci-cd.yaml');
const deploy = loadWorkflow('deploy.yaml');
const DEPLOY_JOBS = { dev: 'deploy-dev', stage: 'deploy-stage', prod: 'deploy-prod' } as const;
const ALL_DEPLOY_JOBS: string[] = Object.values(DEPLOY_JOBS);
const deployJobsFor = (event: string, ref: string, input = '') =>
  jobsThatRun(ciCd, runContext(event, ref, input)).filter((id) => ALL_DEPLOY_JOBS.includes(id));

function allSteps(): { file: string; job: string; step: Step }[] {
  return workflowFiles().flatMap((file) => {
    const workflow = loadWorkflow(basename(file));
    return Object.entries(workflow.jobs).flatMap(([job, body]) =>
      (body.steps ?? []).map((step) => ({ file: basename(file), job, step })),
    );
  });
}

describe('triggers and the branch -> environment mapping', () => {
  test('runs on pushes to dev, stage and main, on pull requests and by hand', () => {
    const push = ciCd.on.push as { branches: string[] };
    assert.deepEqual([...push.branches].sort(), ['dev', 'main', 'stage']);
    assert.ok('pull_request' in ciCd.on, 'no pull_request trigger');
    const dispatch = ciCd.on.workflow_dispatch as {
      inputs: { environment: { type: string; options: string[] } };
    };
    assert.equal(dispatch.inputs.environment.type, 'choice');
    assert.deepEqual(dispatch.inputs.environment.options, ['dev', 'stage', 'prod']);
  });

  test('a push deploys its branch to exactly one environment: dev->dev, stage->stage, main->prod', () => {
    assert.deepEqual(deployJobsFor('push', 'refs/heads/dev'), ['deploy-dev']);
    assert.deepEqual(deployJobsFor('push', 'refs/heads/stage'), ['deploy-stage']);
    assert.deepEqual(deployJobsFor('push', 'refs/heads/main'), ['deploy-prod']);
    assert.deepEqual(deployJobsFor('push', 'refs/heads/feature/x'), []);
  });

  test('a pull request never pushes, signs, runs e2e or deploys', () => {
    const jobs = jobsThatRun(ciCd, runContext('pull_request', 'refs/pull/7/merge'));
    assert.deepEqual(jobs.sort(), ['build', 'opentofu', 'quality', 'scan-repo']);
    const push = ciCd.jobs.build?.steps?.find((step) => step.id === 'build')?.with?.push;
    assert.equal(push, "${{ github.event_name != 'pull_request' }}");
  });

  test('a manual run deploys the chosen environment; stage and prod only from their branch', () => {
    assert.deepEqual(deployJobsFor('workflow_dispatch', 'refs/heads/feature/x', 'dev'), [
      'deploy-dev',
    ]);
    assert.deepEqual(deployJobsFor('workflow_dispatch', 'refs/heads/stage', 'stage'), [
      'deploy-stage',
    ]);
    assert.deepEqual(deployJobsFor('workflow_dispatch', 'refs/heads/main', 'prod'), [
      'deploy-prod',
    ]);
    assert.deepEqual(deployJobsFor('workflow_dispatch', 'refs/heads/dev', 'stage'), []);
    assert.deepEqual(deployJobsFor('workflow_dispatch', 'refs/heads/stage', 'prod'), []);
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
  const gates = ['quality', 'opentofu', 'build', 'scan-image', 'scan-repo', 'sign', 'e2e'];

  test('the image is built only after the quality jobs pass', () => {
    const needs = transitiveNeeds(ciCd, 'build');
    assert.ok(needs.has('quality') && needs.has('opentofu'), [...needs].join(','));
  });

  test('scan, sign and e2e work on the built image', () => {
    for (const job of ['scan-image', 'sign', 'e2e'])
      assert.ok(transitiveNeeds(ciCd, job).has('build'), `${job} must need build`);
    assert.ok(transitiveNeeds(ciCd, 'sign').has('scan-image'), 'only a scanned image is signed');
  });

  for (const [environment, jobId] of Object.entries(DEPLOY_JOBS)) {
    test(`${jobId} waits for quality, build, both scans, signing and e2e`, () => {
      const needs = transitiveNeeds(ciCd, jobId);
      for (const gate of gates) assert.ok(needs.has(gate), `${jobId} does not need ${gate}`);
    });

    test(`${jobId} deploys into the "${environment}" GitHub environment through deploy.yaml`, () => {
      const job = ciCd.jobs[jobId] as Job;
      assert.equal(job.uses, './.github/workflows/deploy.yaml');
      assert.equal(job.with?.environment, environment);
      assert.equal(job.secrets, 'inherit');
    });
  }

  test('deploy.yaml: the job runs in the environment it was given, one deploy at a time, never cancelled', () => {
    const jobs = Object.values(deploy.jobs);
    assert.equal(jobs.length, 1);
    const job = jobs[0] as Job;
    const environment = job.environment as { name: string };
    assert.equal(environment.name, '${{ inputs.environment }}');
    assert.equal(job.concurrency?.group, 'deploy-${{ inputs.environment }}');
    assert.equal(job.concurrency['cancel-in-progress'], false);
    const call = deploy.on.workflow_call as { inputs: Record<string, { required: boolean }> };
    for (const input of ['environment', 'image', 'commit'])
      assert.equal(call.inputs[input]?.required, true, `input ${input} must be required`);
  });

  test('deploy.yaml verifies the signature, then runs the project deploy script (no inline kubectl)', () => {
    const steps = (Object.values(deploy.jobs)[0] as Job).steps ?? [];
    const index = (pattern: RegExp) => steps.findIndex((step) => pattern.test(step.run ?? ''));
    const verify = index(/cosign verify "\$IMAGE_REF"/);
    const run = index(/scripts\/deploy\/deploy\.ts --env "\$ENVIRONMENT" --image "\$IMAGE_REF"/);
    assert.ok(verify >= 0 && run > verify, 'cosign verify must come before the deploy');
    for (const step of steps) assert.doesNotMatch(step.run ?? '', /kubectl (apply|set|rollout)/);
  });
});

describe('least privilege', () => {
  const writeAllowed: Record<string, string[]> = {
    'scan-repo': ['security-events'],
    'scan-image': ['security-events'],
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
});

describe('pinning and injection', () => {
  test('every third-party action is pinned to a 40-hex commit SHA with its version in a comment', () => {
    const uses: string[] = [];
    for (const file of workflowFiles()) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const match = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!match?.[1] || match[1].startsWith('./')) continue;
        uses.push(match[1]);
        assert.match(match[1], /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `not SHA-pinned: ${line}`);
        assert.match(match[2] ?? '', /#\s*v\d+\.\d+\.\d+\s*$/, `no "# vX.Y.Z" comment: ${line}`);
      }
    }
    assert.ok(uses.length >= 10, `only ${uses.length} actions found; is the parser right?`);
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

  test('after the build, every job receives the image by digest (repository@sha256)', () => {
    const build = ciCd.jobs.build as Job;
    assert.equal(build.outputs?.image, '${{ env.IMAGE }}@${{ steps.build.outputs.digest }}');
    const byDigest = '${{ needs.build.outputs.image }}';
    for (const id of ['scan-image', 'e2e']) assert.equal(ciCd.jobs[id]?.env?.IMAGE_REF, byDigest);
    const sign = ciCd.jobs.sign?.steps?.find((step) => step.run?.includes('cosign sign'));
    assert.equal(sign?.env?.IMAGE_REF, byDigest);
    for (const id of ALL_DEPLOY_JOBS) assert.equal(ciCd.jobs[id]?.with?.image, byDigest);
  });

  test('builds multi-arch with layer cache, SBOM and provenance, tagged with the git SHA', () => {
    const step = ciCd.jobs.build?.steps?.find((s) => s.id === 'build');
    assert.match(String(step?.uses), /^docker\/build-push-action@/);
    const inputs = step?.with ?? {};
    assert.match(String(inputs.platforms), /linux\/amd64,linux\/arm64/);
    assert.equal(inputs['cache-from'], 'type=gha');
    assert.equal(inputs['cache-to'], 'type=gha,mode=max');
    assert.equal(inputs.sbom, true);
    assert.equal(inputs.provenance, 'mode=max');
    assert.match(String(inputs['build-args']), /GIT_COMMIT=\$\{\{ github\.sha \}\}/);
  });
});

describe('the Trivy gate', () => {
  for (const jobId of ['scan-image', 'scan-repo']) {
    test(`${jobId}: a fixable CRITICAL or HIGH finding fails the job`, () => {
      const steps = ciCd.jobs[jobId]?.steps ?? [];
      const trivy = steps.filter((step) => step.uses?.startsWith('aquasecurity/trivy-action@'));
      const gates = trivy.filter((step) => String(step.with?.['exit-code']) === '1');
      assert.equal(gates.length, 1, 'exactly one Trivy step must fail the job');
      const gate = gates[0] as Step;
      const inputs = gate.with ?? {};
      const severities = String(inputs.severity).split(',');
      assert.ok(
        severities.includes('CRITICAL') && severities.includes('HIGH'),
        `gate severities: ${severities.join(',')}`,
      );
      assert.equal(inputs['ignore-unfixed'], true);
      assert.equal(inputs.trivyignores, '.trivyignore');
      assert.equal(inputs.version, '${{ env.TRIVY_VERSION }}');
      assert.equal(gate['continue-on-error'], undefined, 'the gate must not be softened');
      assert.equal(gate.if, undefined, 'the gate must always run');
      // The SARIF report is uploaded even when the gate fails.
      const upload = steps.find((step) =>
        step.uses?.startsWith('github/codeql-action/upload-sarif@'),
      );
      assert.match(String(upload?.if), /always\(\)/);
    });
  }

  test('the Trivy binary version is pinned to an exact release', () => {
    assert.match(String(ciCd.env?.TRIVY_VERSION), /^v\d+\.\d+\.\d+$/);
  });
});

describe('quality job and repository files', () => {
  test('installs every system package that .ci/run installs, so make test cannot skip a check', () => {
    const ciRun = readFileSync(repoPath('.ci/run'), 'utf8');
    const wanted = /apt-get install[^\n]*\\\n([^\n]+)/.exec(ciRun)?.[1]?.trim().split(/\s+/) ?? [];
    assert.ok(wanted.length > 3, 'cannot read the package list in .ci/run');
    const install = ciCd.jobs.quality?.steps?.find((step) =>
      /apt-get install/.test(step.run ?? ''),
    );
    const have = new Set((install?.run ?? '').split(/\s+/));
    // Ubuntu's chromium is a snap stub: the preinstalled Chrome is linked in under that name.
    const substitutes: Record<string, RegExp> = {
      chromium: /ln -sf "\$\(command -v google-chrome\)" \/usr\/local\/bin\/chromium/,
    };
    for (const name of wanted) {
      const substitute = substitutes[name];
      if (substitute) assert.match(install?.run ?? '', substitute, `no stand-in for ${name}`);
      else assert.ok(have.has(name), `quality job does not install ${name}`);
    }
    assert.equal(ciCd.jobs.quality?.env?.CI, 'true');
  });

  test('quality runs npm ci, lint, format, types, the full suite and the OpenTofu checks', () => {
    const runs = (id: string) => (ciCd.jobs[id]?.steps ?? []).map((step) => step.run ?? '');
    const quality = runs('quality').join('\n');
    for (const command of [
      'npm ci',
      'eslint',
      'prettier --check',
      'tsc -p tsconfig.json --noEmit',
      'make test',
    ])
      assert.ok(quality.includes(command), `quality does not run ${command}`);
    const tofu = runs('opentofu').join('\n');
    for (const command of [
      'tofu fmt -check -recursive',
      'tofu init -backend=false',
      'tofu validate',
      'tofu test',
    ])
      assert.ok(tofu.includes(command), `opentofu does not run ${command}`);
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

test('the e2e kind cluster publishes the dev NodePort the smoke test calls', () => {
  const config = parse(readFileSync(repoPath('.github/kind-config.yaml'), 'utf8')) as {
    nodes: { extraPortMappings?: { containerPort: number; hostPort: number }[] }[];
  };
  const mappings = config.nodes.flatMap((node) => node.extraPortMappings ?? []);
  assert.ok(
    mappings.some((m) => m.containerPort === 30080 && m.hostPort === 30080),
    JSON.stringify(mappings),
  );
  const deployStep = ciCd.jobs.e2e?.steps?.find((step) => step.run?.includes('deploy.ts'));
  assert.match(deployStep?.run ?? '', /--env dev .*--url http:\/\/127\.0\.0\.1:30080/s);
  const kind = ciCd.jobs.e2e?.steps?.find((step) => step.uses?.startsWith('helm/kind-action@'));
  assert.match(String(kind?.with?.node_image), /^kindest\/node:v1\.30\.\d+@sha256:[0-9a-f]{64}$/);
});
