// The overlay with the image pinned to a digest, without touching the checked-out overlay: a
// throw-away kustomization that references the overlay and overrides its image, exactly what
// `kustomize edit set image` would write, but needing only kubectl (kustomize is built in) and
// leaving the working tree clean when a deploy fails halfway.
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { DigestRef } from './image-ref.js';

export const APP = 'hello-api';
/**
 * The Deployment annotation an overlay whose replica count an HPA owns uses to say how many pods
 * a fresh environment starts with (k8s/overlays/prod/deployment-patch.yaml).
 */
export const INITIAL_REPLICAS_ANNOTATION = 'hello-api/initial-replicas';

interface RenderedApp {
  namespace: string | undefined;
  image: string | undefined;
  /** spec.replicas as rendered (undefined when the overlay leaves the count to an HPA). */
  replicas: unknown;
  /** The INITIAL_REPLICAS_ANNOTATION value, as written. */
  initialReplicas: string | undefined;
}

interface Container {
  name?: unknown;
  image?: unknown;
}

interface Manifest {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> };
  spec?: { replicas?: unknown; template?: { spec?: { containers?: Container[] } } };
}

/** The hello-api Deployment's namespace, container image and sizing in rendered manifests. */
export function findApp(manifests: string): RenderedApp | undefined {
  for (const document of parseAllDocuments(manifests)) {
    const manifest = document.toJS() as Manifest | null;
    if (manifest?.kind !== 'Deployment' || manifest.metadata?.name !== APP) continue;
    const container = manifest.spec?.template?.spec?.containers?.find((c) => c.name === APP);
    const namespace = manifest.metadata.namespace;
    const initial = manifest.metadata.annotations?.[INITIAL_REPLICAS_ANNOTATION];
    return {
      namespace: typeof namespace === 'string' ? namespace : undefined,
      image: typeof container?.image === 'string' ? container.image : undefined,
      replicas: manifest.spec?.replicas,
      initialReplicas: typeof initial === 'string' ? initial : undefined,
    };
  }
  return undefined;
}

/**
 * Writes `dir/kustomization.yaml` that builds `overlayDir` with the image named `currentName`
 * (as the overlay renders it) replaced by `ref`. Kustomize refuses absolute resource paths, so
 * the overlay is referenced relative to `dir`.
 */
export function writeWrapper(
  dir: string,
  overlayDir: string,
  currentName: string,
  ref: DigestRef,
): string {
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [relative(dir, overlayDir)],
    images: [{ name: currentName, newName: ref.name, digest: ref.digest }],
  };
  const path = join(dir, 'kustomization.yaml');
  writeFileSync(path, stringify(kustomization));
  return path;
}
