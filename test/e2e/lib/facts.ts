// Every assumption the e2e suite makes about names in the manifests, in one module: namespaces,
// Services, ports, workloads, Secret names and keys, labels, scrape jobs, users, and which
// connections the NetworkPolicies allow. What can be read from the manifests and the monitoring
// configuration is derived here (NodePorts, StatefulSets and their volumes, receiver Secret keys,
// scrape jobs, the rules mount, the deployer users, the label policy's admin groups, the HPA and
// prod's initial size); the rest is written down once, each with where it comes from, so a change
// in k8s/ means a change here and nowhere else in test/e2e. test/cluster/facts.test.ts checks
// every one of them against the manifests in `make test`.
import { parse } from 'yaml';
import {
  ACCESS_DIR,
  CLUSTER_DIR,
  MONITORING_DIR,
  overlayDir,
  render,
  type Manifest,
} from '../../../scripts/cluster/manifests.js';
import { environmentUrl, monitoringAddresses } from '../../../scripts/cluster/urls.js';
import { INITIAL_REPLICAS_ANNOTATION } from '../../../scripts/deploy/render.js';
import { ENVIRONMENTS, type Environment } from '../../../scripts/lib/environments.js';
import {
  RECEIVER_SECRET_KEYS,
  RECEIVER_SECRET_NAME,
  type ReceiverName,
} from '../../../scripts/monitor/receivers.js';
import {
  CONFIG_MAPS,
  PROMETHEUS_CONFIG_KEY,
  shippedConfigMap,
} from '../../../scripts/monitor/shipped-config.js';

export { ENVIRONMENTS, type Environment };

/** k8s/base: the Deployment, its container, its pods' label and port. */
export const APP = {
  deployment: 'hello-api',
  container: 'hello-api',
  selector: 'app.kubernetes.io/name=hello-api',
  port: 8000,
} as const;

/** k8s/monitoring: namespace, Services, workloads, ConfigMaps and the Secrets the suite touches. */
export const MONITORING = {
  namespace: 'monitoring',
  prometheus: {
    service: 'prometheus',
    port: 9090,
    statefulSet: 'prometheus',
    container: 'prometheus',
  },
  alertmanager: {
    service: 'alertmanager',
    port: 9093,
    statefulSet: 'alertmanager',
    container: 'alertmanager',
  },
  grafana: {
    service: 'grafana',
    port: 3000,
    adminSecret: 'grafana-admin',
    userKey: 'admin-user',
    passwordKey: 'admin-password',
  },
  kubeStateMetrics: { service: 'kube-state-metrics', port: 8080 },
  /** Receiver URLs, one file (key) per receiver (scripts/monitor/receivers.ts). */
  receiversSecret: RECEIVER_SECRET_NAME,
  /** The fixed-name ConfigMaps the config reloaders watch (k8s/monitoring/kustomization.yaml). */
  rulesConfigMap: CONFIG_MAPS.rules,
  alertmanagerConfigMap: CONFIG_MAPS.alertmanager,
} as const;

/** Scrape jobs in k8s/monitoring/prometheus/prometheus.yml the suite reads by name. */
export const SCRAPE_JOBS = {
  app: 'hello-api',
  kubeStateMetrics: 'kube-state-metrics',
  alertmanager: 'alertmanager',
  prometheus: 'prometheus',
} as const;

/**
 * Scrape jobs the kind cluster cannot serve, each with the reason; the suite expects every other
 * job of prometheus.yml to have all its targets up. None: etcd's metrics listener is opened on
 * the node address by scripts/cluster/kind-config.yaml, CoreDNS is kubeadm's (Service kube-dns
 * with port "metrics"), node-exporter runs unprivileged in the node containers, and the
 * components bound to 127.0.0.1 by kubeadm (kube-scheduler, kube-controller-manager, kube-proxy)
 * are not scraped by k8s/monitoring at all.
 */
export const KIND_UNSERVED_JOBS: Readonly<Record<string, string>> = {};

/** How many targets a job has where that is not just "at least one, all up". */
export type TargetCount = 'every node' | 'every control-plane node' | 'every replica';
export const TARGET_COUNTS: Readonly<Record<string, TargetCount>> = {
  'kubelet-cadvisor': 'every node',
  'node-exporter': 'every node',
  etcd: 'every control-plane node',
  apiserver: 'every control-plane node',
  alertmanager: 'every replica',
};

