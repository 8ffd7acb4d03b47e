// Offline schema check of opentofu/: every resource, data source, provider block, argument and
// nested block against the exact google and random provider versions versions.tf pins, from the
// @cdktf/provider-* packages generated from those versions (test/helpers/infra-provider-schema.ts).
// `tofu validate` does the same with downloaded providers in CI; this runs on any machine. The
// negative cases edit a scratch copy of the module and must each be caught.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfiguration, first, TOFU_DIR } from '../helpers/infra-hcl.js';
import { loadProviderSchema, providerSchemaProblems } from '../helpers/infra-provider-schema.js';

test('opentofu/ matches the pinned providers: every resource, argument and block exists, required ones are set', async () => {
  assert.deepEqual(await providerSchemaProblems(TOFU_DIR), []);
});

test('each pinned provider has the schema package generated from exactly that version', async () => {
  const config = await loadConfiguration();
  const providers = first(config.terraform[0]?.required_providers);
  assert.deepEqual(Object.keys(providers).sort(), ['google', 'random']);
  for (const [name, spec] of Object.entries(providers)) {
    const { version } = spec as { version: string };
    const schema = loadProviderSchema(name, version);
    assert.equal(schema.version, version);
    assert.ok(Object.keys(schema.resources).length > 0, `${name}: no resources`);
  }
  // Resources this project may need next are in the schema too (the check is not a list of
  // what is used today): the CI identity's Workload Identity Federation and IAP bindings.
  const google = loadProviderSchema('google', (providers.google as { version: string }).version);
  for (const type of [
    'google_iam_workload_identity_pool',
    'google_iam_workload_identity_pool_provider',
    'google_iap_tunnel_instance_iam_member',
    'google_service_account_iam_member',
  ])
    assert.ok(google.resources[type], `google has no ${type}`);
  const instance = google.resources.google_compute_instance ?? {};
  assert.equal(instance.machine_type?.required, true);
  assert.ok(instance.boot_disk?.block, 'boot_disk is a block');
});

describe('the check fails on a broken copy of the module', { concurrency: true }, () => {
  /** The problems of a scratch copy of opentofu/ after one edit of one file. */
  async function problemsAfter(file: string, from: string, to: string): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'provider-schema-'));
    try {
      cpSync(TOFU_DIR, dir, { recursive: true });
      const text = readFileSync(join(dir, file), 'utf8');
      assert.ok(text.includes(from), `${file} no longer contains ${JSON.stringify(from)}`);
      writeFileSync(join(dir, file), text.replace(from, to));
      return await providerSchemaProblems(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('a misspelt argument', async () => {
    assert.deepEqual(
      await problemsAfter(
        'compute.tf',
        '  machine_type = var.machine_type',
        '  machin_type = var.machine_type',
      ),
      [
        'compute.tf: google_compute_instance.control_plane: unknown argument "machin_type"',
        'compute.tf: google_compute_instance.control_plane: missing required argument "machine_type"',
      ],
    );
  });

  test('a misspelt argument in a nested block', async () => {
    assert.deepEqual(
      await problemsAfter(
        'compute.tf',
        '      size  = var.boot_disk_size_gb',
        '      sise  = var.boot_disk_size_gb',
      ),
      [
        'compute.tf: google_compute_instance.control_plane.boot_disk.initialize_params: unknown argument "sise"',
      ],
    );
  });

  test('a missing required argument', async () => {
    const problems = await problemsAfter(
      'firewall.tf',
      '  network     = google_compute_network.cluster.name\n  direction   = "INGRESS"\n  source_tags = [local.tags.node]\n  target_tags = [local.tags.control_plane]',
      '  direction   = "INGRESS"\n  source_tags = [local.tags.node]\n  target_tags = [local.tags.control_plane]',
    );
    assert.deepEqual(problems, [
      'firewall.tf: google_compute_firewall.node_to_api_server: missing required argument "network"',
    ]);
  });

  test('a block written as an argument: an object, and a list of objects', async () => {
    assert.deepEqual(
      await problemsAfter(
        'compute.tf',
        '  shielded_instance_config {',
        '  shielded_instance_config = {',
      ),
      [
        'compute.tf: google_compute_instance.control_plane: "shielded_instance_config" is a block, written as an argument (shielded_instance_config = ...); write shielded_instance_config { ... }',
      ],
    );
    assert.deepEqual(
      await problemsAfter(
        'firewall.tf',
        '  allow {\n    protocol = "icmp"\n  }',
        '  allow = [{ protocol = "icmp" }]',
      ),
      [
        'firewall.tf: google_compute_firewall.node_icmp: "allow" is a block, written as an argument (allow = ...); write allow { ... }',
      ],
    );
  });

  test('an argument written as a block', async () => {
    assert.deepEqual(
      await problemsAfter(
        'iam.tf',
        '  member  = "serviceAccount:${google_service_account.node.email}"\n}',
        '  member  = "serviceAccount:${google_service_account.node.email}"\n  role_id { }\n}',
      ),
      ['iam.tf: google_project_iam_member.node: unknown block "role_id"'],
    );
  });

  test('an unknown resource type', async () => {
    assert.deepEqual(
      await problemsAfter(
        'network.tf',
        'resource "google_compute_network" "cluster"',
        'resource "google_compute_netwerk" "cluster"',
      ),
      [
        'network.tf: google_compute_netwerk.cluster: hashicorp/google 6.49.3 has no resource "google_compute_netwerk"',
      ],
    );
  });

  test('a provider version no schema package was installed for', async () => {
    const problems = await problemsAfter('versions.tf', 'version = "6.49.3"', 'version = "6.50.0"');
    assert.ok(problems.length > 0);
    for (const problem of problems)
      assert.match(
        problem,
        /no provider schema package for hashicorp\/google 6\.50\.0; install its schema: npm i -D --save-exact provider-google-6\.50\.0@npm:@cdktf\/provider-google@/,
      );
  });

  test('a provider no version pins, such as google-beta', async () => {
    const problems = await problemsAfter(
      'iam.tf',
      '  account_id   = "${var.name_prefix}-node"',
      '  provider     = google-beta\n  account_id   = "${var.name_prefix}-node"',
    );
    assert.deepEqual(problems, [
      'iam.tf: google_service_account.node: provider "google-beta" is not pinned in terraform.required_providers',
    ]);
  });
});
