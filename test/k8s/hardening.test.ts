// Hardening and rollout rules for every container in every environment, as policy checks that
// name the object, the container and the rule they fail on; and proof that each policy catches
// what it claims to.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import { loadConfig } from '../../src/config.js';
import {
  ENVIRONMENTS,
  findGenerated,
  findObject,
  overlayDir,
  renderOrSkip,
  type K8sObject,
} from '../helpers/k8s-manifests.js';
import {
  hardeningViolations,
  labelViolations,
  podScope,
  restrictedViolations,
  rolloutViolations,
} from '../helpers/k8s-policy.js';

const UID = 10001;

/** The port the service listens on in this environment: PORT as the ConfigMap sets it, or its default. */
function servicePort(objects: K8sObject[], env: string): number {
  return loadConfig(findGenerated(objects, 'ConfigMap', 'hello-api-config', env).data ?? {}).port;
}

for (const env of ENVIRONMENTS) {
  test(`${env}: pods meet the restricted Pod Security Standard`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    const problems = restrictedViolations(podScope(env, deployment));
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test(`${env}: every container is hardened (UID ${UID}, read-only root, probes, limits, pinned image)`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    const problems = hardeningViolations(podScope(env, deployment), UID);
    const account = findObject(objects, 'ServiceAccount', 'hello-api', env);
    if (account.automountServiceAccountToken !== false)
      problems.push(`${env} ServiceAccount/hello-api: automountServiceAccountToken must be false`);
    if (deployment.spec?.template.spec?.serviceAccountName !== 'hello-api')
      problems.push(`${env} Deployment/hello-api: serviceAccountName must be hello-api`);
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test(`${env}: rolling update never drops below the desired count`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    const problems = rolloutViolations(`${env} Deployment/hello-api`, deployment);
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test(`${env}: termination grace period outlasts the drain delay plus shutdown timeout`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const data = findGenerated(objects, 'ConfigMap', 'hello-api-config', env).data ?? {};
    const delay = Number(data.SHUTDOWN_DELAY_MS);
    const timeout = Number(data.SHUTDOWN_TIMEOUT_MS);
    assert.ok(
      delay > 0 && timeout > 0,
      `${env} ConfigMap: SHUTDOWN_DELAY_MS and SHUTDOWN_TIMEOUT_MS must be set`,
    );
    const deployment = findObject(objects, 'Deployment', 'hello-api', env);
    const grace = deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
    assert.ok(
      grace * 1000 > delay + timeout,
      `${env} Deployment/hello-api: terminationGracePeriodSeconds ${grace} s must exceed SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS = ${(delay + timeout) / 1000} s`,
    );
  });

  test(`${env}: every object carries the Kubernetes recommended labels`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const problems = objects
      .filter((object) => object.kind !== 'Namespace')
      .flatMap((object) => labelViolations(env, object));
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  // Which path serves the metrics is checked against the app itself (service-contract.test.ts).
  test(`${env}: Prometheus scrape annotations on the pod template, on the service's PORT`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const annotations =
      findObject(objects, 'Deployment', 'hello-api', env).spec?.template.metadata?.annotations ??
      {};
    assert.deepEqual(
      [annotations['prometheus.io/scrape'], annotations['prometheus.io/port']],
      ['true', String(servicePort(objects, env))],
      `${env} Deployment/hello-api pod template: prometheus.io/scrape, port`,
    );
    assert.match(annotations['prometheus.io/path'] ?? '', /^\/\S+$/, `${env}: prometheus.io/path`);
  });

  test(`${env}: NetworkPolicies deny by default and admit the service's PORT and the monitoring namespace`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const port = servicePort(objects, env);
    const deny = findObject(objects, 'NetworkPolicy', 'default-deny-all', env).spec;
    assert.ok(deny, `${env} NetworkPolicy/default-deny-all: spec must be set`);
    assert.deepEqual(
      deny.podSelector,
      {},
      `${env} NetworkPolicy/default-deny-all selects every pod`,
    );
    assert.deepEqual(
      deny.policyTypes,
      ['Ingress', 'Egress'],
      `${env} NetworkPolicy/default-deny-all`,
    );
    assert.equal(
      deny.ingress,
      undefined,
      `${env} NetworkPolicy/default-deny-all allows nothing in`,
    );

    const http = findObject(objects, 'NetworkPolicy', 'allow-http-ingress', env).spec;
    assert.deepEqual(
      http?.ingress,
      [{ ports: [{ protocol: 'TCP', port }] }],
      `${env} NetworkPolicy/allow-http-ingress: port ${port} from any source (NodePort)`,
    );
    const metrics = findObject(objects, 'NetworkPolicy', 'allow-metrics-from-monitoring', env).spec;
    assert.deepEqual(
      metrics?.ingress,
      [
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
          ],
          ports: [{ protocol: 'TCP', port }],
        },
      ],
      `${env} NetworkPolicy/allow-metrics-from-monitoring: the service's PORT from the monitoring namespace`,
    );
    for (const name of ['allow-http-ingress', 'allow-metrics-from-monitoring'])
      assert.deepEqual(
        findObject(objects, 'NetworkPolicy', name, env).spec?.podSelector.matchLabels,
        findObject(objects, 'Deployment', 'hello-api', env).spec?.selector.matchLabels,
        `${env} NetworkPolicy/${name} selects the hello-api pods`,
      );
  });
}

