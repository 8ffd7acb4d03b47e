// Renders the Kustomize trees under k8s/ with `kubectl kustomize` and parses the output into
// plain objects, so tests can validate and assert on exactly what `kubectl apply -k` would send.
// Renders are cached under .tmp/ by a hash of their inputs, shared by the test processes.
import { createHash, type Hash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Deployment, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { parseAllDocuments } from 'yaml';
import { repoPath } from './paths.js';
import { run } from './run.js';
import { requireTool } from './tools.js';

import { ENVIRONMENTS, type Environment } from '../../scripts/lib/environments.js';

export { ENVIRONMENTS, type Environment };

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** "Deployment/hello-api", the way kubectl names an object. */
export function objectName(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

/** Parses multi-document YAML; a document that is not a Kubernetes object is an error. */
export function parseManifests(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0)
      throw new Error(`${source}: invalid YAML: ${document.errors[0]?.message ?? ''}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    const candidate = value as Partial<K8sObject>;
    if (
      typeof candidate.apiVersion !== 'string' ||
      typeof candidate.kind !== 'string' ||
      typeof candidate.metadata?.name !== 'string'
    )
      throw new Error(`${source}: a document without apiVersion, kind or metadata.name`);
    objects.push(candidate as K8sObject);
  }
  return objects;
}

const rendered = new Map<string, Promise<K8sObject[]>>();

/** The trees a render can read; any change to a file in them changes the cache key. */
// All of k8s/: any tree rendered through this cache (overlays, cluster, monitoring, access) must be
// re-rendered when any of its files changes.
const INPUT_TREES = ['k8s'];
const CACHE_DIR = repoPath('.tmp/k8s-render');
let inputDigest: string | undefined;

function hashTree(hash: Hash, dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    hash.update(`${path}\0`);
    if (entry.isDirectory()) hashTree(hash, path);
    else hash.update(readFileSync(path));
  }
}

/**
 * Cache file of one render: named by a hash of every input file and of the kubectl binary, so
 * the test files (separate processes) share renders and a changed file is always re-rendered.
 */
function cacheFile(kubectl: string, dir: string): string {
  if (inputDigest === undefined) {
    const hash = createHash('sha256');
    for (const tree of INPUT_TREES) hashTree(hash, repoPath(tree));
    const binary = statSync(kubectl);
    hash.update(`${kubectl}\0${binary.size}\0${binary.mtimeMs}`);
    inputDigest = hash.digest('hex');
  }
  const key = createHash('sha256').update(`${inputDigest}\0${dir}`).digest('hex').slice(0, 32);
  return join(CACHE_DIR, `${key}.yaml`);
}

async function renderText(kubectl: string, dir: string): Promise<string> {
  // Copies in temporary directories (absolute paths) are rendered afresh every time.
  const cache = isAbsolute(dir) ? undefined : cacheFile(kubectl, dir);
  if (cache && existsSync(cache)) return readFileSync(cache, 'utf8');
  const out = await run(kubectl, ['kustomize', isAbsolute(dir) ? dir : repoPath(dir)], {
    timeoutMs: 30_000,
  });
  if (out.code !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${out.stderr}`);
  if (cache) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${cache}.${process.pid}`;
    writeFileSync(partial, out.stdout);
    renameSync(partial, cache); // atomic: a reader never sees half a file
  }
  return out.stdout;
}

/** `kubectl kustomize <dir>` (relative to the repository, or absolute), parsed; cached per dir. */
export function kustomize(kubectl: string, dir: string): Promise<K8sObject[]> {
  let result = rendered.get(dir);
  if (!result) {
    result = renderText(kubectl, dir).then((text) => parseManifests(text, dir));
    rendered.set(dir, result);
  }
  return result;
}

export function overlayDir(env: Environment): string {
  return `k8s/overlays/${env}`;
}

/** Every tree under k8s/ this area owns. */
export const TREES = ['k8s/base', ...ENVIRONMENTS.map(overlayDir), 'k8s/cluster'];

/** Renders a directory, or skips the test (fails it under CI=true) when kubectl is missing. */
export async function renderOrSkip(t: TestContext, dir: string): Promise<K8sObject[] | undefined> {
  const kubectl = requireTool(t, 'kubectl', 'renders k8s/ with kubectl kustomize');
  if (!kubectl) return undefined;
  return kustomize(kubectl, dir);
}

/** The 1.30 type of each kind the tests look into. */
interface KindTypes {
  ConfigMap: ConfigMap;
  Deployment: Deployment;
  HorizontalPodAutoscaler: HorizontalPodAutoscaler;
  Namespace: Namespace;
  NetworkPolicy: NetworkPolicy;
  PodDisruptionBudget: PodDisruptionBudget;
  Service: Service;
  ServiceAccount: ServiceAccount;
  StatefulSet: StatefulSet;
}

function only(found: readonly K8sObject[], description: string, where: string): K8sObject {
  const [first, ...rest] = found;
  if (!first || rest.length > 0)
    throw new Error(`${where}: expected exactly one ${description}, found ${found.length}`);
  return first;
}

/** The single object of a kind and name, or an error naming what is missing. */
export function findObject<K extends keyof KindTypes>(
  objects: readonly K8sObject[],
  kind: K,
  name: string,
  where: string,
): KindTypes[K] & K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  return only(found, `${kind}/${name}`, where) as KindTypes[K] & K8sObject;
}

/** The single object of a kind whose name is a prefix plus a generated hash. */
export function findGenerated<K extends keyof KindTypes>(
  objects: readonly K8sObject[],
  kind: K,
  prefix: string,
  where: string,
): KindTypes[K] & K8sObject {
  const found = objects.filter(
    (o) => o.kind === kind && new RegExp(`^${prefix}-[a-z0-9]{10}$`).test(o.metadata.name),
  );
  return only(found, `${kind}/${prefix}-<hash>`, where) as KindTypes[K] & K8sObject;
}

/**
 * The NodePort each environment's rendered overlay gives Service hello-api (what the cluster
 * really opens), or undefined when the test is skipped for want of kubectl.
 */
export async function renderedNodePorts(
  t: TestContext,
): Promise<Record<Environment, number> | undefined> {
  const ports: Partial<Record<Environment, number>> = {};
  for (const env of ENVIRONMENTS) {
    const objects = await renderOrSkip(t, overlayDir(env));
    if (!objects) return undefined;
    const nodePort = findObject(objects, 'Service', 'hello-api', env).spec?.ports?.[0]?.nodePort;
    if (nodePort === undefined)
      throw new Error(`${overlayDir(env)}: Service/hello-api has no nodePort`);
    ports[env] = nodePort;
  }
  return ports as Record<Environment, number>;
}
