// The pipeline's deploy identities (k8s/access): each environment's deployer may apply exactly
// what its overlay renders and watch the rollout, in its own namespace, and nothing more; and it
// is bound to the user the API server makes of that environment's GitHub Actions OIDC token.
// That chain is checked end to end: the workflow's environments (read from .github/workflows),
// OpenTofu's local.github_oidc (evaluated by the real tool), the authentication configuration the
// control-plane bootstrap writes from it, the RoleBindings rendered for the repository it was
// given, and the username the configuration's CEL gives each environment's token.
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { kubectlAgainstFakeServer } from '../helpers/fake-api-server.js';
import { CONTROL_PLANE_ENV, Sandbox } from '../helpers/infra-bootstrap.js';
import { consoleEval, consoleString, iacTool } from '../helpers/infra-hcl.js';
import { authenticate, type JwtAuthenticator } from '../helpers/k8s-cel.js';
import {
  ENVIRONMENTS,
  findObject,
  kustomize,
  objectName,
  overlayDir,
  renderOrSkip,
  type K8sObject,
} from '../helpers/k8s-manifests.js';
import { schemaErrors } from '../helpers/k8s-schema.js';
import { repoPath } from '../helpers/paths.js';
import { loadWorkflow } from '../helpers/pipeline-workflows.js';
import { requireTool } from '../helpers/tools.js';
import { scaleToInitial } from '../../scripts/deploy/cluster.js';
import { APP, INITIAL_REPLICAS_ANNOTATION } from '../../scripts/deploy/render.js';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface Binding {
  subjects: { apiGroup?: string; kind: string; name: string; namespace?: string }[];
  roleRef: { kind: string; name: string };
}

