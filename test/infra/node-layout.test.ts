// The cluster's shape and input checks, evaluated by the real OpenTofu/Terraform `console`
// offline: nodes.tf and variables.tf need no provider, so the node names, roles and addresses,
// and every validation block, are computed by the tool itself rather than re-implemented here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { consoleEval, consoleString, iacTool } from '../helpers/infra-hcl.js';

const FILES = ['variables.tf', 'nodes.tf'];
const REQUIRED = { project_id: 'hello-test-project', github_repository: 'octo-org/hello-api' };

interface Node {
  name: string;
  role: string;
  ip: string;
}

async function nodes(tool: string, vars: Record<string, string> = {}): Promise<Node[]> {
  const result = await consoleEval(tool, FILES, 'jsonencode(values(local.nodes))', {
    ...REQUIRED,
    ...vars,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /Error:/);
  return (JSON.parse(consoleString(result.stdout)) as Node[]).sort((a, b) =>
    a.ip.localeCompare(b.ip),
  );
}

describe('node layout (nodes.tf)', { concurrency: true }, () => {
  test('defaults: one control plane and two workers on 10.160.0.3-5', async (t) => {
    const tool = iacTool(t);
    if (!tool) return;
    assert.deepEqual(await nodes(tool), [
      { name: 'hello-k8s-control-plane', role: 'control-plane', ip: '10.160.0.3' },
      { name: 'hello-k8s-worker-1', role: 'worker', ip: '10.160.0.4' },
      { name: 'hello-k8s-worker-2', role: 'worker', ip: '10.160.0.5' },
    ]);
  });

  test('a third worker takes the next address and leaves the others where they are', async (t) => {
    const tool = iacTool(t);
    if (!tool) return;
    const layout = await nodes(tool, { worker_count: '3' });
    assert.deepEqual(
      layout.map((node) => `${node.name}=${node.ip}`),
      [
        'hello-k8s-control-plane=10.160.0.3',
        'hello-k8s-worker-1=10.160.0.4',
        'hello-k8s-worker-2=10.160.0.5',
        'hello-k8s-worker-3=10.160.0.6',
      ],
    );
  });

  test('the pod network is the one Flannel is configured for, apart from the subnet', async (t) => {
    const tool = iacTool(t);
    if (!tool) return;
    const result = await consoleEval(
      tool,
      FILES,
      'jsonencode([local.pod_cidr, local.service_cidr, var.subnet_cidr])',
      REQUIRED,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(consoleString(result.stdout)), [
      '10.244.0.0/16',
      '10.96.0.0/12',
      '10.160.0.0/20',
    ]);
  });
});

describe('variable validation (variables.tf)', { concurrency: true }, () => {
  const rejected: [string, string, RegExp][] = [
    ['worker_count', '0', /worker_count: must be a whole number from 1 to 10/],
    ['worker_count', '1.5', /worker_count: must be a whole number from 1 to 10/],
    ['subnet_cidr', '10.160.0.0/33', /subnet_cidr: must be an IPv4 CIDR block/],
    ['subnet_cidr', '10.160.0.0/28', /subnet_cidr: must be an IPv4 CIDR block of \/24 or larger/],
    ['admin_cidrs', '["203.0.113.300/32"]', /admin_cidrs: every entry must be an IPv4 CIDR block/],
    ['ssh_cidrs', '["my-laptop"]', /ssh_cidrs: every entry must be an IPv4 CIDR block/],
    ['service_cidrs', '["::/0"]', /service_cidrs: every entry must be an IPv4 CIDR block/],
    ['kubernetes_minor', '1.29', /kubernetes_minor: must be one of 1\.30, 1\.31/],
    ['github_repository', 'octo-org', /github_repository: must be OWNER\/REPO/],
    ['github_repository', '-octo/hello-api', /github_repository: must be OWNER\/REPO/],
    ['github_repository', 'octo-org/..', /github_repository: must be OWNER\/REPO/],
    [
      'github_repository_id',
      'abc',
      /github_repository_id: must be empty or the repository's numeric ID/,
    ],
    ['machine_type', 'e2-small', /machine_type: must be a GCE machine type with at least 2 vCPUs/],
    ['image', 'centos-cloud/centos-stream-9', /image: must be a Debian or Ubuntu public image/],
    ['project_id', 'Bad_Project', /project_id: must be a GCP project ID/],
  ];
  for (const [name, value, message] of rejected) {
    test(`${name} = ${value} is refused with a message naming it`, async (t) => {
      const tool = iacTool(t);
      if (!tool) return;
      const result = await consoleEval(tool, FILES, 'local.control_plane.ip', {
        ...REQUIRED,
        [name]: value,
      });
      // console reports a failed validation as an error (it still exits 0 and evaluates, so
      // the error itself is what is checked); the message must name the variable.
      const stderr = result.stderr.replace(/\s*│\s*/g, ' ');
      assert.match(stderr, /Error: Invalid value for variable/);
      assert.match(stderr, message);
    });
  }

  test('valid non-default settings are accepted', async (t) => {
    const tool = iacTool(t);
    if (!tool) return;
    const result = await consoleEval(tool, FILES, 'local.control_plane.ip', {
      ...REQUIRED,
      worker_count: '10',
      subnet_cidr: '10.20.0.0/24',
      admin_cidrs: '["203.0.113.10/32","198.51.100.0/24"]',
      kubernetes_minor: '1.31',
      machine_type: 'n2-standard-2',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /Error:/);
    assert.equal(consoleString(result.stdout), '10.20.0.3');
  });
});
