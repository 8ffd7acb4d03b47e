// Every assumption the e2e suite makes about names in the manifests, in one module: namespaces,
// Services, ports, Secret names and keys, labels, scrape job names, and which connections the
// NetworkPolicies allow. What can be read from the manifests themselves is derived here (NodePorts,
// receiver Secret keys, Grafana datasource and dashboards); the rest is written down once, each
// with where it comes from, so a change in k8s/ means a change here and nowhere else in test/e2e.
import { parse } from 'yaml';
import {
  ENVIRONMENTS,
  MONITORING_DIR,
  overlayDir,
  render,
} from '../../../scripts/cluster/manifests.js';
import { environmentUrl, monitoringAddresses } from '../../../scripts/cluster/urls.js';
import {
  CONFIG_MAPS,
  receiverSecretKeys,
  shippedConfigMap,
} from '../../../scripts/monitor/shipped-config.js';

export { ENVIRONMENTS };
export type Environment = (typeof ENVIRONMENTS)[number];

/** k8s/base: the Deployment, its container, its pods' label and port. */
export const APP = {
  deployment: 'hello-api',
  container: 'hello-api',
  selector: 'app.kubernetes.io/name=hello-api',
  port: 8000,
} as const;

/** k8s/monitoring: namespace, Services, workloads and the Secrets the suite reads or writes. */
export const MONITORING = {
  namespace: 'monitoring',
  prometheus: { service: 'prometheus', port: 9090 },
  alertmanager: { service: 'alertmanager', port: 9093, workload: 'deployment/alertmanager' },
  grafana: {
    service: 'grafana',
    port: 3000,
    adminSecret: 'grafana-admin',
    userKey: 'admin-user',
    passwordKey: 'admin-password',
  },
  kubeStateMetrics: { service: 'kube-state-metrics', port: 8080 },
  /** Receiver URLs, one file (key) per receiver (alertmanager.yml *_file settings). */
  receiversSecret: 'alertmanager-receivers',
} as const;

/** Scrape job names in k8s/monitoring/prometheus/prometheus.yml the suite expects up. */
export const SCRAPE_JOBS = {
  app: 'hello-api',
  cadvisor: 'kubelet-cadvisor',
  kubeStateMetrics: 'kube-state-metrics',
  apiserver: 'apiserver',
} as const;

/** Alerts the suite makes fire (k8s/monitoring/prometheus/rules). */
export const ALERTS = {
  errorRate: 'HelloApiHighErrorRate',
  watchdog: 'Watchdog',
  /** The environment whose pods accept fault injection (FAULT_INJECTION_ENABLED in its overlay). */
  faultEnvironment: 'dev' as Environment,
} as const;

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

/** From a hello-api pod in dev: default-deny-all egress with only DNS allowed (k8s/base). */
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

/** http://127.0.0.1:<NodePort> of each environment, as the kind config publishes it. */
export function environmentUrls(kubectl = 'kubectl'): Record<Environment, string> {
  const urls = {} as Record<Environment, string>;
  for (const env of ENVIRONMENTS) urls[env] = environmentUrl(render(kubectl, overlayDir(env)), env);
  return urls;
}

/** Prometheus's URL through its NodePort. */
export function prometheusUrl(kubectl = 'kubectl'): string {
  const address = monitoringAddresses(render(kubectl, MONITORING_DIR)).find(
    (ui) => ui.name === MONITORING.prometheus.service,
  );
  if (!address || address.portForward !== undefined)
    throw new Error(
      'k8s/monitoring renders no NodePort for Prometheus; the suite reaches it there',
    );
  return address.url;
}

/** Receiver name -> Secret key holding its URL, from the shipped alertmanager.yml. */
export function receiverKeys(): Map<string, string> {
  return receiverSecretKeys();
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

/** Grafana's provisioned datasource uids (k8s/monitoring/grafana/datasources.yaml). */
export function grafanaDatasourceUids(): string[] {
  const map = shippedConfigMap('grafana-datasources');
  return Object.values(map.data).flatMap((text) => {
    const parsed = parse(text) as { datasources?: { uid?: string }[] };
    return (parsed.datasources ?? []).map((source) => source.uid ?? '').filter(Boolean);
  });
}

/** Uid and title of every shipped dashboard. */
export function grafanaDashboards(): { uid: string; title: string }[] {
  return Object.values(shippedConfigMap(CONFIG_MAPS.dashboards).data).map((text) => {
    const dashboard = JSON.parse(text) as { uid: string; title: string };
    return { uid: dashboard.uid, title: dashboard.title };
  });
}
