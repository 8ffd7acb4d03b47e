// Facts the whole repository shares, each checked where it is defined against every place that
// uses it: the environments (the overlays) against the namespaces, the deployers, the pipeline
// and Prometheus; the NodePorts (set in the overlays and Prometheus's Service) against what the
// scripts read and every port the docs and scripts name; the service's name (package.json)
// against the manifests, the scrape job, the logs, the OpenAPI document and the scripts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { parse } from 'yaml';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { APP_SERVICE } from '../../scripts/cluster/urls.js';
import { APP } from '../../scripts/deploy/render.js';
import { ENVIRONMENTS, nodePort, type Environment } from '../../scripts/lib/environments.js';
import { APP as E2E_APP } from '../e2e/lib/facts.js';
import { testConfig } from '../helpers/app.js';
import {
  findObject,
  overlayDir,
  renderedNodePorts,
  renderOrSkip,
  type K8sObject,
} from '../helpers/k8s-manifests.js';
import { markdownTables } from '../helpers/markdown-tables.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { loadWorkflow } from '../helpers/pipeline-workflows.js';

const SERVICE_NAME = (
  JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { name: string }
).name;

interface ScrapeJob {
  job_name: string;
  kubernetes_sd_configs?: { namespaces?: { names?: string[] } }[];
  relabel_configs?: { source_labels?: string[]; regex?: string; action?: string }[];
}

const prometheusJob = (name: string): ScrapeJob => {
  const config = parse(
    readFileSync(repoPath('k8s/monitoring/prometheus/prometheus.yml'), 'utf8'),
  ) as { scrape_configs: ScrapeJob[] };
  const job = config.scrape_configs.find((candidate) => candidate.job_name === name);
  assert.ok(job, `prometheus.yml has no scrape job ${name}`);
  return job;
};

test('the environments are the overlays, in the namespaces, deployers, pipeline and scrape job', async (t) => {
  const overlays = readdirSync(repoPath('k8s/overlays')).filter((name) =>
    existsSync(repoPath(`k8s/overlays/${name}/kustomization.yaml`)),
  );
  assert.deepEqual(overlays.sort(), [...ENVIRONMENTS].sort(), 'k8s/overlays/*');

  const ciCd = loadWorkflow('ci-cd.yaml');
  const deployed = Object.values(ciCd.jobs)
    .filter((job) => job.uses === './.github/workflows/deploy.yaml')
    .map((job) => String(job.with?.environment));
  assert.deepEqual(deployed, [...ENVIRONMENTS], 'ci-cd.yaml deploy jobs, in promotion order');
  const dispatch = (ciCd.on.workflow_dispatch as { inputs: Record<string, { options?: string[] }> })
    .inputs.environment?.options;
  assert.deepEqual(dispatch, [...ENVIRONMENTS], 'ci-cd.yaml workflow_dispatch options');

  const scraped = prometheusJob(SERVICE_NAME).kubernetes_sd_configs?.[0]?.namespaces?.names;
  assert.deepEqual(scraped, [...ENVIRONMENTS], `prometheus.yml job ${SERVICE_NAME}: namespaces`);

  const cluster = await renderOrSkip(t, 'k8s/cluster');
  const access = await renderOrSkip(t, 'k8s/access');
  if (!cluster || !access) return;
  // The restricted namespaces; local-path-storage (privileged) holds the storage provisioner.
  const restricted = cluster
    .filter((o) => o.kind === 'Namespace')
    .filter((o) => o.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted')
    .map((o) => o.metadata.name);
  assert.deepEqual(restricted.sort(), [...ENVIRONMENTS, 'monitoring'].sort(), 'k8s/cluster');
  const deployers = access.filter((o) => o.kind === 'RoleBinding').map((o) => o.metadata.namespace);
  assert.deepEqual(deployers.sort(), [...ENVIRONMENTS].sort(), 'k8s/access RoleBindings');
});

test("the scripts' NodePort of each environment is what its overlay renders", async (t) => {
  const rendered = await renderedNodePorts(t);
  if (!rendered) return;
  for (const env of ENVIRONMENTS) assert.equal(nodePort(env), rendered[env], env);
});

/** Text files that explain, configure or run the system; tests are left to their own checks. */
function documentingFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  return [
    repoPath('README.md'),
    repoPath('Makefile'),
    ...['docs', 'scripts', 'mk', 'opentofu', 'k8s', '.github'].flatMap((dir) =>
      walk(repoPath(dir)),
    ),
  ].filter((file) => /(\.(md|ts|sh|mk|tf|tftpl|hcl|ya?ml|example)|Makefile)$/.test(file));
}

