// The CI identity (opentofu/ci-identity*.tf) against the pipeline that uses it: the environments
// are the workflow's deploy environments and the overlays, each service account trusts exactly
// its environment's OIDC subject and reaches only the control plane's API server and its own
// NodePort, and the variables tofu prints are exactly the ones deploy.yaml reads. The names and
// the pool's attribute condition are evaluated for real with OpenTofu's (or Terraform's) console.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ENVIRONMENTS } from '../../scripts/lib/environments.js';
import {
  consoleEval,
  consoleString,
  iacTool,
  loadConfiguration,
  resource,
  TOFU_DIR,
  type Configuration,
} from '../helpers/infra-hcl.js';
import { repoPath } from '../helpers/paths.js';
import { loadWorkflow } from '../helpers/pipeline-workflows.js';
import { renderedNodePorts } from '../helpers/k8s-manifests.js';

const deployYaml = loadWorkflow('deploy.yaml');
const ciCd = loadWorkflow('ci-cd.yaml');
const deployEnvironments = Object.values(ciCd.jobs)
  .filter((job) => job.uses === './.github/workflows/deploy.yaml')
  .map((job) => String(job.with?.environment))
  .sort();

/** Evaluates `expression` over variables.tf, nodes.tf and ci-identity-names.tf with these -vars. */
async function evaluate(
  tool: string,
  expression: string,
  vars: Record<string, string>,
): Promise<string> {
  const result = await consoleEval(
    tool,
    ['variables.tf', 'nodes.tf', 'ci-identity-names.tf'],
    expression,
    { project_id: 'hello-test-project', ...vars },
  );
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

describe('the CI identity', () => {
  let config: Configuration;
  before(async () => {
    config = await loadConfiguration();
  });

  test("serves exactly the workflow deploy environments, which are the overlays and the scripts' environments", () => {
    const text = readFileSync(join(TOFU_DIR, 'ci-identity-names.tf'), 'utf8');
    const declared = [...text.matchAll(/^ {4}(\w+) += \{ branch = /gm)].map((m) => m[1]).sort();
    assert.deepEqual(declared, deployEnvironments);
    assert.deepEqual([...ENVIRONMENTS].sort(), deployEnvironments);
    const overlays = readdirSync(repoPath('k8s/overlays')).sort();
    assert.deepEqual(overlays, deployEnvironments);
  });

  test("the pool provider trusts GitHub's issuer, maps the subject and has an attribute condition", () => {
    const provider = resource(config, 'google_iam_workload_identity_pool_provider', 'github');
    const oidc = (provider.oidc as Record<string, unknown>[])[0] ?? {};
    assert.equal(oidc.issuer_uri, '${local.github_oidc.issuer}');
    assert.equal(oidc.allowed_audiences, undefined, 'the default audience: the provider itself');
    const mapping = provider.attribute_mapping as Record<string, string>;
    assert.equal(mapping['google.subject'], 'assertion.sub');
    // The bindings read these two, never sub, whose format differs between repositories.
    assert.equal(mapping['attribute.environment'], 'assertion.environment');
    assert.equal(mapping['attribute.repository'], 'assertion.repository');
    assert.equal(provider.attribute_condition, '${local.ci_attribute_condition}');
  });

  test("each service account trusts only its environment's jobs and reaches only its own ports on the control plane", () => {
    const user = resource(config, 'google_service_account_iam_member', 'ci_workload_identity_user');
    assert.equal(user.role, 'roles/iam.workloadIdentityUser');
    assert.equal(
      user.member,
      'principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.environment/${each.key}',
    );
    const tunnel = resource(config, 'google_iap_tunnel_instance_iam_member', 'ci_tunnel');
    assert.equal(tunnel.role, 'roles/iap.tunnelResourceAccessor');
    assert.equal(tunnel.instance, '${google_compute_instance.control_plane.name}');
    const condition = (tunnel.condition as Record<string, unknown>[])[0] ?? {};
    assert.equal(
      condition.expression,
      'destination.port == ${local.api_server_port} || destination.port == ${each.value.node_port}',
    );
    const read = resource(config, 'google_compute_instance_iam_member', 'ci_read_ca');
    assert.equal(read.role, '${google_project_iam_custom_role.guest_attributes_reader.id}');
    for (const binding of [tunnel, read]) {
      const lifecycle = (binding.lifecycle as Record<string, unknown>[])[0] ?? {};
      assert.deepEqual(lifecycle.replace_triggered_by, [
        '${google_compute_instance.control_plane.instance_id}',
      ]);
    }
    // No project-wide grant to a CI account.
    for (const [name, body] of config.resources.get('google_project_iam_member') ?? [])
      assert.doesNotMatch(String(body.member), /google_service_account\.ci\b/, name);
  });

  test('the firewall lets IAP reach the control plane on the API server and NodePorts only', async (t) => {
    const rule = resource(config, 'google_compute_firewall', 'iap_to_ci_tunnels');
    assert.equal(rule.source_ranges, '${var.ci_tunnel_cidrs}');
    assert.deepEqual(config.variables.get('ci_tunnel_cidrs')?.default, ['35.235.240.0/20']);
    assert.deepEqual(rule.target_tags, ['${local.tags.control_plane}']);
    const allow = (rule.allow as Record<string, unknown>[])[0] ?? {};
    assert.equal(allow.protocol, 'tcp');
    const tool = iacTool(t);
    if (!tool) return;
    const ports = consoleString(
      await evaluate(
        tool,
        'join(",", concat([tostring(local.api_server_port)], [for s in values(local.ci_environments) : tostring(s.node_port)]))',
        { github_repository: 'acme/hello-api' },
      ),
    );
    const nodePorts = await renderedNodePorts(t);
    if (!nodePorts) return;
    const expected = [config.locals.api_server_port, ...Object.values(nodePorts)].map(String);
    assert.deepEqual(ports.split(',').sort(), expected.sort());
    assert.match(
      String(allow.ports),
      /local\.api_server_port.*local\.ci_environments.*settings\.node_port/s,
    );
  });

  test('the variables tofu prints are exactly the environment variables deploy.yaml reads', () => {
    const text = readFileSync(join(TOFU_DIR, 'ci-identity.tf'), 'utf8');
    const block =
      /github_environment_variables = \{[\s\S]*?=> \{([\s\S]*?)\n {4}\}/.exec(text)?.[1] ?? '';
    const printed = [...block.matchAll(/^\s+([A-Z][A-Z0-9_]+)\s+=/gm)].map((m) => m[1]).sort();
    const read = [
      ...new Set(
        [
          ...readFileSync(repoPath('.github/workflows/deploy.yaml'), 'utf8').matchAll(
            /\bvars\.([A-Z][A-Z0-9_]*)/g,
          ),
        ].map((m) => m[1]),
      ),
    ]
      .filter((name) => !name?.startsWith('DOCKERHUB_')) // repository variables, not tofu's
      .sort();
    assert.ok(printed.length >= 6, `parsed ${printed.length} variables`);
    assert.deepEqual(printed, read);
    assert.ok(deployYaml.jobs.deploy, 'deploy.yaml has its deploy job');
  });

  test('account IDs and the attribute condition evaluate as the workflow and the API server expect', async (t) => {
    const tool = iacTool(t);
    if (!tool) return;
    const vars = { github_repository: 'acme/hello-api', name_prefix: 'a-twenty-char-prefix' };
    const ids = JSON.parse(
      await evaluate(tool, 'jsonencode(local.ci_service_account_ids)', vars).then(consoleString),
    ) as Record<string, string>;
    for (const id of Object.values(ids))
      assert.match(id, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, `${id}: a valid account_id`);
    const condition = consoleString(await evaluate(tool, 'local.ci_attribute_condition', vars));
    assert.equal(
      condition,
      'assertion.repository == "acme/hello-api" && (assertion.environment != "prod" || assertion.ref == "refs/heads/main") && (assertion.environment != "stage" || assertion.ref == "refs/heads/stage")',
    );
    const pinned = consoleString(
      await evaluate(tool, 'local.ci_attribute_condition', {
        ...vars,
        github_repository_id: '123456789',
      }),
    );
    assert.match(
      pinned,
      /^assertion\.repository == "acme\/hello-api" && assertion\.repository_id == "123456789" && /,
    );
  });
});
