// Secrets stay out of job outputs and environments. GitHub drops any job output whose value
// contains a secret ("Skip output 'x' since it may contain secret": outputs containing secrets
// are redacted on the runner and not sent to GitHub Actions, docs.github.com, "Passing
// information between jobs"), and masks the secret's text wherever it appears in logs, so a
// value built from one (an image name with a username in it) silently empties every later job.
// And an `env:` hands the secret to every process of the step or job, install scripts included.
// So: secrets reach only `with:` inputs of SHA-pinned actions, nothing else.
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadWorkflow, workflowFiles, type Workflow } from '../helpers/pipeline-workflows.js';

// secrets.X, secrets['X'] and github.token are all secret values.
const SECRET = /\$\{\{[^}]*\b(secrets\s*(\.|\[)|github\.token\b)/;

/** Every place a workflow puts a secret where it does not belong, one line each. */
function secretLeaks(file: string, workflow: Workflow): string[] {
  const leaks: string[] = [];
  const check = (where: string, values: Record<string, unknown> | undefined) => {
    for (const [key, value] of Object.entries(values ?? {}))
      if (SECRET.test(String(value))) leaks.push(`${file} ${where}.${key}: ${String(value)}`);
  };
  check('env', workflow.env);
  for (const [id, job] of Object.entries(workflow.jobs)) {
    check(`${id}.outputs`, job.outputs);
    check(`${id}.env`, job.env);
    if (job.secrets !== undefined) leaks.push(`${file} ${id}.secrets: passes secrets on`);
    if (SECRET.test(JSON.stringify(job.with ?? {}))) leaks.push(`${file} ${id}.with: a secret`);
    for (const [index, step] of (job.steps ?? []).entries()) {
      const name = `${id}.steps[${step.id ?? step.name ?? index}]`;
      check(`${name}.env`, step.env);
      if (SECRET.test(step.run ?? '')) leaks.push(`${file} ${name}.run: a secret in the script`);
      if (step.with !== undefined && SECRET.test(JSON.stringify(step.with)) && !step.uses)
        leaks.push(`${file} ${name}.with: a secret without an action`);
    }
  }
  return leaks;
}

describe('secrets', () => {
  test('the check finds a secret in an output, a job env, a step env and a secrets: pass-on', () => {
    const bad = parse(`
jobs:
  build:
    outputs:
      image: docker.io/\${{ secrets.DOCKERHUB_USERNAME }}/app@\${{ steps.b.outputs.digest }}
    env:
      TOKEN: \${{ secrets['DOCKERHUB_TOKEN'] }}
    steps:
      - env:
          GH: \${{ github.token }}
        run: echo
  deploy:
    uses: ./.github/workflows/deploy.yaml
    secrets: inherit
`) as Workflow;
    assert.deepEqual(
      secretLeaks('bad.yaml', bad).map((line) => line.split(':')[0]),
      [
        'bad.yaml build.outputs.image',
        'bad.yaml build.env.TOKEN',
        'bad.yaml build.steps[0].env.GH',
        'bad.yaml deploy.secrets',
      ],
    );
  });

  for (const file of workflowFiles().map((path) => basename(path))) {
    test(`${file}: no job output, env, script or reusable-workflow call carries a secret`, () => {
      assert.deepEqual(secretLeaks(file, loadWorkflow(file)), []);
    });
  }

  test('the only secret is the Docker Hub token, and it goes only to docker/login-action', () => {
    const uses: string[] = [];
    for (const file of workflowFiles().map((path) => basename(path))) {
      for (const job of Object.values(loadWorkflow(file).jobs))
        for (const step of job.steps ?? [])
          if (SECRET.test(JSON.stringify(step.with ?? {}))) {
            uses.push(String(step.uses).split('@')[0] ?? '');
            assert.deepEqual(step.with, {
              username: '${{ vars.DOCKERHUB_USERNAME }}',
              password: '${{ secrets.DOCKERHUB_TOKEN }}',
            });
          }
    }
    assert.ok(uses.length >= 3, `login steps found: ${uses.length}`);
    assert.deepEqual([...new Set(uses)], ['docker/login-action']);
  });
});
