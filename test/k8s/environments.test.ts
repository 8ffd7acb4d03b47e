// The environment table of issue 4, value by value, on the rendered overlays: namespace,
// replicas, requests and limits, fault injection, the prod HPA; plus the settings derived from
// them (heap limit, image, version label, config hash), and the environment tables of README.md
// and docs/kubernetes.md read against the rendered overlays. The NodePorts are set in the
// overlays alone: the README table is their written contract, checked here, and every other
// place reads them from the overlays or is checked against the render (test/k8s/facts.test.ts).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { parse } from 'yaml';
import {
  ENVIRONMENTS,
  findGenerated,
  findObject,
  kustomize,
  overlayDir,
  renderOrSkip,
  type Environment,
  type K8sObject,
} from '../helpers/k8s-manifests.js';
import { bytes } from '../helpers/k8s-quantity.js';
import { markdownTables, readmeSection } from '../helpers/markdown-tables.js';
import { repoPath } from '../helpers/paths.js';
import { requireTool } from '../helpers/tools.js';
import { INITIAL_REPLICAS_ANNOTATION } from '../../scripts/deploy/render.js';

interface Row {
  /**
   * The pods a fresh environment runs: the Deployment's spec.replicas, or, where an HPA owns the
   * count (no spec.replicas), the initial size the deploy scales a fresh Deployment to.
   */
  replicas: number;
  memory: [request: string, limit: string];
  cpu: [request: string, limit: string];
  faultInjection: 'true' | 'false';
  /** The HPA's minReplicas and maxReplicas, or undefined for no HPA. */
  hpa: [min: number, max: number] | undefined;
}

/** The table in the issue; namespace = environment name. */
const TABLE: Record<Environment, Row> = {
  dev: {
    replicas: 2,
    memory: ['128Mi', '256Mi'],
    cpu: ['50m', '500m'],
    faultInjection: 'true',
    hpa: undefined,
  },
  stage: {
    replicas: 2,
    memory: ['128Mi', '256Mi'],
    cpu: ['100m', '500m'],
    faultInjection: 'false',
    hpa: undefined,
  },
  prod: {
    replicas: 3,
    memory: ['256Mi', '512Mi'],
    cpu: ['100m', '1000m'],
    faultInjection: 'false',
    hpa: [2, 10],
  },
};

const PSA_LABELS = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'v1.30',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/audit-version': 'v1.30',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'v1.30',
};

/**
 * The pods a fresh environment starts with, as the rendered Deployment declares it: spec.replicas,
 * or the initial-size annotation the deploy scales a fresh Deployment to when an HPA owns the
 * count. Both at once is an error (scripts/deploy refuses it too).
 */
function startingReplicas(deployment: Deployment, env: string): number | undefined {
  const initial = deployment.metadata?.annotations?.[INITIAL_REPLICAS_ANNOTATION];
  if (initial === undefined) return deployment.spec?.replicas;
  assert.equal(
    deployment.spec?.replicas,
    undefined,
    `${env} Deployment/hello-api: ${INITIAL_REPLICAS_ANNOTATION} beside spec.replicas`,
  );
  assert.match(
    initial,
    /^[1-9][0-9]*$/,
    `${env} Deployment/hello-api: ${INITIAL_REPLICAS_ANNOTATION}`,
  );
  return Number(initial);
}

function appContainer(deployment: Deployment, env: string) {
  const container = deployment.spec?.template.spec?.containers.find((c) => c.name === 'hello-api');
  assert.ok(container, `${env} Deployment/hello-api: container hello-api must exist`);
  return container;
}