/**
 * The cluster DNS as kubeadm deploys it: CoreDNS pods labelled k8s-app: kube-dns in kube-system,
 * answering on 53/UDP and 53/TCP (kubernetes/kubernetes cmd/kubeadm/app/phases/addons/dns/
 * manifests.go; kind runs kubeadm too). The namespace label is set by the API server on every
 * namespace (kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name).
 */
const CLUSTER_DNS_PEER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

/**
 * Tempo's OTLP/HTTP receiver as k8s/monitoring deploys it: its pods by the Service's selector in
 * the Service's namespace, on the container port behind the Service's `otlp-http` port (a
 * NetworkPolicy sees the pod port, after the Service's address translation).
 */
async function tempoPeer(t: Parameters<typeof renderOrSkip>[0]) {
  const monitoring = await renderOrSkip(t, 'k8s/monitoring');
  if (!monitoring) return undefined;
  const service = findObject(monitoring, 'Service', 'tempo', 'k8s/monitoring');
  const targetPort = service.spec?.ports?.find((p) => p.name === 'otlp-http')?.targetPort;
  const containerPort = findObject(monitoring, 'StatefulSet', 'tempo', 'k8s/monitoring')
    .spec?.template.spec?.containers.flatMap((c) => c.ports ?? [])
    .find((p) => p.name === targetPort)?.containerPort;
  assert.ok(containerPort, `k8s/monitoring: Tempo's otlp-http targetPort names a container port`);
  return {
    peer: {
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': service.metadata.namespace },
      },
      podSelector: { matchLabels: service.spec?.selector },
    },
    ports: [`TCP/${String(containerPort)}`],
  };
}

for (const env of ENVIRONMENTS)
  test(`${env}: egress is allowed only to the cluster DNS (kube-dns pods in kube-system, port 53) and Tempo's OTLP port`, async (t) => {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return;
    const tempo = await tempoPeer(t);
    if (!tempo) return;
    const allowed = [
      {
        what: 'the cluster DNS pods, DNS ports',
        peer: CLUSTER_DNS_PEER,
        ports: ['TCP/53', 'UDP/53'],
      },
      { what: "Tempo's pods, its OTLP port", ...tempo },
    ];
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as (NetworkPolicy &
      K8sObject)[];
    const rules = policies.flatMap((policy) =>
      (policy.spec?.egress ?? []).map((rule) => ({
        where: `${env} NetworkPolicy/${policy.metadata.name}`,
        rule,
      })),
    );
    assert.ok(rules.length > 0, `${env}: no egress rule, so no pod could resolve a name`);
    for (const { where, rule } of rules) {
      // An empty or missing `to` allows those ports to every address, inside and outside.
      const ports = (rule.ports ?? [])
        .map((port) => `${port.protocol ?? 'TCP'}/${String(port.port)}`)
        .sort();
      const match = allowed.find(
        ({ peer, ports: allowedPorts }) =>
          isDeepStrictEqual(rule.to, [peer]) && isDeepStrictEqual(ports, allowedPorts),
      );
      assert.ok(
        match,
        `${where}: egress to ${JSON.stringify(rule.to ?? 'anywhere')} on ${ports.join(',') || 'every port'}; allowed are only ${allowed.map((a) => a.what).join(' and ')}`,
      );
    }
    const dns = findObject(objects, 'NetworkPolicy', 'allow-dns-egress', env).spec;
    assert.deepEqual(dns?.policyTypes, ['Egress'], `${env} NetworkPolicy/allow-dns-egress`);
  });

