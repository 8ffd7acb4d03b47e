// Structure of the OpenTofu configuration, read from every opentofu/*.tf file with hcl2json:
// files split by purpose, pinned versions, the GCS backend, typed and described variables,
// the network and firewall the issue asks for (and no unintended 0.0.0.0/0), the three nodes
// and their bootstrap, and sensitive outputs marked.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  consoleEval,
  consoleString,
  first,
  iacTool,
  loadConfiguration,
  resource,
  tfFiles,
  TOFU_DIR,
  type Block,
  type Configuration,
} from '../helpers/infra-hcl.js';
import { findObject, renderedNodePorts, renderOrSkip } from '../helpers/k8s-manifests.js';
import { markdownTables } from '../helpers/markdown-tables.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { run } from '../helpers/run.js';

let config: Configuration;
before(async () => {
  config = await loadConfiguration();
});

// JSON.stringify(undefined) returns undefined, whatever its declared type says.
const text = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value));
const firewall = (name: string): Block => resource(config, 'google_compute_firewall', name);
const allows = (rule: Block): { protocol: string; ports: string[] }[] =>
  (rule.allow as Block[]).map((allow) => ({
    protocol: allow.protocol as string,
    ports: (allow.ports as string[] | undefined) ?? [],
  }));

/** `${local.a.b}` and `${tostring(local.a.b)}` replaced by their values; undefined if any other. */
function resolveLocals(expression: string): string | undefined {
  const lookup = (path: string): unknown =>
    path
      .split('.')
      .reduce<unknown>(
        (node, key) => (node as Record<string, unknown> | undefined)?.[key],
        config.locals,
      );
  const reference = /\$\{(?:tostring\()?local\.([\w.]+)\)?\}/g;
  const values = [...expression.matchAll(reference)].map((match) => lookup(match[1] ?? ''));
  if (values.some((value) => typeof value !== 'number' && typeof value !== 'string'))
    return undefined;
  const resolved = expression.replace(reference, (_match, path: string) => String(lookup(path)));
  return resolved.includes('${') ? undefined : resolved;
}

describe('files and versions', () => {
  test('one file per purpose, each opening with a comment saying what it is for', () => {
    for (const file of [
      'versions.tf',
      'providers.tf',
      'variables.tf',
      'nodes.tf',
      'network.tf',
      'firewall.tf',
      'iam.tf',
      'compute.tf',
      'bootstrap.tf',
      'outputs.tf',
    ])
      assert.ok(tfFiles().includes(file), `opentofu/${file} is missing`);
    for (const file of tfFiles())
      assert.match(
        readFileSync(join(TOFU_DIR, file), 'utf8'),
        /^# \S/,
        `${file}: no leading comment`,
      );
  });

  test('required_version and every provider are pinned', () => {
    const terraform = config.terraform[0] ?? {};
    assert.match(String(terraform.required_version), /^>= 1\.\d+\.\d+, < 2\.0\.0$/);
    const providers = first(terraform.required_providers);
    assert.deepEqual(Object.keys(providers).sort(), ['google', 'random']);
    for (const [name, spec] of Object.entries(providers)) {
      const { source, version } = spec as { source: string; version: string };
      assert.equal(source, `hashicorp/${name}`);
      assert.match(version, /^\d+\.\d+\.\d+$/, `${name}: pin an exact version, not "${version}"`);
    }
  });

  test('state lives in GCS, configured by a partial backend file that git ignores', async () => {
    const backend = first(config.terraform[0]?.backend);
    assert.deepEqual(Object.keys(backend), ['gcs']);
    assert.deepEqual(first(backend.gcs), {}, 'bucket and prefix come from backend.hcl');
    const example = readFileSync(join(TOFU_DIR, 'backend.hcl.example'), 'utf8');
    assert.match(example, /^bucket\s*=/m);
    assert.match(example, /^prefix\s*=/m);
    for (const ignored of [
      'opentofu/backend.hcl',
      'opentofu/terraform.tfvars',
      'opentofu/.terraform/x',
      'opentofu/x.tfstate',
    ]) {
      const result = await run('git', ['check-ignore', '-q', ignored], { cwd: REPO_ROOT });
      assert.equal(result.code, 0, `${ignored} must be ignored by git`);
    }
  });

  test('terraform.tfvars.example sets every variable that has no default', () => {
    const example = readFileSync(join(TOFU_DIR, 'terraform.tfvars.example'), 'utf8');
    const required = [...config.variables].filter(([, body]) => !('default' in body));
    assert.ok(required.length > 0);
    for (const [name] of required) assert.match(example, new RegExp(`^${name}\\s*=`, 'm'));
  });
});