/** Alerts the suite makes fire (k8s/monitoring/prometheus/rules). */
export const ALERTS = {
  errorRate: 'HelloApiHighErrorRate',
  watchdog: 'Watchdog',
  /** The environment whose pods accept fault injection (FAULT_INJECTION_ENABLED in its overlay). */
  faultEnvironment: 'dev' as Environment,
} as const;

/** The dead man's switch: the receiver the Watchdog is routed to (alertmanager.yml). */
export const HEARTBEAT_RECEIVER: ReceiverName = 'heartbeat';

/** The environment with the HorizontalPodAutoscaler (k8s/overlays/prod). */
export const AUTOSCALED: Environment = 'prod';
/** Where the failed-rollout test deploys a broken image: no fault injection, not autoscaled. */
export const ROLLBACK_ENVIRONMENT: Environment = 'stage';

/**
 * Metric names whose series exist only while a condition holds (kube-state-metrics emits them
 * for containers in that state); the suite creates a crash-looping pod so they have data.
 */
export const CONDITIONAL_METRICS: Record<string, string> = {
  kube_pod_container_status_waiting_reason: 'a container waiting (CrashLoopBackOff)',
  kube_pod_container_status_last_terminated_reason: 'a container that terminated and restarted',
};

/** Namespaces the suite creates for its own pods (fixtures, receiver, probes); removed after. */
export const SUITE_NAMESPACES = {
  fixtures: 'e2e-fixtures',
  receiver: 'e2e-alert-receiver',
  probe: 'e2e-probe',
} as const;

/**
 * What the hot-reload check adds and looks for: a rules file in the prometheus-rules ConfigMap
 * (its key must match prometheus.yml's rule_files glob where the StatefulSet mounts the map) with
 * one recording rule, a receiver in alertmanager.yml, and each process's last-successful-reload
 * metric.
 */
export const RELOAD = {
  ruleKey: 'e2e-reload-check.rules.yml',
  group: 'e2e-reload-check',
  record: 'e2e:reload_check:one',
  /** A receiver no route uses, added to alertmanager.yml: harmless, and visible once loaded. */
  receiver: 'e2e-reload-check',
  prometheusMetric: 'prometheus_config_last_reload_success_timestamp_seconds',
  alertmanagerMetric: 'alertmanager_config_last_reload_success_timestamp_seconds',
} as const;

/** The Pod Security Admission labels only cluster admins may change (k8s/cluster). */
export const PSA_LABEL_PREFIX = 'pod-security.kubernetes.io/';

/**
 * A user of the suite's own, given RBAC to patch namespaces for one test: a non-admin whom RBAC
 * lets through, so only the admission policy stands between it and a relabel.
 */
export const NAMESPACE_EDITOR = 'e2e:namespace-editor';

export interface Reachability {
  /** What is tried, for the log. */
  name: string;
  url: string;
  allowed: boolean;
  /** The NetworkPolicy that decides it. */
  because: string;
}

const svc = (name: string, namespace: string, port: number) =>
  `http://${name}.${namespace}.svc.cluster.local:${port}`;

/**
 * From a pod in a namespace of its own (no policies there), what k8s/base/network-policies.yaml
 * and k8s/monitoring/network-policies.yaml let through.
 */
export function fromOtherNamespace(): Reachability[] {
  const m = MONITORING;
  return [
    ...ENVIRONMENTS.map((env) => ({
      name: `hello-api in ${env}`,
      url: `${svc(APP.deployment, env, APP.port)}/healthz`,
      allowed: true,
      because: `${env}/allow-http-ingress (port 8000 from anywhere, for the NodePort)`,
    })),
    {
      name: 'Prometheus',
      url: `${svc(m.prometheus.service, m.namespace, m.prometheus.port)}/-/ready`,
      allowed: true,
      because: 'monitoring/allow-prometheus-http (its UI and API from anywhere)',
    },
    {
      name: 'Grafana',
      url: `${svc(m.grafana.service, m.namespace, m.grafana.port)}/api/health`,
      allowed: true,
      because: 'monitoring/allow-grafana-http (its UI from anywhere in the cluster)',
    },
    {
      name: 'Alertmanager',
      url: `${svc(m.alertmanager.service, m.namespace, m.alertmanager.port)}/-/ready`,
      allowed: false,
      because: 'monitoring/allow-alertmanager-from-prometheus (Prometheus only)',
    },
    {
      name: 'kube-state-metrics',
      url: `${svc(m.kubeStateMetrics.service, m.namespace, m.kubeStateMetrics.port)}/metrics`,
      allowed: false,
      because: 'monitoring/allow-kube-state-metrics-from-prometheus (Prometheus only)',
    },
  ];
}

