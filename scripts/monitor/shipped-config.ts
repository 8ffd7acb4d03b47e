// The monitoring configuration exactly as k8s/monitoring ships it: the data of every ConfigMap
// that kustomization.yaml generates from files (key = file name, as kustomize names it). Tests,
// the live stack and `make monitor` all start from here, so nothing keeps a second copy.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { RECEIVER_SECRETS_DIR } from './receivers.js';

const MONITORING_DIR = fileURLToPath(new URL('../../k8s/monitoring/', import.meta.url));
const KUSTOMIZATION = join(MONITORING_DIR, 'kustomization.yaml');

interface Generator {
  name: string;
  files?: string[];
}

/** One generated ConfigMap: its name and data (file name -> content), and where each file is. */
interface ShippedConfigMap {
  name: string;
  data: Record<string, string>;
  paths: Record<string, string>;
}

export function shippedConfigMaps(): Map<string, ShippedConfigMap> {
  const kustomization = parse(readFileSync(KUSTOMIZATION, 'utf8')) as {
    configMapGenerator?: Generator[];
  };
  const maps = new Map<string, ShippedConfigMap>();
  for (const generator of kustomization.configMapGenerator ?? []) {
    const map: ShippedConfigMap = { name: generator.name, data: {}, paths: {} };
    for (const file of generator.files ?? []) {
      // kustomize accepts "key=path"; the key defaults to the file's base name.
      const [key, path] = file.includes('=') ? file.split('=', 2) : [basename(file), file];
      if (key === undefined || path === undefined) continue;
      const absolute = join(dirname(KUSTOMIZATION), path);
      map.paths[key] = absolute;
      map.data[key] = readFileSync(absolute, 'utf8');
    }
    maps.set(generator.name, map);
  }
  return maps;
}

export function shippedConfigMap(name: string): ShippedConfigMap {
  const map = shippedConfigMaps().get(name);
  if (!map) throw new Error(`${KUSTOMIZATION}: no configMapGenerator named ${name}`);
  return map;
}

/** The ConfigMaps the monitoring stack is made of, by role. */
export const CONFIG_MAPS = {
  prometheus: 'prometheus-config',
  rules: 'prometheus-rules',
  alertmanager: 'alertmanager-config',
  dashboards: 'grafana-dashboards',
} as const;

export const PROMETHEUS_CONFIG_KEY = 'prometheus.yml';
export const ALERTMANAGER_CONFIG_KEY = 'alertmanager.yml';

/**
 * Receiver name -> the Secret key (file name under RECEIVER_SECRETS_DIR) the shipped
 * alertmanager.yml reads its URL from, as the file says (receivers.ts lists what it must say).
 */
export function receiverSecretKeys(): Map<string, string> {
  const text = shippedConfigMap(CONFIG_MAPS.alertmanager).data[ALERTMANAGER_CONFIG_KEY] ?? '';
  const config = parse(text) as {
    receivers?: { name: string; [integration: string]: unknown }[];
  };
  const keys = new Map<string, string>();
  for (const receiver of config.receivers ?? []) {
    for (const [field, value] of Object.entries(receiver)) {
      if (!field.endsWith('_configs') || !Array.isArray(value)) continue;
      for (const integration of value as Record<string, unknown>[]) {
        for (const setting of Object.values(integration)) {
          if (typeof setting === 'string' && setting.startsWith(`${RECEIVER_SECRETS_DIR}/`)) {
            keys.set(receiver.name, setting.slice(RECEIVER_SECRETS_DIR.length + 1));
          }
        }
      }
    }
  }
  return keys;
}

/**
 * The --enable-feature flags the shipped Prometheus StatefulSet runs with (exemplar storage), so
 * the local Prometheus stores what the cluster's does.
 */
export function shippedPrometheusFeatureFlags(): string[] {
  const text = readFileSync(join(MONITORING_DIR, 'prometheus', 'statefulset.yaml'), 'utf8');
  const set = parse(text) as {
    spec: { template: { spec: { containers: { name: string; args?: string[] }[] } } };
  };
  const prometheus = set.spec.template.spec.containers.find((c) => c.name === 'prometheus');
  return (prometheus?.args ?? []).filter((arg) => arg.startsWith('--enable-feature='));
}