/** API group and resource (plural) of each kind the overlays render. */
const RESOURCES: Record<string, { group: string; resource: string }> = {
  ConfigMap: { group: '', resource: 'configmaps' },
  Service: { group: '', resource: 'services' },
  ServiceAccount: { group: '', resource: 'serviceaccounts' },
  Deployment: { group: 'apps', resource: 'deployments' },
  PodDisruptionBudget: { group: 'policy', resource: 'poddisruptionbudgets' },
  NetworkPolicy: { group: 'networking.k8s.io', resource: 'networkpolicies' },
  HorizontalPodAutoscaler: { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
};

const FORBIDDEN_VERBS = ['*', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate'];

function find(objects: K8sObject[], kind: string, name: string, namespace: string): K8sObject {
  const found = objects.find(
    (o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace,
  );
  assert.ok(found, `k8s/access has no ${kind} ${namespace}/${name}`);
  return found;
}

/** Whether a rule grants `verb` on `resource` (on the object `name`, when given). */
function allows(
  rules: Rule[],
  group: string,
  resource: string,
  verb: string,
  name?: string,
): boolean {
  return rules.some(
    (rule) =>
      (rule.apiGroups ?? []).includes(group) &&
      (rule.resources ?? []).includes(resource) &&
      rule.verbs.includes(verb) &&
      (rule.resourceNames === undefined ||
        (name !== undefined && rule.resourceNames.includes(name))),
  );
}

const rulesOf = (access: K8sObject[], env: string) =>
  (find(access, 'Role', 'deployer', env) as unknown as { rules: Rule[] }).rules;

/** Whether the overlay's Deployment declares an initial size the deploy scales a fresh one to. */
async function declaresInitialSize(t: TestContext, env: (typeof ENVIRONMENTS)[number]) {
  const overlay = await renderOrSkip(t, overlayDir(env));
  if (!overlay) return undefined;
  const deployment = findObject(overlay, 'Deployment', APP, env);
  return deployment.metadata.annotations?.[INITIAL_REPLICAS_ANNOTATION] !== undefined;
}

test('k8s/access: every object is valid against the Kubernetes 1.30 schemas', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/access');
  if (!objects) return;
  const problems: string[] = [];
  for (const object of objects)
    for (const error of await schemaErrors(object))
      problems.push(`${objectName(object)}: ${error}`);
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('k8s/access: one Role and RoleBinding per environment, nothing cluster-wide, no ServiceAccount', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/access');
  if (!objects) return;
  assert.deepEqual(
    objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).sort(),
    ENVIRONMENTS.flatMap((env) => [`Role ${env}/deployer`, `RoleBinding ${env}/deployer`]).sort(),
  );
});

test('k8s/access: no wildcard, no Secrets, no Namespaces, no delete, escalate, bind or impersonate', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/access');
  if (!objects) return;
  for (const role of objects.filter((o) => o.kind === 'Role')) {
    for (const rule of (role as unknown as { rules: Rule[] }).rules) {
      const where = `${objectName(role)} rule ${JSON.stringify(rule)}`;
      assert.ok(
        !(rule.resources ?? []).includes('*') && !(rule.apiGroups ?? []).includes('*'),
        `${where}: wildcard`,
      );
      for (const resource of ['secrets', 'namespaces'])
        assert.ok(
          !(rule.resources ?? []).includes(resource),
          `${where}: ${resource} are out of reach`,
        );
      for (const verb of FORBIDDEN_VERBS)
        assert.ok(!rule.verbs.includes(verb), `${where}: verb ${verb}`);
    }
  }
});

for (const env of ENVIRONMENTS) {
  test(`${env}: the deployer can apply every object the overlay renders and watch the rollout`, async (t) => {
    const access = await renderOrSkip(t, 'k8s/access');
    const overlay = await renderOrSkip(t, overlayDir(env));
    if (!access || !overlay) return;
    const rules = (find(access, 'Role', 'deployer', env) as unknown as { rules: Rule[] }).rules;
    for (const object of overlay) {
      const mapping = RESOURCES[object.kind];
      assert.ok(
        mapping,
        `${env} ${objectName(object)}: kind not known to this test; add it to RESOURCES and the Role (never a Namespace: k8s/cluster owns them)`,
      );
      assert.equal(object.metadata.namespace, env, `${objectName(object)} lands in ${env}`);
      for (const verb of ['get', 'create', 'patch'])
        assert.ok(
          allows(rules, mapping.group, mapping.resource, verb),
          `${env} deployer cannot ${verb} ${objectName(object)}`,
        );
    }
    for (const [group, resource] of [
      ['apps', 'deployments'],
      ['apps', 'replicasets'],
      ['', 'pods'],
    ] as const)
      assert.ok(
        allows(rules, group, resource, 'watch'),
        `${env}: rollout status needs watch on ${resource}`,
      );
  });

  test(`${env}: the RoleBinding gives the Role to that environment's GitHub Actions user only`, async (t) => {
    const access = await renderOrSkip(t, 'k8s/access');
    if (!access) return;
    const binding = find(access, 'RoleBinding', 'deployer', env) as unknown as Binding;
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'deployer',
    });
    assert.equal(binding.subjects.length, 1);
    for (const subject of binding.subjects) {
      assert.equal(subject.kind, 'User');
      assert.match(subject.name, new RegExp(`^github:repo:[^:]+:environment:${env}$`));
    }
  });

  test(`${env}: the deployer may patch the Deployment's scale, and only that, exactly where the overlay declares an initial size`, async (t) => {
    const access = await renderOrSkip(t, 'k8s/access');
    const declares = await declaresInitialSize(t, env);
    if (!access || declares === undefined) return;
    const scaleRules = rulesOf(access, env).filter((rule) =>
      (rule.resources ?? []).includes('deployments/scale'),
    );
    if (!declares) {
      assert.deepEqual(scaleRules, [], `${env} sets its own replicas: no deployments/scale rule`);
      return;
    }
    assert.deepEqual(
      scaleRules.map((rule) => [rule.apiGroups, rule.resources, rule.resourceNames, rule.verbs]),
      [[['apps'], ['deployments/scale'], [APP], ['patch']]],
      `${env}: one rule, patch on the scale of deployment ${APP} only`,
    );
  });
}