test('cluster add-ons: metrics-server meets the restricted Pod Security Standard too', async (t) => {
  const objects = await renderOrSkip(t, 'k8s/cluster');
  if (!objects) return;
  const deployment = findObject(objects, 'Deployment', 'metrics-server', 'k8s/cluster');
  const problems = restrictedViolations(podScope('k8s/cluster', deployment));
  assert.deepEqual(problems, [], problems.join('\n'));
});

/** The prod Deployment with one thing broken, to show that the policies notice. */
async function broken(
  t: Parameters<typeof renderOrSkip>[0],
  breakIt: (deployment: Deployment) => void,
): Promise<Deployment | undefined> {
  const objects = await renderOrSkip(t, overlayDir('prod'));
  if (!objects) return undefined;
  const deployment = structuredClone(findObject(objects, 'Deployment', 'hello-api', 'prod'));
  breakIt(deployment);
  return deployment;
}

function firstContainer(deployment: Deployment) {
  const container = deployment.spec?.template.spec?.containers[0];
  assert.ok(container, 'prod Deployment/hello-api has a container');
  return container;
}

test('policies name the object, container and rule they fail on', async (t) => {
  const deployment = await broken(t, (d) => {
    const container = firstContainer(d);
    container.securityContext = {
      ...container.securityContext,
      readOnlyRootFilesystem: false,
      allowPrivilegeEscalation: true,
      capabilities: { add: ['NET_ADMIN'] },
    };
    container.image = 'docker.io/hello-api/hello-api:latest';
    delete container.livenessProbe;
    const pod = d.spec?.template.spec;
    assert.ok(pod);
    pod.automountServiceAccountToken = true;
    pod.hostNetwork = true;
    pod.volumes = [...(pod.volumes ?? []), { name: 'host', hostPath: { path: '/' } }];
  });
  if (!deployment) return;
  const scope = podScope('prod', deployment);
  assert.deepEqual(restrictedViolations(scope), [
    'prod Deployment/hello-api: hostNetwork must not be true',
    'prod Deployment/hello-api: volume host is of type hostPath, which the restricted profile forbids',
    'prod Deployment/hello-api: container hello-api: allowPrivilegeEscalation must be false',
    'prod Deployment/hello-api: container hello-api: capabilities.drop must include ALL',
    'prod Deployment/hello-api: container hello-api: capabilities.add must not add NET_ADMIN',
  ]);
  assert.deepEqual(hardeningViolations(scope, UID), [
    'prod Deployment/hello-api: automountServiceAccountToken must be false',
    'prod Deployment/hello-api: container hello-api: readOnlyRootFilesystem must be true',
    'prod Deployment/hello-api: container hello-api: image must not use the latest tag',
    'prod Deployment/hello-api: container hello-api: livenessProbe must be set',
  ]);
});

test('policies catch a root user, a missing seccomp profile and a rollout that drops pods', async (t) => {
  const deployment = await broken(t, (d) => {
    const pod = d.spec?.template.spec;
    assert.ok(pod && d.spec);
    pod.securityContext = { runAsUser: 0 };
    const container = firstContainer(d);
    container.securityContext = { ...container.securityContext };
    delete container.securityContext.runAsNonRoot;
    delete container.securityContext.runAsUser;
    delete container.securityContext.seccompProfile;
    d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } };
    delete d.spec.minReadySeconds;
  });
  if (!deployment) return;
  assert.deepEqual(restrictedViolations(podScope('prod', deployment)), [
    'prod Deployment/hello-api: pod runAsUser must not be 0 (root)',
    'prod Deployment/hello-api: container hello-api: runAsNonRoot must be true (in the container or pod securityContext)',
    'prod Deployment/hello-api: container hello-api: runAsUser must not be 0',
    'prod Deployment/hello-api: container hello-api: seccompProfile.type must be RuntimeDefault or Localhost',
  ]);
  assert.deepEqual(rolloutViolations('prod Deployment/hello-api', deployment), [
    'prod Deployment/hello-api: strategy.rollingUpdate.maxUnavailable must be 0',
    'prod Deployment/hello-api: minReadySeconds must be > 0',
  ]);
});
