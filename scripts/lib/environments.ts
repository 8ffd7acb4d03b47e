// The deploy environments and the NodePorts they answer on, read from k8s/ where they are
// defined, so no script or test writes a NodePort down again. An environment is an overlay
// (k8s/overlays/<env>), deployed into the namespace of its name; its NodePort is the one its
// Service patch sets. OpenTofu reads the same files (opentofu/nodes.tf), and the workflow asks
// scripts/deploy/node-port.ts; test/k8s/shared-facts.test.ts checks these against the rendered
// overlays and every other place that names an environment or a NodePort.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const K8S_DIR = fileURLToPath(new URL('../../k8s/', import.meta.url));

/** In promotion order; each is a folder of k8s/overlays (test/k8s/shared-facts.test.ts). */
export const ENVIRONMENTS = ['dev', 'stage', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function isEnvironment(name: string): name is Environment {
  return (ENVIRONMENTS as readonly string[]).includes(name);
}

/** The file of each environment that sets its NodePort. */
const servicePatchFile = (env: Environment): string =>
  join(K8S_DIR, 'overlays', env, 'service-patch.yaml');

interface ServiceManifest {
  kind?: string;
  spec?: { ports?: { nodePort?: unknown }[] };
}

/** The one nodePort a Service manifest sets; an error names the file when there is not one. */
function soleNodePort(file: string): number {
  const service = parse(readFileSync(file, 'utf8')) as ServiceManifest | null;
  const ports = (service?.spec?.ports ?? []).map((port) => port.nodePort);
  const [port, ...others] = ports.filter((value) => value !== undefined);
  if (service?.kind !== 'Service' || others.length > 0 || !Number.isInteger(port))
    throw new Error(`${file}: expected a Service with exactly one whole-number nodePort`);
  return port as number;
}

/** The NodePort an environment's Service answers on, e.g. 30080 for dev. */
export function nodePort(env: Environment): number {
  return soleNodePort(servicePatchFile(env));
}

interface Kustomization {
  configMapGenerator?: { name: string; literals?: string[] }[];
}

/**
 * The NODE_OPTIONS an environment's pods run with: the literal its overlay's configMapGenerator
 * sets (k8s/overlays/<env>/kustomization.yaml), so the bench and the memory tests run the
 * service with the V8 flags that environment gives it.
 */
export function overlayNodeOptions(env: Environment): string {
  const path = join(K8S_DIR, 'overlays', env, 'kustomization.yaml');
  const kustomization = parse(readFileSync(path, 'utf8')) as Kustomization | null;
  const literal = kustomization?.configMapGenerator
    ?.flatMap((generator) => generator.literals ?? [])
    .find((entry) => entry.startsWith('NODE_OPTIONS='));
  if (literal === undefined) throw new Error(`${path}: no NODE_OPTIONS literal`);
  return literal.slice('NODE_OPTIONS='.length);
}