for (const env of ENVIRONMENTS) {
  const row = TABLE[env];

  test(`${env}: namespace, NodePort Service on the service port, replicas, requests and limits match the table`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    for (const object of objects)
      assert.equal(object.metadata.namespace, env, `${env} ${object.kind}: namespace`);

    const serviceSpec = findObject(objects, 'Service', 'hello-api', env).spec ?? {};
    assert.equal(serviceSpec.type, 'NodePort', `${env} Service/hello-api: type`);
    const [port, ...others] = serviceSpec.ports ?? [];
    assert.deepEqual(others, [], `${env} Service/hello-api: one port`);
    assert.match(
      String(port?.nodePort),
      /^3[0-2]\d{3}$/,
      `${env} Service/hello-api: a fixed nodePort in the default NodePort range`,
    );

    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    assert.equal(
      startingReplicas(deployment, env),
      row.replicas,
      `${env} Deployment/hello-api: replicas (or ${INITIAL_REPLICAS_ANNOTATION} under an HPA)`,
    );
    const resources = appContainer(deployment, env).resources;
    assert.deepEqual(
      {
        memory: [resources?.requests?.memory, resources?.limits?.memory],
        cpu: [resources?.requests?.cpu, resources?.limits?.cpu],
      },
      { memory: row.memory, cpu: row.cpu },
      `${env} Deployment/hello-api: requests and limits`,
    );
  });

  test(`${env}: ConfigMap sets APP_ENV, GREETING, TIMEZONE_OFFSET and fault injection`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const data = findGenerated(objects, 'ConfigMap', 'hello-api-config', env).data ?? {};
    assert.equal(data.APP_ENV, env, `${env} ConfigMap: APP_ENV`);
    assert.ok(data.GREETING, `${env} ConfigMap: GREETING must be set`);
    assert.match(
      data.TIMEZONE_OFFSET ?? '',
      /^[+-]\d{2}:\d{2}$/,
      `${env} ConfigMap: TIMEZONE_OFFSET`,
    );
    assert.equal(
      data.FAULT_INJECTION_ENABLED,
      row.faultInjection,
      `${env} ConfigMap: FAULT_INJECTION_ENABLED`,
    );
  });

  test(`${env}: the Node.js heap limit is 60-75 % of the container memory limit`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const data = findGenerated(objects, 'ConfigMap', 'hello-api-config', env).data;
    const heap = /--max-old-space-size=(\d+)/.exec(data?.NODE_OPTIONS ?? '');
    assert.ok(heap?.[1], `${env} ConfigMap: NODE_OPTIONS must set --max-old-space-size`);
    const limit = appContainer(findObject(objects, 'Deployment', 'hello-api', env), env).resources
      ?.limits?.memory;
    assert.ok(limit, `${env} Deployment/hello-api: limits.memory must be set`);
    const ratio = (Number(heap[1]) * 2 ** 20) / bytes(limit);
    assert.ok(
      ratio >= 0.6 && ratio <= 0.75,
      `${env}: --max-old-space-size=${heap[1]} is ${(ratio * 100).toFixed(1)} % of limits.memory ${limit}; keep it within 60-75 %`,
    );
  });

  test(`${env}: image comes from the overlay's images: with a pinned tag, version label equal`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const kustomization = parse(
      readFileSync(repoPath(`${overlayDir(env)}/kustomization.yaml`), 'utf8'),
    ) as { images?: { name: string; newName?: string; newTag?: string; digest?: string }[] };
    const image = kustomization.images?.find((entry) => entry.name === 'hello-api');
    assert.ok(image?.newName, `${env} kustomization.yaml: images must set newName for hello-api`);
    assert.ok(
      image.newTag ?? image.digest,
      `${env} kustomization.yaml: images needs a tag or digest`,
    );
    assert.notEqual(image.newTag, 'latest', `${env} kustomization.yaml: never the latest tag`);
    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    const versionLabel = deployment.metadata.labels?.['app.kubernetes.io/version'];
    const rendered = appContainer(deployment, env).image ?? '';
    assert.ok(
      rendered.startsWith(`${image.newName}:`) || rendered.startsWith(`${image.newName}@`),
      `${env} Deployment/hello-api: image ${rendered} must come from images: ${image.newName}`,
    );
    if (image.newTag)
      assert.equal(
        versionLabel,
        image.newTag,
        `${env} Deployment/hello-api: app.kubernetes.io/version must equal the image tag`,
      );
  });

  test(`${env}: PodDisruptionBudget keeps all but one pod through a node drain`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const pdb = findObject(objects, 'PodDisruptionBudget', 'hello-api', env).spec ?? {};
    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    assert.equal(pdb.maxUnavailable, 1, `${env} PodDisruptionBudget/hello-api: maxUnavailable`);
    assert.deepEqual(
      pdb.selector?.matchLabels,
      deployment.spec?.selector.matchLabels,
      `${env} PodDisruptionBudget/hello-api: selects the Deployment's pods`,
    );
    // Under an HPA the count never stays below its minReplicas (checked with the HPA below).
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as
      { spec: { minReplicas: number } } | undefined;
    assert.ok(
      (deployment.spec?.replicas ?? hpa?.spec.minReplicas ?? 1) >= 2,
      `${env}: 2+ replicas, or the budget blocks drains`,
    );
  });

  test(`${env}: ${row.hpa ? `HPA ${row.hpa.join('-')} on CPU 70 % and memory 80 %, owning the replica count; a fresh ${env} starts at ${row.replicas}` : 'no HPA'}`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    if (!row.hpa) {
      assert.equal(hpas.length, 0, `${env}: no HorizontalPodAutoscaler expected`);
      return;
    }
    const hpa = findObject(objects, 'HorizontalPodAutoscaler', 'hello-api', env);
    const where = `${env} HorizontalPodAutoscaler/hello-api`;
    assert.equal(hpa.apiVersion, 'autoscaling/v2', `${where}: apiVersion`);
    const spec = hpa.spec;
    assert.ok(spec, `${where}: spec must be set`);
    assert.deepEqual(
      spec.scaleTargetRef,
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello-api' },
      `${where}: scaleTargetRef`,
    );
    assert.deepEqual([spec.minReplicas, spec.maxReplicas], row.hpa, `${where}: min/maxReplicas`);
    // Every apply would reset the HPA's count to a replicas in the manifest (Kubernetes docs,
    // "Migrating Deployments and StatefulSets to horizontal autoscaling"). The deploy scales a
    // fresh Deployment to the initial size instead (scripts/deploy); outside minReplicas to
    // maxReplicas the HPA would undo that at its next sync, without any metric
    // (pkg/controller/podautoscaler/horizontal.go).
    const target = findObject(objects, 'Deployment', 'hello-api', env);
    assert.equal(
      target.spec?.replicas,
      undefined,
      `${env} Deployment/hello-api: no replicas under an HPA`,
    );
    const initial = startingReplicas(target, env);
    assert.ok(
      initial !== undefined && initial >= row.hpa[0] && initial <= row.hpa[1],
      `${env} Deployment/hello-api: ${INITIAL_REPLICAS_ANNOTATION} ${String(initial)} must lie within the HPA's ${row.hpa.join('-')}`,
    );
    const targets: Record<string, unknown[]> = {};
    for (const metric of spec.metrics ?? [])
      targets[metric.resource?.name ?? metric.type] = [
        metric.type,
        metric.resource?.target.type,
        metric.resource?.target.averageUtilization,
      ];
    assert.deepEqual(
      targets,
      { cpu: ['Resource', 'Utilization', 70], memory: ['Resource', 'Utilization', 80] },
      `${where}: metrics`,
    );
    const scaleUp = spec.behavior?.scaleUp ?? {};
    const scaleDown = spec.behavior?.scaleDown ?? {};
    assert.equal(scaleUp.stabilizationWindowSeconds, 0, `${where}: scale-up must react at once`);
    assert.ok(
      (scaleUp.policies ?? []).some((p) => p.periodSeconds <= 15 && p.value >= 2),
      `${where}: scale-up must add 2+ pods (or 100 %) per 15 s or faster`,
    );
    assert.ok(
      (scaleDown.stabilizationWindowSeconds ?? 0) >= 300,
      `${where}: scale-down must be stabilised over 5 minutes or more`,
    );
    assert.ok((scaleDown.policies ?? []).length > 0, `${where}: scale-down needs a rate policy`);
    for (const policy of scaleDown.policies ?? [])
      assert.ok(
        policy.type === 'Pods' ? policy.value <= 1 : policy.value <= 50,
        `${where}: scale-down policy ${policy.type}=${policy.value} removes capacity too fast`,
      );
    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    const requests = appContainer(deployment, env).resources?.requests;
    assert.ok(
      requests?.cpu && requests.memory,
      `${where}: utilization targets need CPU and memory requests on the container`,
    );
  });
}

