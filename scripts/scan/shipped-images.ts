// Every third-party container image the repository ships, read from what is really applied: each
// Kustomize tree under k8s/ that nothing else includes, rendered with `kubectl kustomize`, plus
// any extra rendered manifest (the Canal manifest the control plane downloads). Images are taken
// from every container list of every object, and from pod specs embedded in ConfigMaps (the
// local-path provisioner's helper pod). hello-api's own image is left out: the overlays carry a
// placeholder the deploy replaces by the built digest, which the pipeline scans itself.
// The pipeline's shipped-images job prints this list and scans each image with Trivy.
// Usage: tsx scripts/scan/shipped-images.ts [--json] [--manifest FILE]...
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { APP, findApp } from '../deploy/render.js';
import { findExecutable } from '../lib/find-executable.js';
import { runCommand } from '../lib/run-command.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

export interface ShippedImage {
  /** What Trivy scans: `repository@sha256:...` when the manifest pins a digest, else as written. */
  ref: string;
  /** The reference without its digest, for people: `repository:tag`. */
  name: string;
  /** `name` with every character but letters, digits, `.`, `_` and `-` replaced: a SARIF category. */
  slug: string;
  /** Where it was found: kustomization directories (relative to the repository) or files. */
  sources: string[];
}

/** Every kustomization.yaml directory under `k8sDir` that no other one includes: the trees applied. */
export function kustomizationRoots(k8sDir: string): string[] {
  const dirs = readdirSync(k8sDir, { recursive: true, encoding: 'utf8' })
    .filter((path) => /(^|\/)kustomization\.ya?ml$/.test(path))
    .map((path) => resolve(k8sDir, dirname(path)));
  const included = new Set(
    dirs.flatMap((dir) => {
      const file = ['kustomization.yaml', 'kustomization.yml']
        .map((name) => join(dir, name))
        .find((path) => statSync(path, { throwIfNoEntry: false }));
      const kustomization = (parse(readFileSync(file ?? '', 'utf8')) ?? {}) as Record<
        string,
        unknown
      >;
      return ['resources', 'components']
        .flatMap((key): unknown[] => {
          const entries = kustomization[key];
          return Array.isArray(entries) ? (entries as unknown[]) : [];
        })
        .filter((entry): entry is string => typeof entry === 'string')
        .map((entry) => resolve(dir, entry));
    }),
  );
  return dirs.filter((dir) => !included.has(dir)).sort();
}

/** Images of every container list anywhere in `value`, and in YAML pod specs held in ConfigMaps. */
export function imagesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(imagesIn);
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  const own = CONTAINER_LISTS.flatMap((key) =>
    Array.isArray(object[key])
      ? (object[key] as unknown[]).flatMap((container) => {
          const image = (container as { image?: unknown } | null)?.image;
          return typeof image === 'string' ? [image] : [];
        })
      : [],
  );
  const embedded =
    object.kind === 'ConfigMap' && object.data && typeof object.data === 'object'
      ? Object.values(object.data as Record<string, unknown>).flatMap((text) =>
          typeof text === 'string' && /\bimage:/.test(text) ? imagesIn(yamlDocuments(text)) : [],
        )
      : [];
  return [...own, ...embedded, ...Object.values(object).flatMap(imagesIn)];
}

/** The documents of a YAML text that parse; anything else in a ConfigMap is not a pod spec. */
function yamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text)
    .filter((document) => document.errors.length === 0)
    .map((document) => document.toJS() as unknown);
}

/** `repo:tag@sha256:d` -> `repo@sha256:d` (what the cluster pulls); anything else unchanged. */
export function scanReference(image: string): string {
  const at = image.indexOf('@');
  if (at < 0) return image;
  const repository = image.slice(0, at).replace(/:[\w][\w.-]*$/, '');
  return `${repository}${image.slice(at)}`;
}

/** The images of one rendered manifest text, without hello-api's own. */
function thirdPartyImages(manifests: string): string[] {
  const app = findApp(manifests)?.image;
  const images = imagesIn(yamlDocuments(manifests));
  return images.filter((image) => image !== app && image !== APP);
}

async function render(kubectl: string, dir: string): Promise<string> {
  const result = await runCommand(kubectl, ['kustomize', dir]);
  if (result.code !== 0)
    throw new Error(
      `kubectl kustomize ${relative(ROOT, dir)} failed: ${result.stderr.trim().split('\n')[0] ?? ''}`,
    );
  return result.stdout;
}

/** Every shipped third-party image, once, with where it comes from. */
export async function shippedImages(
  extraManifests: string[] = [],
  k8sDir = join(ROOT, 'k8s'),
): Promise<ShippedImage[]> {
  const kubectl = findExecutable('kubectl');
  if (!kubectl) throw new Error('kubectl not found on PATH: it renders the kustomizations');
  const sources: { source: string; text: string }[] = [];
  for (const dir of kustomizationRoots(k8sDir))
    sources.push({ source: relative(ROOT, dir), text: await render(kubectl, dir) });
  for (const file of extraManifests)
    sources.push({ source: file, text: readFileSync(file, 'utf8') });

  const found = new Map<string, ShippedImage>();
  for (const { source, text } of sources) {
    for (const image of thirdPartyImages(text)) {
      const ref = scanReference(image);
      const name = image.replace(/@.*$/, '');
      const entry = found.get(ref) ?? {
        ref,
        name,
        slug: name.replace(/[^\w.-]/g, '-'),
        sources: [],
      };
      if (!entry.sources.includes(source)) entry.sources.push(source);
      found.set(ref, entry);
    }
  }
  if (found.size === 0)
    throw new Error(`no container image found in ${sources.map((s) => s.source).join(', ')}`);
  return [...found.values()].sort((a, b) => a.ref.localeCompare(b.ref));
}

async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const manifests: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--json') continue;
    if (arg === '--manifest' && args[i + 1] !== undefined) manifests.push(args[(i += 1)] ?? '');
    else throw new Error(`unknown argument "${arg ?? ''}": allowed are --json and --manifest FILE`);
  }
  const images = await shippedImages(manifests);
  // The human list goes to stderr, so --json output stays one line for $GITHUB_OUTPUT.
  for (const image of images) console.error(`${image.ref}  (${image.sources.join(', ')})`);
  if (json) console.log(JSON.stringify(images.map(({ ref, name, slug }) => ({ ref, name, slug }))));
  else for (const image of images) console.log(image.ref);
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`shipped-images: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