describe('variables', () => {
  test('every variable is typed and described', () => {
    for (const [name, body] of config.variables) {
      assert.match(String(body.type), /^\$\{.+\}$/, `variable ${name}: no type`);
      assert.ok(String(body.description).length > 10, `variable ${name}: no description`);
    }
  });

  test('the inputs the issue names are validated, CIDRs with cidrnetmask', () => {
    const validated = [
      'project_id',
      'worker_count',
      'subnet_cidr',
      'admin_cidrs',
      'ssh_cidrs',
      'service_cidrs',
      'kubernetes_minor',
      'machine_type',
      'image',
      'boot_disk_size_gb',
      'github_repository',
      'github_repository_id',
    ];
    for (const name of validated) {
      const validation = first(config.variables.get(name)?.validation);
      assert.ok(validation.condition, `variable ${name}: no validation block`);
      assert.match(
        String(validation.error_message),
        new RegExp(`^${name}: `),
        `${name}: message must name it`,
      );
    }
    for (const name of ['subnet_cidr', 'admin_cidrs', 'ssh_cidrs', 'service_cidrs'])
      assert.match(text(first(config.variables.get(name)?.validation).condition), /cidrnetmask\(/);
  });

  test('no default opens anything to the whole internet', () => {
    assert.deepEqual(config.variables.get('admin_cidrs')?.default, []);
    assert.deepEqual(config.variables.get('service_cidrs')?.default, []);
    assert.deepEqual(config.variables.get('ssh_cidrs')?.default, ['35.235.240.0/20']);
    assert.equal(config.variables.get('allow_world_access')?.default, false);
    for (const [name, body] of config.variables)
      assert.ok(
        !text(body.default).includes('0.0.0.0/0'),
        `variable ${name} defaults to 0.0.0.0/0`,
      );
  });

  test('the documented defaults: 10.160.0.0/20, two e2-medium workers, Kubernetes 1.30, Canal pinned', () => {
    assert.equal(config.variables.get('subnet_cidr')?.default, '10.160.0.0/20');
    assert.equal(config.variables.get('worker_count')?.default, 2);
    assert.equal(config.variables.get('machine_type')?.default, 'e2-medium');
    assert.equal(config.variables.get('kubernetes_minor')?.default, '1.30');
    const canal = config.locals.canal as { version: string; manifest_sha256: string };
    assert.match(canal.version, /^v\d+\.\d+\.\d+$/);
    assert.match(canal.manifest_sha256, /^[0-9a-f]{64}$/);
  });
});

describe('network and firewall', () => {
  test('a custom VPC without auto subnets and one subnet on var.subnet_cidr', () => {
    const network = resource(config, 'google_compute_network', 'cluster');
    assert.equal(network.auto_create_subnetworks, false);
    const subnet = resource(config, 'google_compute_subnetwork', 'nodes');
    assert.equal(subnet.ip_cidr_range, '${var.subnet_cidr}');
    assert.equal(subnet.network, '${google_compute_network.cluster.id}');
    assert.equal(
      first(first(subnet.lifecycle).precondition).condition,
      '${startswith(var.zone, "${var.region}-")}',
      'a zone outside the region must fail the plan',
    );
  });

  test('static internal addresses from the node layout and external addresses for every node', () => {
    const cp = resource(config, 'google_compute_address', 'control_plane_internal');
    assert.equal(cp.address_type, 'INTERNAL');
    assert.equal(cp.address, '${local.control_plane.ip}');
    const workers = resource(config, 'google_compute_address', 'worker_internal');
    assert.equal(workers.for_each, '${local.workers}');
    assert.equal(workers.address, '${each.value.ip}');
    assert.equal(
      resource(config, 'google_compute_address', 'control_plane_external').address_type,
      'EXTERNAL',
    );
    assert.equal(
      resource(config, 'google_compute_address', 'worker_external').for_each,
      '${local.workers}',
    );
  });

  test('node-to-node rules: API server, etcd metrics, kubelet, Flannel VXLAN and ICMP, by tag only', () => {
    const expected: Record<string, { protocol: string; ports: string[] }[]> = {
      node_to_api_server: [{ protocol: 'tcp', ports: ['${tostring(local.api_server_port)}'] }],
      node_to_etcd_metrics: [{ protocol: 'tcp', ports: ['${tostring(local.etcd_metrics_port)}'] }],
      node_to_kubelet: [{ protocol: 'tcp', ports: ['10250'] }],
      node_flannel_vxlan: [{ protocol: 'udp', ports: ['8472'] }],
      node_icmp: [{ protocol: 'icmp', ports: [] }],
    };
    for (const [name, allow] of Object.entries(expected)) {
      const rule = firewall(name);
      assert.deepEqual(allows(rule), allow, name);
      assert.deepEqual(
        rule.source_tags,
        ['${local.tags.node}'],
        `${name}: must select nodes by tag`,
      );
      assert.equal(
        rule.source_ranges,
        undefined,
        `${name}: node-to-node rules take no address ranges`,
      );
    }
    for (const name of ['node_to_api_server', 'node_to_etcd_metrics'])
      assert.deepEqual(firewall(name).target_tags, ['${local.tags.control_plane}'], name);
    assert.equal(config.locals.api_server_port, 6443);
  });

  test('the firewall table in docs/infrastructure.md lists exactly the rules, with their ports', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs/infrastructure.md'), 'utf8');
    const table = markdownTables(docs).find((candidate) => candidate.header[0] === 'Rule');
    assert.ok(table, 'docs/infrastructure.md has no firewall table (first header "Rule")');
    const documented = new Map(
      table.rows.map((row) => [(row.Rule ?? '').replace(/`/g, ''), row.Ports ?? '']),
    );
    const rules = [...(config.resources.get('google_compute_firewall') ?? [])];
    const names = rules.map(([, rule]) => String(rule.name).replace('${var.name_prefix}-', ''));
    assert.deepEqual([...documented.keys()].sort(), names.sort());
    for (const [key, rule] of rules) {
      const row = documented.get(String(rule.name).replace('${var.name_prefix}-', '')) ?? '';
      for (const allow of allows(rule)) {
        assert.match(row, new RegExp(`\\b${allow.protocol.toUpperCase()}\\b`), key);
        // A computed list (concat(...)) is checked by the rule's own test.
        const ports = Array.isArray(allow.ports) ? allow.ports : [];
        for (const port of ports.map(resolveLocals))
          if (port !== undefined)
            assert.ok(row.includes(port), `${key}: port ${port} not in "${row}"`);
      }
    }
  });

  test("Prometheus's etcd job scrapes plain HTTP on the port the bootstrap and the firewall open", () => {
    const prometheus = parse(
      readFileSync(join(REPO_ROOT, 'k8s/monitoring/prometheus/prometheus.yml'), 'utf8'),
    ) as {
      scrape_configs: {
        job_name: string;
        scheme?: string;
        relabel_configs?: { target_label?: string; replacement?: string }[];
      }[];
    };
    const etcd = prometheus.scrape_configs.find((job) => job.job_name === 'etcd');
    assert.ok(etcd, 'prometheus.yml has no etcd job');
    assert.equal(etcd.scheme ?? 'http', 'http', 'etcd --listen-metrics-urls serves http://');
    const address = etcd.relabel_configs?.find((rule) => rule.target_label === '__address__');
    assert.equal(address?.replacement, `$1:${String(config.locals.etcd_metrics_port)}`);
    assert.equal(
      (config.locals.control_plane_environment as Block).ETCD_METRICS_PORT,
      '${local.etcd_metrics_port}',
      'the bootstrap must get the same port',
    );
  });

  test('outside access: the API server from admins, 22 from SSH sources, each NodePort from service_cidrs', () => {
    const outside: Record<string, { source: string; target: string; ports: string[] | string }> = {
      admin_to_api_server: {
        source: '${var.admin_cidrs}',
        target: '${local.tags.control_plane}',
        ports: ['${tostring(local.api_server_port)}'],
      },
      ssh: { source: '${var.ssh_cidrs}', target: '${local.tags.node}', ports: ['22'] },
      // Which ports those are is evaluated below, against the manifests.
      service_node_ports: {
        source: '${var.service_cidrs}',
        target: '${local.tags.node}',
        ports: '${sort([for port in values(local.node_ports) : tostring(port)])}',
      },
    };
    for (const [name, { source, target, ports }] of Object.entries(outside)) {
      const rule = firewall(name);
      assert.equal(rule.source_ranges, source, name);
      assert.deepEqual(rule.target_tags, [target], name);
      assert.deepEqual(allows(rule), [{ protocol: 'tcp', ports }], name);
      assert.match(
        String(rule.count),
        /length\(var\.\w+\) > 0 \? 1 : 0/,
        `${name}: no rule for an empty list`,
      );
    }
  });

  test('the NodePorts nodes.tf reads are the ones the manifests render, and the firewall table names each', async (t) => {
    const tool = iacTool(t);
    if (!tool) return;
    const result = await consoleEval(
      tool,
      ['variables.tf', 'nodes.tf'],
      'jsonencode(local.node_ports)',
      {
        project_id: 'hello-test-project',
        github_repository: 'octo-org/hello-api',
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const evaluated = JSON.parse(consoleString(result.stdout)) as Record<string, number>;
    const environments = await renderedNodePorts(t);
    const monitoring = await renderOrSkip(t, 'k8s/monitoring');
    if (!environments || !monitoring) return;
    const prometheus = findObject(monitoring, 'Service', 'prometheus', 'k8s/monitoring');
    assert.deepEqual(evaluated, {
      ...environments,
      prometheus: prometheus.spec?.ports?.[0]?.nodePort,
    });
    const docs = readFileSync(join(REPO_ROOT, 'docs/infrastructure.md'), 'utf8');
    const rows = markdownTables(docs).find((table) => table.header[0] === 'Rule')?.rows ?? [];
    const ports = (rule: string) => rows.find((row) => row.Rule === `\`${rule}\``)?.Ports ?? '';
    const listed = (text: string) => [...text.matchAll(/\b\d{4,5}\b/g)].map((m) => Number(m[0]));
    const byNumber = (a: number, b: number) => a - b;
    assert.deepEqual(
      listed(ports('service-node-ports')),
      Object.values(evaluated).map(Number).sort(byNumber),
    );
    assert.deepEqual(listed(ports('iap-to-ci-tunnels')), [
      Number(config.locals.api_server_port),
      ...Object.values(environments).sort(byNumber),
    ]);
  });

  test('every rule with outside sources refuses 0.0.0.0/0 unless allow_world_access is set', () => {
    const rules = [...(config.resources.get('google_compute_firewall') ?? [])];
    assert.ok(rules.length >= 7);
    for (const [name, rule] of rules) {
      assert.equal(rule.direction, 'INGRESS', name);
      assert.equal(rule.network, '${google_compute_network.cluster.name}', name);
      const ranges = rule.source_ranges;
      if (ranges === undefined) continue;
      if (typeof ranges !== 'string')
        assert.fail(`${name}: sources must be one variable reference`);
      assert.match(ranges, /^\$\{var\.\w+\}$/, `${name}: sources must come from a variable`);
      const precondition = first(first(rule.lifecycle).precondition);
      const source = ranges.slice(2, -1);
      assert.equal(
        precondition.condition,
        `\${var.allow_world_access || !contains(${source}, "0.0.0.0/0")}`,
        `${name}: no 0.0.0.0/0 guard`,
      );
    }
    // The only 0.0.0.0/0 in the configuration is inside those guards.
    for (const file of tfFiles()) {
      const lines = readFileSync(join(TOFU_DIR, file), 'utf8').split('\n');
      for (const line of lines.filter((l) => l.includes('0.0.0.0/0')))
        assert.match(
          line,
          /^\s*#|contains\(var\.\w+, "0\.0\.0\.0\/0"\)|error_message|description/,
          `${file}: ${line}`,
        );
    }
  });
});

describe('nodes and bootstrap', () => {
  test('one control plane and a worker per entry of local.workers, each on its fixed address', () => {
    const cp = resource(config, 'google_compute_instance', 'control_plane');
    assert.equal(cp.count, undefined);
    assert.equal(cp.for_each, undefined);
    assert.equal(
      first(cp.network_interface).network_ip,
      '${google_compute_address.control_plane_internal.address}',
    );
    assert.deepEqual(cp.tags, ['${local.tags.node}', '${local.tags.control_plane}']);
    const worker = resource(config, 'google_compute_instance', 'worker');
    assert.equal(worker.for_each, '${local.workers}');
    assert.equal(
      first(worker.network_interface).network_ip,
      '${google_compute_address.worker_internal[each.key].address}',
    );
    assert.deepEqual(worker.tags, ['${local.tags.node}', '${local.tags.worker}']);
    for (const node of [cp, worker]) {
      assert.equal(node.machine_type, '${var.machine_type}');
      const disk = first(first(node.boot_disk).initialize_params);
      assert.deepEqual(disk, {
        image: '${var.image}',
        size: '${var.boot_disk_size_gb}',
        type: '${var.boot_disk_type}',
      });
      assert.ok(node.labels, 'nodes carry labels');
    }
  });

  test('a dedicated service account with minimal scopes and roles', () => {
    assert.ok(resource(config, 'google_service_account', 'node'));
    for (const node of ['control_plane', 'worker']) {
      const account = first(resource(config, 'google_compute_instance', node).service_account);
      assert.equal(account.email, '${google_service_account.node.email}');
      assert.equal(account.scopes, '${local.node_scopes}');
    }
    const scopes = config.locals.node_scopes as string[];
    assert.ok(
      !scopes.some((scope) => scope.endsWith('/cloud-platform')),
      'no cloud-platform scope',
    );
    assert.deepEqual(
      resource(config, 'google_project_iam_custom_role', 'guest_attributes_reader').permissions,
      ['compute.instances.getGuestAttributes'],
    );
    const grant = resource(config, 'google_compute_instance_iam_member', 'workers_read_ca_hash');
    assert.equal(
      grant.instance_name,
      '${google_compute_instance.control_plane.name}',
      'granted on the control plane only',
    );
    assert.match(
      text(resource(config, 'google_project_iam_member', 'node').for_each),
      /logging\.logWriter.*monitoring\.metricWriter/,
    );
  });

  test('the bootstrap is instance metadata that changes in place, never a replacing startup script', () => {
    for (const node of ['control_plane', 'worker']) {
      const instance = resource(config, 'google_compute_instance', node);
      assert.equal(
        instance.metadata_startup_script,
        undefined,
        `${node}: metadata_startup_script replaces the VM on change`,
      );
      assert.match(
        String(instance.metadata),
        /startup-script = local\.(control_plane_startup_script|worker_startup_scripts\[each\.key\])/,
      );
      assert.match(
        text(first(instance.lifecycle).ignore_changes),
        /boot_disk\[0\]\.initialize_params\[0\]\.image/,
      );
    }
    assert.match(
      String(resource(config, 'google_compute_instance', 'control_plane').metadata),
      /enable-guest-attributes\s*=\s*"TRUE"/,
    );
  });

  test('the startup scripts are the tested files in scripts/ plus k8s/cluster, through one template', () => {
    assert.match(
      String(config.locals.script_files),
      /fileset\(local\.scripts_dir, "\*\.sh"\).*filebase64/,
    );
    assert.match(String(config.locals.addon_files), /fileset\(local\.addons_dir, "\*\*"\)/);
    assert.equal(config.locals.addons_dir, '${path.module}/../k8s/cluster');
    assert.ok(
      existsSync(join(REPO_ROOT, 'k8s/cluster/kustomization.yaml')),
      'k8s/cluster add-ons missing',
    );
    assert.match(
      String(config.locals.control_plane_startup_script),
      /templatefile\("\$\{local\.scripts_dir\}\/startup\.sh\.tftpl"/,
    );
    assert.match(String(config.locals.control_plane_startup_script), /role\s*=\s*"control-plane"/);
    assert.match(String(config.locals.worker_startup_scripts), /role\s*=\s*"worker"/);
  });

  test('each role gets exactly the settings its script checks', () => {
    const required = (script: string) =>
      [...readFileSync(join(TOFU_DIR, 'scripts', script), 'utf8').matchAll(/require_match (\w+) /g)]
        .map((match) => match[1] ?? '')
        .filter((name) => name !== 'CA_CERT_HASH')
        .concat('KUBERNETES_MINOR', 'POD_CIDR')
        .sort();
    const controlPlane = Object.keys(config.locals.control_plane_environment as Block).sort();
    assert.deepEqual(controlPlane, required('control-plane.sh'));
    const workerExpression = String(config.locals.worker_environment);
    const workerKeys = [...workerExpression.matchAll(/\b([A-Z][A-Z_]+)\s*=/g)]
      .map((m) => m[1] ?? '')
      .sort();
    assert.deepEqual(workerKeys, required('worker.sh'));
  });

  test('the bootstrap token: kubeadm format from random resources, sensitive', () => {
    const id = resource(config, 'random_string', 'bootstrap_token_id');
    assert.deepEqual([id.length, id.upper, id.special], [6, false, false]);
    const secret = resource(config, 'random_password', 'bootstrap_token_secret');
    assert.deepEqual([secret.length, secret.upper, secret.special], [16, false, false]);
    assert.equal(
      config.locals.bootstrap_token,
      '${sensitive("${random_string.bootstrap_token_id.result}.${random_password.bootstrap_token_secret.result}")}',
    );
  });
});

describe('what replaces a node', () => {
  test('every IAM binding on a compute instance is replaced together with that instance', () => {
    // An instance's IAM policy dies with it, but a replacement keeps its name: without this the
    // binding stays in state, is never created again, and workers (or deploys) lose their access.
    const bindings = [...config.resources]
      .filter(([type]) => /^google_(compute_instance|iap_tunnel_instance)_iam_/.test(type))
      .flatMap(([type, byName]) =>
        [...byName].map(([name, body]) => ({ where: `${type}.${name}`, body })),
      );
    assert.ok(bindings.length > 0);
    for (const { where, body } of bindings) {
      const instance = /google_compute_instance\.(\w+)\.name/.exec(
        text(body.instance_name ?? body.instance),
      )?.[1];
      assert.ok(instance, `${where}: names its instance by google_compute_instance.<name>.name`);
      assert.deepEqual(
        first(body.lifecycle).replace_triggered_by,
        [`\${google_compute_instance.${instance}.instance_id}`],
        `${where}: lifecycle.replace_triggered_by must name google_compute_instance.${instance}.instance_id`,
      );
    }
  });

  test('a new image, disk size or disk type does not replace a running node', () => {
    // All three are ForceNew in google 6.49.3 (resource_compute_instance.go, initialize_params).
    for (const node of ['control_plane', 'worker'])
      assert.deepEqual(
        first(resource(config, 'google_compute_instance', node).lifecycle).ignore_changes,
        [
          '${boot_disk[0].initialize_params[0].image}',
          '${boot_disk[0].initialize_params[0].size}',
          '${boot_disk[0].initialize_params[0].type}',
        ],
      );
  });

  test('the variables that replace every node say so, here and in docs/infrastructure.md', () => {
    // They feed the instances' ForceNew arguments (zone, name, subnetwork and network_ip through
    // the subnet and the static addresses) or the provider's project and region.
    const replacing = ['name_prefix', 'project_id', 'region', 'subnet_cidr', 'zone'];
    const marked = [...config.variables]
      .filter(([, body]) => String(body.description).includes('Changing it replaces every node'))
      .map(([name]) => name)
      .sort();
    assert.deepEqual(marked, replacing);
    const docs = readFileSync(join(REPO_ROOT, 'docs/infrastructure.md'), 'utf8');
    const row = /^\| Replaces every node \|(.*)\|$/m.exec(docs)?.[1] ?? '';
    assert.deepEqual(
      [...row.matchAll(/`(\w+)`/g)].map((match) => match[1]).sort(),
      replacing,
      'docs/infrastructure.md: the "Replaces every node" row',
    );
  });
});

describe('outputs', () => {
  test('node IPs, per-environment URLs, Prometheus, kubeconfig, all described', () => {
    for (const name of [
      'control_plane',
      'workers',
      'node_internal_ips',
      'service_urls',
      'prometheus_url',
      'kubeconfig_command',
      'api_server_url',
    ])
      assert.ok(config.outputs.has(name), `output ${name} is missing`);
    for (const [name, body] of config.outputs)
      assert.ok(String(body.description).length > 10, `output ${name}: no description`);
    assert.match(
      String(config.outputs.get('service_urls')?.value),
      /for environment in keys\(local\.ci_environments\)/,
      'one URL per deploy environment',
    );
    assert.match(String(config.outputs.get('kubeconfig_command')?.value), /admin\.conf/);
  });

  test('docs/infrastructure.md lists every output with the file that defines it', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs/infrastructure.md'), 'utf8');
    const table = markdownTables(docs).find((candidate) => candidate.header[0] === 'Output');
    assert.ok(table, 'docs/infrastructure.md has no outputs table (first header "Output")');
    const unquote = (cell: string | undefined) => (cell ?? '').replace(/`/g, '');
    const documented = new Map(table.rows.map((row) => [unquote(row.Output), row]));
    assert.deepEqual([...documented.keys()].sort(), [...config.outputs.keys()].sort());
    for (const [file, parsed] of config.files)
      for (const name of Object.keys(parsed.output ?? {}))
        assert.equal(unquote(documented.get(name)?.File), file, `output ${name}`);
    for (const [name, body] of config.outputs)
      if (body.sensitive === true)
        assert.match(documented.get(name)?.['What it gives'] ?? '', /\bsensitive\b/i, name);
    // The variables deploy.yaml reads, as the output's local builds them.
    const variables = [
      ...String(config.locals.github_environment_variables).matchAll(/\b([A-Z][A-Z_]+)\s*=/g),
    ].map((match) => match[1] ?? '');
    assert.ok(variables.length >= 5, variables.join(', '));
    const row = documented.get('github_environment_variables')?.['What it gives'] ?? '';
    assert.deepEqual(
      [...row.matchAll(/`([A-Z][A-Z_]+)`/g)].map((match) => match[1]),
      variables,
    );
  });

  test('outputs carrying the token are sensitive', () => {
    const secret = /bootstrap_token|random_password/;
    const carrying = [...config.outputs].filter(([, body]) => secret.test(text(body.value)));
    assert.deepEqual(
      carrying.map(([name]) => name),
      ['bootstrap_token'],
    );
    for (const [name, body] of carrying)
      assert.equal(body.sensitive, true, `output ${name} must be sensitive`);
  });
});