/** The environment table (first header cell "env", a "replicas" column) of a Markdown text. */
function environmentTable(markdown: string, source: string) {
  const table = markdownTables(markdown).find(
    (candidate) => candidate.header[0] === 'env' && candidate.header.includes('replicas'),
  );
  assert.ok(table, `${source}: no environment table (header "env", column "replicas")`);
  return table;
}

const readme = readFileSync(repoPath('README.md'), 'utf8');
const DOC_TABLES: [source: string, markdown: string][] = [
  ['README.md section kubernetes', readmeSection(readme, 'kubernetes') ?? ''],
  ['docs/kubernetes.md', readFileSync(repoPath('docs/kubernetes.md'), 'utf8')],
];

for (const [source, markdown] of DOC_TABLES)
  test(`${source}: the environment table's NodePort, replicas and HPA range are what each overlay renders`, async (t) => {
    const table = environmentTable(markdown, source);
    assert.deepEqual(
      table.rows.map((row) => row.env),
      [...ENVIRONMENTS],
      `${source}: one row per environment`,
    );
    for (const row of table.rows) {
      const env = row.env as Environment;
      const objects = await renderOrSkip(t, overlayDir(env));
      if (!objects) return;
      const service = findObject(objects, 'Service', 'hello-api', env);
      assert.equal(
        row.NodePort,
        String(service.spec?.ports?.[0]?.nodePort),
        `${source} ${env}: NodePort`,
      );
      const deployment = findObject(objects, 'Deployment', 'hello-api', env);
      assert.equal(
        row.replicas,
        String(startingReplicas(deployment, env)),
        `${source} ${env}: replicas (a fresh ${env}'s pods)`,
      );
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as
        { spec: { minReplicas?: number; maxReplicas: number } } | undefined;
      const stated = /\bHPA (\d+)-(\d+)\b/.exec(row.extras ?? '');
      assert.deepEqual(
        stated ? [Number(stated[1]), Number(stated[2])] : undefined,
        hpa ? [hpa.spec.minReplicas ?? 1, hpa.spec.maxReplicas] : undefined,
        `${source} ${env}: "HPA <min>-<max>" in extras, as rendered (or none without an HPA)`,
      );
    }
  });

