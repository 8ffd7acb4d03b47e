// The addresses cluster-up prints, read from the rendered Services: a NodePort is published on
// 127.0.0.1 by the kind config; a Service without one is reached through `kubectl port-forward`.
import { KUBECONFIG_PATH } from './layout.js';
import { servicePorts, type Manifest } from './manifests.js';

/** The monitoring UIs an operator opens (Service names in k8s/monitoring). */
const MONITORING_UIS = ['prometheus', 'alertmanager', 'grafana'] as const;
export const APP_SERVICE = 'hello-api';

export function environmentUrl(manifests: Manifest[], env: string): string {
  const port = servicePorts(manifests).find(
    (entry) => entry.service === APP_SERVICE && entry.nodePort !== undefined,
  );
  if (port?.nodePort === undefined)
    throw new Error(`k8s/overlays/${env} renders no NodePort for Service ${APP_SERVICE}`);
  return `http://127.0.0.1:${port.nodePort}`;
}

interface UiAddress {
  name: string;
  url: string;
  /** The command that makes the URL work, when the Service has no NodePort. */
  portForward: string | undefined;
}

export function monitoringAddresses(monitoring: Manifest[]): UiAddress[] {
  const ports = servicePorts(monitoring);
  return MONITORING_UIS.flatMap((name): UiAddress[] => {
    const entry = ports.find((port) => port.service === name);
    if (!entry) return [];
    if (entry.nodePort !== undefined)
      return [{ name, url: `http://127.0.0.1:${entry.nodePort}`, portForward: undefined }];
    return [
      {
        name,
        url: `http://127.0.0.1:${entry.port}`,
        portForward: `kubectl -n ${entry.namespace} port-forward svc/${name} ${entry.port}`,
      },
    ];
  });
}

export function printUrls(
  overlays: { env: string; manifests: Manifest[] }[],
  monitoring: Manifest[],
): void {
  const lines = [
    '',
    'cluster-up: hello-api is running on kind',
    ...overlays.map(
      ({ env, manifests }) => `  ${env.padEnd(13)} ${environmentUrl(manifests, env)}`,
    ),
    ...monitoringAddresses(monitoring).map(
      (ui) =>
        `  ${ui.name.padEnd(13)} ${ui.url}${ui.portForward ? `   (after: ${ui.portForward})` : ''}`,
    ),
    `  kubectl:      export KUBECONFIG=${KUBECONFIG_PATH}`,
    "  Grafana login: admin / kubectl -n monitoring get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d",
    '  make e2e tests it; make cluster-down removes it.',
  ];
  console.log(lines.join('\n'));
}