/** The environment whose hello-api pod the egress checks run from. */
export const EGRESS_SOURCE: Environment = 'dev';

/**
 * From a hello-api pod in dev: default-deny-all egress with DNS and Tempo's OTLP port allowed
 * (k8s/base; Tempo's reach is 70-tracing's to prove).
 */
export function fromAppPod(): Reachability[] {
  return [
    {
      name: 'hello-api in prod from a dev pod',
      url: `${svc(APP.deployment, 'prod', APP.port)}/healthz`,
      allowed: false,
      because: `${EGRESS_SOURCE}/default-deny-all (egress): environments cannot call each other`,
    },
    {
      name: 'Prometheus from a hello-api pod',
      url: `${svc(MONITORING.prometheus.service, MONITORING.namespace, MONITORING.prometheus.port)}/-/ready`,
      allowed: false,
      because: 'default-deny-all (egress) with allow-dns-egress only',
    },
  ];
}

// ---- derived from the manifests -------------------------------------------------------------

const rendered = new Map<string, Manifest[]>();
/** Each tree rendered once per process (kubectl kustomize takes a moment). */
function tree(dir: string, kubectl: string): Manifest[] {
  const cached = rendered.get(dir) ?? render(kubectl, dir);
  rendered.set(dir, cached);
  return cached;
}

function find(manifests: Manifest[], kind: string, name: string, namespace?: string): Manifest {
  const found = manifests.find(
    (m) =>
      m.kind === kind &&
      m.metadata?.name === name &&
      (namespace === undefined || m.metadata.namespace === namespace),
  );
  if (!found) throw new Error(`no ${kind} ${namespace ?? ''}/${name} in the rendered manifests`);
  return found;
}

/** http://127.0.0.1:<NodePort> of each environment, as the kind config publishes it. */
export function environmentUrls(kubectl = 'kubectl'): Record<Environment, string> {
  const urls = {} as Record<Environment, string>;
  for (const env of ENVIRONMENTS) urls[env] = environmentUrl(tree(overlayDir(env), kubectl), env);
  return urls;
}

/** Prometheus's URL through its NodePort. */
export function prometheusUrl(kubectl = 'kubectl'): string {
  const address = monitoringAddresses(tree(MONITORING_DIR, kubectl)).find(
    (ui) => ui.name === MONITORING.prometheus.service,
  );
  if (!address || address.portForward !== undefined)
    throw new Error(
      'k8s/monitoring renders no NodePort for Prometheus; the suite reaches it there',
    );
  return address.url;
}

export interface StatefulSetFacts {
  name: string;
  replicas: number;
  /** <name>-<ordinal>, as the StatefulSet controller names its pods. */
  pods: string[];
  /** <claim template>-<pod>, the PersistentVolumeClaims the controller creates for them. */
  claims: string[];
}

