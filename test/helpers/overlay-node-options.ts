// The NODE_OPTIONS an environment's pods run with, read from its overlay's kustomization (the
// ConfigMap literal), so the memory tests run the service exactly as that environment does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { overlayDir, type Environment } from './k8s-manifests.js';
import { repoPath } from './paths.js';

interface Kustomization {
  configMapGenerator?: { name: string; literals?: string[] }[];
}

export function overlayNodeOptions(env: Environment): string {
  const path = repoPath(join(overlayDir(env), 'kustomization.yaml'));
  const kustomization = parse(readFileSync(path, 'utf8')) as Kustomization;
  const literal = kustomization.configMapGenerator
    ?.flatMap((generator) => generator.literals ?? [])
    .find((entry) => entry.startsWith('NODE_OPTIONS='));
  if (literal === undefined) throw new Error(`${path}: no NODE_OPTIONS literal`);
  return literal.slice('NODE_OPTIONS='.length);
}

/** The value of `--flag=N` in a NODE_OPTIONS string, or undefined. */
export function numericFlag(nodeOptions: string, flag: string): number | undefined {
  const match = new RegExp(`(?:^|\\s)${flag}=(\\d+)(?:\\s|$)`).exec(nodeOptions);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