// A port in the default NodePort range (30000-32767), as a whole token.
const NODE_PORT_TOKEN = /(?<![\w.])3[0-2]\d{3}(?![\w.])/g;

test('every NodePort the docs and scripts name is one the manifests render, each table row its own', async (t) => {
  const environments = await renderedNodePorts(t);
  const monitoring = await renderOrSkip(t, 'k8s/monitoring');
  if (!environments || !monitoring) return;
  const rendered = new Set([
    ...Object.values(environments),
    ...monitoring.flatMap((o: K8sObject) =>
      o.kind === 'Service'
        ? ((o.spec as { ports?: { nodePort?: number }[] }).ports ?? []).map((p) => p.nodePort)
        : [],
    ),
  ]);
  const problems: string[] = [];
  for (const file of documentingFiles()) {
    const where = relative(REPO_ROOT, file);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      // A number only counts as a port where its line, or the one before, speaks of ports or
      // it follows a colon (a URL); measured results such as 32680 req/s do not.
      const portish = /port/i.test(`${lines[index - 1] ?? ''} ${line}`);
      for (const match of line.matchAll(NODE_PORT_TOKEN)) {
        const afterColon = line[match.index - 1] === ':';
        if ((portish || afterColon) && !rendered.has(Number(match[0])))
          problems.push(`${where}:${index + 1}: ${match[0]} is no rendered NodePort`);
      }
    });
    if (!file.endsWith('.md')) continue;
    // In a table with a NodePort column, the row's environment decides which port it must be.
    for (const table of markdownTables(lines.join('\n'))) {
      if (!table.header.includes('NodePort')) continue;
      for (const row of table.rows) {
        const named = Object.entries(row)
          .filter(([column]) => column !== 'NodePort')
          .map(([, cell]) => cell.replace(/`/g, ''))
          .filter((cell): cell is Environment =>
            (ENVIRONMENTS as readonly string[]).includes(cell),
          );
        const env = named.at(-1);
        if (env === undefined) problems.push(`${where}: a NodePort row names no environment`);
        else if (row.NodePort !== String(environments[env]))
          problems.push(`${where}: ${env}'s NodePort is ${environments[env]}, not ${row.NodePort}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test(`the service's one name (package.json "${SERVICE_NAME}") in the manifests, scrape job, logs, API and scripts`, async (t) => {
  assert.deepEqual(
    { deploy: APP, cluster: APP_SERVICE, e2e: E2E_APP.deployment },
    { deploy: SERVICE_NAME, cluster: SERVICE_NAME, e2e: SERVICE_NAME },
    'the scripts',
  );
  const keep = prometheusJob(SERVICE_NAME).relabel_configs?.find((rule) =>
    rule.source_labels?.includes('__meta_kubernetes_pod_label_app_kubernetes_io_name'),
  );
  assert.deepEqual([keep?.regex, keep?.action], [SERVICE_NAME, 'keep'], 'the scrape job');

  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const config = testConfig({ LOG_LEVEL: 'info' });
  createLogger(config, sink).info('hello');
  assert.equal((JSON.parse(lines.join('')) as { service?: string }).service, SERVICE_NAME, 'log');
  const app = await buildApp(config, { logger: createLogger(testConfig(), sink) });
  t.after(() => app.close());
  await app.ready();
  assert.equal(app.swagger().info.title, SERVICE_NAME, 'the OpenAPI title');

  for (const env of ENVIRONMENTS) {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const deployment = findObject(objects, 'Deployment', SERVICE_NAME, env);
    findObject(objects, 'Service', SERVICE_NAME, env);
    findObject(objects, 'ServiceAccount', SERVICE_NAME, env);
    const pod = deployment.spec?.template;
    assert.deepEqual(
      {
        label: pod?.metadata?.labels?.['app.kubernetes.io/name'],
        containers: pod?.spec?.containers.map((container) => container.name),
      },
      { label: SERVICE_NAME, containers: [SERVICE_NAME] },
      `${env} Deployment/${SERVICE_NAME}: pod label and container`,
    );
  }
});