test("the real kubectl's scale of a first deploy sends only requests the deployer of an overlay with an initial size may make", async (t) => {
  const kubectl = requireTool(t, 'kubectl', 'runs kubectl scale against a fake API server');
  const access = await renderOrSkip(t, 'k8s/access');
  if (!kubectl || !access) return;
  for (const env of ENVIRONMENTS) {
    const declares = await declaresInitialSize(t, env);
    // The exact command the deploy runs (scripts/deploy/cluster.ts), recorded, not retyped.
    let args: readonly string[] = [];
    scaleToInitial(
      (given) => {
        args = given;
        return { ok: true, stdout: '', stderr: '' };
      },
      env,
      3,
    );
    const { result, requests } = await kubectlAgainstFakeServer(
      t,
      kubectl,
      { namespace: env, name: APP, replicas: 1 },
      args,
    );
    assert.equal(result.code, 0, `${env}: kubectl ${args.join(' ')}: ${result.stderr}`);
    assert.ok(
      requests.some((r) => r.resource === 'deployments/scale'),
      `${env}: kubectl scale reaches the scale subresource: ${JSON.stringify(requests)}`,
    );
    const rules = rulesOf(access, env);
    for (const request of requests) {
      const allowed = allows(rules, request.group, request.resource, request.verb, request.name);
      const what = `${env} deployer: ${request.verb} ${request.resource} ${request.name ?? ''} in ${request.namespace}`;
      assert.equal(request.namespace, env, what);
      if (declares || request.resource !== 'deployments/scale')
        assert.ok(allowed, `${what} is refused`);
      else assert.ok(!allowed, `${what} is allowed, but ${env} sets its own replicas`);
    }
  }
});

/** The environments the workflow deploys to: ci-cd.yaml's calls of the deploy workflow. */
function workflowEnvironments(): string[] {
  const deploy = loadWorkflow('deploy.yaml');
  const job = Object.values(deploy.jobs).find((candidate) => candidate.environment !== undefined);
  const name = typeof job?.environment === 'string' ? job.environment : job?.environment?.name;
  assert.equal(
    name,
    '${{ inputs.environment }}',
    'deploy.yaml runs its job in the environment it is given',
  );
  const calls = Object.values(loadWorkflow('ci-cd.yaml').jobs).filter(
    (candidate) => candidate.uses === './.github/workflows/deploy.yaml',
  );
  const environments = calls.map((call) => String(call.with?.environment));
  assert.ok(environments.length > 0, 'ci-cd.yaml calls deploy.yaml for no environment');
  return environments;
}

/** A GitHub Actions token's claims (docs.github.com/en/actions/reference/security/oidc). */
function claims(
  oidc: Oidc,
  repository: string,
  environment: string,
  immutable = false,
): Record<string, unknown> {
  const [owner, name] = repository.split('/');
  const subjectRepository = immutable ? `${owner}@5544123/${name}@821093847` : repository;
  return {
    iss: oidc.issuer,
    aud: oidc.audience,
    sub: `repo:${subjectRepository}:environment:${environment}`,
    repository,
    repository_id: '821093847',
    repository_owner: owner,
    repository_owner_id: '5544123',
    environment,
    ref: 'refs/heads/main',
  };
}

interface Oidc {
  issuer: string;
  audience: string;
  username_prefix: string;
}