/** A monitoring StatefulSet: its replicas, pod and claim names. */
export function statefulSet(name: string, kubectl = 'kubectl'): StatefulSetFacts {
  const set = find(tree(MONITORING_DIR, kubectl), 'StatefulSet', name, MONITORING.namespace);
  const spec = set.spec as {
    replicas?: number;
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
  const replicas = spec.replicas ?? 1;
  const pods = Array.from({ length: replicas }, (_, i) => `${name}-${i}`);
  const templates = (spec.volumeClaimTemplates ?? []).map((claim) => claim.metadata.name);
  return {
    name,
    replicas,
    pods,
    claims: pods.flatMap((pod) => templates.map((template) => `${template}-${pod}`)),
  };
}

/** Where the Prometheus StatefulSet mounts the rules ConfigMap. */
export function rulesMountPath(kubectl = 'kubectl'): string {
  const set = find(
    tree(MONITORING_DIR, kubectl),
    'StatefulSet',
    MONITORING.prometheus.statefulSet,
    MONITORING.namespace,
  );
  const pod = (set.spec as { template: { spec: PodSpecLike } }).template.spec;
  const volume = (pod.volumes ?? []).find((v) => v.configMap?.name === MONITORING.rulesConfigMap);
  const mount = (pod.containers ?? [])
    .find((c) => c.name === MONITORING.prometheus.container)
    ?.volumeMounts?.find((m) => m.name === volume?.name);
  if (!mount) throw new Error(`Prometheus does not mount ConfigMap ${MONITORING.rulesConfigMap}`);
  return mount.mountPath;
}

interface PodSpecLike {
  volumes?: { name: string; configMap?: { name: string } }[];
  containers?: { name: string; volumeMounts?: { name: string; mountPath: string }[] }[];
}

/** The parts of the shipped prometheus.yml the suite reads. */
export interface PrometheusConfig {
  rule_files?: string[];
  scrape_configs?: {
    job_name: string;
    relabel_configs?: { target_label?: string; replacement?: string }[];
  }[];
}

export function prometheusConfig(): PrometheusConfig {
  return parse(
    shippedConfigMap(CONFIG_MAPS.prometheus).data[PROMETHEUS_CONFIG_KEY] ?? '',
  ) as PrometheusConfig;
}

/** Every scrape job of the shipped prometheus.yml, in its order. */
export function scrapeJobs(): string[] {
  return (prometheusConfig().scrape_configs ?? []).map((job) => job.job_name);
}

/** The rule_files globs of the shipped prometheus.yml. */
export function ruleFileGlobs(): string[] {
  return prometheusConfig().rule_files ?? [];
}

/** Receiver name -> Secret key holding its URL: scripts/monitor/receivers.ts, the one list. */
export function receiverKeys(): Map<string, string> {
  return new Map(Object.entries(RECEIVER_SECRET_KEYS));
}

interface Route {
  receiver?: string;
  matchers?: string[];
  routes?: Route[];
}

/** The receiver the shipped routing tree sends an alert with exactly these matchers to. */
export function receiverOfAlert(alertname: string): string | undefined {
  const text = Object.values(shippedConfigMap(CONFIG_MAPS.alertmanager).data)[0] ?? '';
  const config = parse(text) as { route?: Route };
  const route = config.route?.routes?.find((child) =>
    (child.matchers ?? []).some(
      (matcher) => matcher.replace(/\s/g, '') === `alertname="${alertname}"`,
    ),
  );
  return route?.receiver;
}

/**
 * The alerts whose firing inhibits `alertname` in the shipped alertmanager.yml (inhibit_rules
 * with a source `alertname="..."` matcher and a target matching it exactly).
 */
export function inhibitorsOf(alertname: string): string[] {
  const text = Object.values(shippedConfigMap(CONFIG_MAPS.alertmanager).data)[0] ?? '';
  const config = parse(text) as {
    inhibit_rules?: { source_matchers?: string[]; target_matchers?: string[] }[];
  };
  const named = (matchers: string[] | undefined) =>
    (matchers ?? [])
      .map((m) => /^alertname="([^"]+)"$/.exec(m.replace(/\s/g, ''))?.[1])
      .filter((name): name is string => name !== undefined);
  return (config.inhibit_rules ?? [])
    .filter((rule) => named(rule.target_matchers).includes(alertname))
    .flatMap((rule) => named(rule.source_matchers));
}

/** Grafana's provisioned datasources, uid and type (k8s/monitoring/grafana/datasources.yaml). */
export function grafanaDatasources(): { uid: string; type: string }[] {
  const map = shippedConfigMap('grafana-datasources');
  return Object.values(map.data).flatMap((text) => {
    const parsed = parse(text) as { datasources?: { uid?: string; type?: string }[] };
    return (parsed.datasources ?? []).map((source) => ({
      uid: source.uid ?? '',
      type: source.type ?? '',
    }));
  });
}

/**
 * How the suite proves a datasource of each type answers through Grafana. Prometheus has a
 * backend health check (GET /api/datasources/uid/<uid>/health: 200 with status "OK"). For Tempo
 * the suite makes the request Grafana's own data source test makes from the browser
 * (grafana/grafana public/app/plugins/datasource/tempo/datasource.ts, testDatasource): Tempo's
 * GET /api/echo, which answers "echo" (grafana.com/docs/tempo/latest/api_docs/), through the
 * datasource proxy; that holds whether or not a Grafana version also checks Tempo in its
 * backend. test/cluster/facts.test.ts fails when a provisioned type has no entry here.
 */
export const DATASOURCE_CHECKS: Readonly<
  Record<
    string,
    { path: (uid: string) => string; answers: (status: number, body: string) => boolean }
  >
> = {
  prometheus: {
    path: (uid) => `/api/datasources/uid/${uid}/health`,
    answers: (status, body) =>
      status === 200 && (JSON.parse(body) as { status?: string }).status === 'OK',
  },
  tempo: {
    path: (uid) => `/api/datasources/proxy/uid/${uid}/api/echo`,
    answers: (status, body) => status === 200 && body.trim() === 'echo',
  },
};