test('k8s/cluster alone defines the namespaces, restricted; no overlay renders one', async (t) => {
  const cluster = await renderOrSkip(t, 'k8s/cluster');
  if (!cluster) return;
  for (const name of [...ENVIRONMENTS, 'monitoring']) {
    const labels: Record<string, string> | undefined = findObject(
      cluster,
      'Namespace',
      name,
      'k8s/cluster',
    ).metadata.labels;
    assert.deepEqual(labels, PSA_LABELS, `k8s/cluster Namespace/${name}`);
  }
  // The deployers may not write Namespaces (k8s/access): an overlay that rendered one would fail.
  for (const env of ENVIRONMENTS) {
    const overlay = (await renderOrSkip(t, overlayDir(env))) ?? [];
    assert.deepEqual(
      overlay.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name),
      [],
      `${overlayDir(env)} renders a Namespace`,
    );
  }
});

/** The ConfigMap name and the Deployment's reference to it, rendered from a copy of k8s/. */
async function configNames(kubectl: string, root: string, env: Environment) {
  const objects: K8sObject[] = await kustomize(kubectl, join(root, 'overlays', env));
  const configMap = findGenerated(objects, 'ConfigMap', 'hello-api-config', env);
  const deployment = findObject(objects, 'Deployment', 'hello-api', env);
  const reference = deployment.spec?.template.spec?.containers[0]?.envFrom?.[0]?.configMapRef?.name;
  return { configMap: configMap.metadata.name, reference };
}

test('a ConfigMap change renames it (hash suffix) and so rolls the pods', async (t) => {
  const kubectl = requireTool(t, 'kubectl', 'renders k8s/ with kubectl kustomize');
  if (!kubectl) return;
  const copies = mkdtempSync(join(tmpdir(), 'hello-api-k8s-'));
  t.after(() => {
    rmSync(copies, { recursive: true, force: true });
  });
  // Two copies of base + overlays: one as committed, one with a single value changed.
  for (const copy of ['same', 'changed'])
    for (const part of ['base', 'overlays'])
      cpSync(repoPath(`k8s/${part}`), join(copies, copy, part), { recursive: true });
  const file = join(copies, 'changed', 'overlays', 'dev', 'kustomization.yaml');
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes('GREETING=Hello from dev'), 'dev overlay sets GREETING');
  writeFileSync(file, text.replace('GREETING=Hello from dev', 'GREETING=Changed'));

  const before = await configNames(kubectl, join(copies, 'same'), 'dev');
  assert.match(before.configMap, /^hello-api-config-[a-z0-9]{10}$/, 'generated name with hash');
  assert.equal(before.reference, before.configMap, 'the Deployment refers to the hashed name');
  const after = await configNames(kubectl, join(copies, 'changed'), 'dev');
  assert.notEqual(after.configMap, before.configMap, 'a new value gives the ConfigMap a new name');
  assert.equal(after.reference, after.configMap, 'and the pod template follows it (a rollout)');
});