describe('the deploy identity chain, from the workflow to the RoleBinding', () => {
  const sandbox = new Sandbox();
  after(() => {
    sandbox.cleanup();
  });
  const repository = 'octo-org/hello-api';

  /** Runs the control-plane bootstrap with OpenTofu's values; its outputs, or undefined. */
  async function bootstrapped(t: TestContext, repositoryId = '') {
    const tool = iacTool(t);
    const kubectl = requireTool(t, 'kubectl', 'renders k8s/access');
    if (!tool || !kubectl || !requireTool(t, 'openssl', 'the bootstrap hashes the CA'))
      return undefined;
    const result = await consoleEval(
      tool,
      ['variables.tf', 'github-oidc.tf'],
      'jsonencode(local.github_oidc)',
      {
        project_id: 'hello-test-project',
        github_repository: repository,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const oidc = JSON.parse(consoleString(result.stdout)) as Oidc;
    cpSync(repoPath('k8s/access'), sandbox.access, { recursive: true });
    const run = await sandbox.run('control-plane.sh', {
      ...CONTROL_PLANE_ENV,
      GITHUB_REPOSITORY: repository,
      GITHUB_REPOSITORY_ID: repositoryId,
      OIDC_ISSUER_URL: oidc.issuer,
      OIDC_AUDIENCE: oidc.audience,
      OIDC_USERNAME_PREFIX: oidc.username_prefix,
    });
    assert.equal(run.code, 0, `${run.stdout}${run.stderr}`);
    const config = parse(sandbox.read('etc/kubernetes/authentication/config.yaml')) as {
      jwt: JwtAuthenticator[];
    };
    assert.equal(config.jwt.length, 1);
    const bindings = (await kustomize(kubectl, sandbox.access)).filter(
      (o) => o.kind === 'RoleBinding',
    );
    return { oidc, jwt: config.jwt[0] as JwtAuthenticator, bindings };
  }

  test("each workflow environment's token authenticates as exactly its RoleBinding's subject", async (t) => {
    const chain = await bootstrapped(t);
    if (!chain) return;
    const { oidc, jwt, bindings } = chain;
    assert.equal(jwt.issuer.url, 'https://token.actions.githubusercontent.com');
    assert.deepEqual(jwt.issuer.audiences, [oidc.audience]);
    const environments = workflowEnvironments();
    assert.deepEqual(
      [...environments].sort(),
      [...ENVIRONMENTS].sort(),
      'the workflow deploys to dev, stage and prod',
    );
    for (const environment of environments) {
      const binding = bindings.find(
        (o) => o.metadata.namespace === environment,
      ) as unknown as Binding;
      assert.ok(binding, `no RoleBinding in ${environment}`);
      const subject = binding.subjects[0]?.name;
      assert.equal(subject, `${oidc.username_prefix}repo:${repository}:environment:${environment}`);
      // GitHub's classic sub, and the immutable one new repositories get: the same user.
      for (const immutable of [false, true])
        assert.deepEqual(authenticate(jwt, claims(oidc, repository, environment, immutable)), {
          username: subject,
        });
    }
  });

  test("tokens of another repository, another audience or a job without environment don't authenticate", async (t) => {
    const chain = await bootstrapped(t);
    if (!chain) return;
    const { oidc, jwt } = chain;
    assert.match(
      JSON.stringify(authenticate(jwt, claims(oidc, 'octo-org/other-repo', 'prod'))),
      /not issued to a workflow of octo-org\/hello-api/,
    );
    assert.match(
      JSON.stringify(
        authenticate(jwt, {
          ...claims(oidc, repository, 'prod'),
          aud: 'https://github.com/octo-org',
        }),
      ),
      /audience/,
    );
    const withoutEnvironment = claims(oidc, repository, 'prod');
    delete withoutEnvironment.environment;
    assert.match(
      JSON.stringify(authenticate(jwt, withoutEnvironment)),
      /only jobs that run in a GitHub environment/,
    );
  });

  test('with github_repository_id set, a token whose repository ID differs is refused', async (t) => {
    const chain = await bootstrapped(t, '99');
    if (!chain) return;
    const { oidc, jwt } = chain;
    assert.match(
      JSON.stringify(authenticate(jwt, claims(oidc, repository, 'prod'))),
      /not issued to repository ID 99/,
    );
    assert.ok(
      'username' in authenticate(jwt, { ...claims(oidc, repository, 'prod'), repository_id: '99' }),
    );
  });

  test('the committed placeholder repository binds nobody GitHub could issue a token for', () => {
    const placeholder = readFileSync(repoPath('k8s/access/github-repository.env'), 'utf8');
    const value = /^GITHUB_REPOSITORY=(.*)$/m.exec(placeholder)?.[1] ?? '';
    const owner = value.split('/')[0] ?? '';
    assert.match(owner, /[^A-Za-z0-9-]/, 'GitHub owners are letters, digits and hyphens only');
    assert.ok(
      readFileSync(join(repoPath('opentofu/scripts'), 'control-plane.sh'), 'utf8').includes(
        'github-repository.env',
      ),
    );
  });
});