/** Uid and title of every shipped dashboard. */
export function grafanaDashboards(): { uid: string; title: string }[] {
  return Object.values(shippedConfigMap(CONFIG_MAPS.dashboards).data).map((text) => {
    const dashboard = JSON.parse(text) as { uid: string; title: string };
    return { uid: dashboard.uid, title: dashboard.title };
  });
}

/** The User the RoleBinding `deployer` in an environment's namespace binds (k8s/access). */
export function deployerUser(env: Environment, kubectl = 'kubectl'): string {
  const binding = find(tree(ACCESS_DIR, kubectl), 'RoleBinding', 'deployer', env) as Manifest & {
    subjects?: { kind: string; name: string }[];
  };
  const user = (binding.subjects ?? []).find((subject) => subject.kind === 'User');
  if (!user) throw new Error(`RoleBinding ${env}/deployer binds no User`);
  return user.name;
}

/** Kinds (apiVersion, kind) an environment's overlay renders: what its deployer must apply. */
export function renderedKinds(env: Environment, kubectl = 'kubectl'): string[][] {
  const kinds = new Set(
    tree(overlayDir(env), kubectl).map((m) => `${m.apiVersion ?? ''} ${m.kind ?? ''}`),
  );
  return [...kinds].sort().map((entry) => entry.split(' '));
}

/**
 * The label policy of k8s/cluster: its name, and the groups its match condition leaves out
 * (`'<group>' in request.userInfo.groups`): the cluster admins it lets change PSA labels.
 */
export function labelPolicy(kubectl = 'kubectl'): { name: string; adminGroups: string[] } {
  const policy = tree(CLUSTER_DIR, kubectl).find((m) => m.kind === 'ValidatingAdmissionPolicy');
  if (!policy?.metadata?.name) throw new Error('k8s/cluster renders no ValidatingAdmissionPolicy');
  const conditions = (policy.spec as { matchConditions?: { expression: string }[] })
    .matchConditions;
  const groups = (conditions ?? []).flatMap((condition) =>
    [...condition.expression.matchAll(/'([^']+)' in request\.userInfo\.groups/g)].map(
      (match) => match[1] ?? '',
    ),
  );
  return { name: policy.metadata.name, adminGroups: groups };
}

/** The variable that, when set, makes PUT /faults require `Authorization: Bearer <it>`. */
export const FAULT_TOKEN_VARIABLE = 'FAULT_TOKEN';

/**
 * The Secret and key the fault environment's hello-api container reads FAULT_TOKEN from, or
 * undefined when its overlay gives it none (then PUT /faults needs no token). Without the
 * Secret the pods start and serve the fault settings read-only, so the alerting check creates
 * it for its run (docs/kubernetes.md, "The fault token").
 */
export function faultTokenSecret(kubectl = 'kubectl'): { name: string; key: string } | undefined {
  const deployment = find(
    tree(overlayDir(ALERTS.faultEnvironment), kubectl),
    'Deployment',
    APP.deployment,
  );
  const pod = (
    deployment.spec as {
      template: {
        spec: {
          containers: {
            name: string;
            env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
          }[];
        };
      };
    }
  ).template.spec;
  const ref = pod.containers
    .find((c) => c.name === APP.container)
    ?.env?.find((variable) => variable.name === FAULT_TOKEN_VARIABLE)?.valueFrom?.secretKeyRef;
  return ref === undefined ? undefined : { name: ref.name, key: ref.key };
}

/** The size the deploy scales a fresh Deployment of `env` to, if its overlay names one. */
export function initialReplicas(env: Environment, kubectl = 'kubectl'): number | undefined {
  const deployment = find(
    tree(overlayDir(env), kubectl),
    'Deployment',
    APP.deployment,
  ) as Manifest & {
    metadata: { annotations?: Record<string, string> };
  };
  const value = deployment.metadata.annotations?.[INITIAL_REPLICAS_ANNOTATION];
  return value === undefined ? undefined : Number(value);
}

/** The autoscaled environment's HPA bounds and the size a fresh Deployment starts at. */
export function autoscaling(kubectl = 'kubectl'): {
  minReplicas: number;
  maxReplicas: number;
  initialReplicas: number;
} {
  const hpa = find(
    tree(overlayDir(AUTOSCALED), kubectl),
    'HorizontalPodAutoscaler',
    APP.deployment,
  );
  const spec = hpa.spec as { minReplicas?: number; maxReplicas: number };
  return {
    minReplicas: spec.minReplicas ?? 1,
    maxReplicas: spec.maxReplicas,
    initialReplicas: initialReplicas(AUTOSCALED, kubectl) ?? Number.NaN,
  };
}
