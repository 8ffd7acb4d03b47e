// What cluster-up reads from the manifests instead of keeping its own copy: the NodePorts it
// prints, the workloads it waits for and the Secrets the monitoring stack cannot start without.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { must } from './exec.js';
import { ROOT } from './layout.js';

export const CLUSTER_DIR = join(ROOT, 'k8s', 'cluster');
export const MONITORING_DIR = join(ROOT, 'k8s', 'monitoring');
/** The deployers' Roles and RoleBindings (the e2e impersonates them: kind has no GitHub OIDC). */
export const ACCESS_DIR = join(ROOT, 'k8s', 'access');
/**
 * What kind brings itself and k8s/cluster provides for the kubeadm cluster: a local-path
 * provisioner and the default StorageClass. kind's node image ships Rancher's local-path
 * provisioner as Deployment local-path-provisioner in namespace local-path-storage with the
 * default class `standard` (kubernetes-sigs/kind pkg/build/nodeimage/const_storage.go at
 * v0.29.0): applying this file too would replace that Deployment (its selector differs, so the
 * apply fails) and leave two default classes. cluster-up applies k8s/cluster without it.
 */
export const KIND_PROVIDED = join(CLUSTER_DIR, 'local-path-storage.yaml');
export const overlayDir = (env: string): string => join(ROOT, 'k8s', 'overlays', env);

export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null && typeof manifest === 'object');
}

export function render(kubectl: string, dir: string): Manifest[] {
  return parseManifests(must(kubectl, ['kustomize', dir], { quiet: true }).stdout);
}

/** kind/namespace/name: one object's identity. */
export const identity = (manifest: Manifest): string =>
  `${manifest.kind ?? ''}/${manifest.metadata?.namespace ?? ''}/${manifest.metadata?.name ?? ''}`;

/** k8s/cluster as cluster-up applies it on kind: everything but what kind provides itself. */
export function kindClusterManifests(kubectl: string): Manifest[] {
  const provided = new Set(parseManifests(readFileSync(KIND_PROVIDED, 'utf8')).map(identity));
  return render(kubectl, CLUSTER_DIR).filter((manifest) => !provided.has(identity(manifest)));
}

interface ServicePort {
  namespace: string;
  service: string;
  port: number;
  nodePort: number | undefined;
}

/** Every port of every Service, with its NodePort when it has one. */
export function servicePorts(manifests: Manifest[]): ServicePort[] {
  return manifests
    .filter((manifest) => manifest.kind === 'Service')
    .flatMap((service) => {
      const ports = (service.spec?.ports ?? []) as { port?: number; nodePort?: number }[];
      return ports.map((port) => ({
        namespace: service.metadata?.namespace ?? 'default',
        service: service.metadata?.name ?? '',
        port: port.port ?? 0,
        nodePort: port.nodePort,
      }));
    });
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** "namespace", "statefulset/prometheus" pairs for `kubectl rollout status`. */
export function workloads(manifests: Manifest[]): { namespace: string; name: string }[] {
  return manifests
    .filter((manifest) => WORKLOAD_KINDS.has(manifest.kind ?? ''))
    .map((manifest) => ({
      namespace: manifest.metadata?.namespace ?? 'default',
      name: `${(manifest.kind ?? '').toLowerCase()}/${manifest.metadata?.name ?? ''}`,
    }));
}

interface EnvVar {
  valueFrom?: { secretKeyRef?: { name?: string; key?: string; optional?: boolean } };
}

/** Secrets (namespace, name -> keys) that workloads read into env vars and cannot start without. */
export function requiredSecrets(
  manifests: Manifest[],
): Map<string, { namespace: string; name: string; keys: Set<string> }> {
  const secrets = new Map<string, { namespace: string; name: string; keys: Set<string> }>();
  for (const manifest of manifests) {
    if (!WORKLOAD_KINDS.has(manifest.kind ?? '')) continue;
    const template = (manifest.spec?.template ?? {}) as {
      spec?: { containers?: { env?: EnvVar[] }[]; initContainers?: { env?: EnvVar[] }[] };
    };
    const containers = [
      ...(template.spec?.containers ?? []),
      ...(template.spec?.initContainers ?? []),
    ];
    for (const variable of containers.flatMap((container) => container.env ?? [])) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (!ref?.name || !ref.key || ref.optional === true) continue;
      const namespace = manifest.metadata?.namespace ?? 'default';
      const id = `${namespace}/${ref.name}`;
      const entry = secrets.get(id) ?? { namespace, name: ref.name, keys: new Set<string>() };
      entry.keys.add(ref.key);
      secrets.set(id, entry);
    }
  }
  return secrets;
}
