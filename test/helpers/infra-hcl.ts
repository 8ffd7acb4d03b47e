// Reading the OpenTofu configuration for structural tests: every opentofu/*.tf file parsed with
// @cdktf/hcl2json (HCL -> JSON, offline) and merged into one view, plus running the installed
// OpenTofu (or Terraform, where only it is installed) for what only the real tool can judge.
import { parse } from '@cdktf/hcl2json';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { repoPath } from './paths.js';
import { run, type RunResult } from './run.js';
import { findTool, requireTool } from './tools.js';

export const TOFU_DIR = repoPath('opentofu');

export type Block = Record<string, unknown>;

export interface Configuration {
  /** resource type -> name -> block */
  resources: Map<string, Map<string, Block>>;
  variables: Map<string, Block>;
  outputs: Map<string, Block>;
  locals: Block;
  terraform: Block[];
  /** file name -> parsed content */
  files: Map<string, Block>;
}

export const tfFiles = (): string[] =>
  readdirSync(TOFU_DIR)
    .filter((name) => name.endsWith('.tf'))
    .sort();

function asRecord(value: unknown): Block {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Block)
    : {};
}

/** hcl2json wraps every block in a one-element array. */
export function first(value: unknown): Block {
  return asRecord(Array.isArray(value) ? (value as unknown[])[0] : value);
}

export async function loadConfiguration(): Promise<Configuration> {
  const config: Configuration = {
    resources: new Map(),
    variables: new Map(),
    outputs: new Map(),
    locals: {},
    terraform: [],
    files: new Map(),
  };
  for (const file of tfFiles()) {
    const parsed = asRecord(await parse(file, readFileSync(join(TOFU_DIR, file), 'utf8')));
    config.files.set(file, parsed);
    for (const [type, byName] of Object.entries(asRecord(parsed.resource))) {
      const named = config.resources.get(type) ?? new Map<string, Block>();
      for (const [name, body] of Object.entries(asRecord(byName))) named.set(name, first(body));
      config.resources.set(type, named);
    }
    for (const [name, body] of Object.entries(asRecord(parsed.variable)))
      config.variables.set(name, first(body));
    for (const [name, body] of Object.entries(asRecord(parsed.output)))
      config.outputs.set(name, first(body));
    for (const locals of Array.isArray(parsed.locals) ? (parsed.locals as unknown[]) : [])
      Object.assign(config.locals, asRecord(locals));
    for (const block of Array.isArray(parsed.terraform) ? (parsed.terraform as unknown[]) : [])
      config.terraform.push(asRecord(block));
  }
  return config;
}

export function resource(config: Configuration, type: string, name: string): Block {
  const found = config.resources.get(type)?.get(name);
  if (!found) throw new Error(`opentofu: resource ${type}.${name} not found`);
  return found;
}

/** OpenTofu when installed, else Terraform (fmt and console behave the same offline). */
export function iacTool(t: TestContext): string | undefined {
  return findTool('tofu') ?? requireTool(t, 'terraform', 'OpenTofu or Terraform: fmt and console');
}

/** Environment for the tool: no update check (no network), no developer CLI config. */
export function iacEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
  };
}

/**
 * Evaluates an expression with `console` in a scratch module holding copies of the given
 * opentofu/ files (those that need no provider), with -var settings. Returns the tool's result.
 * The scratch module sits beside a link to k8s/, as opentofu/ does, so what the module reads
 * from the manifests (`${path.module}/../k8s`) is the real thing.
 */
export async function consoleEval(
  tool: string,
  files: readonly string[],
  expression: string,
  vars: Record<string, string> = {},
): Promise<RunResult> {
  const root = mkdtempSync(join(tmpdir(), 'infra-console-'));
  const dir = join(root, 'opentofu');
  try {
    mkdirSync(dir);
    symlinkSync(repoPath('k8s'), join(root, 'k8s'));
    for (const file of files) copyFileSync(join(TOFU_DIR, file), join(dir, file));
    const args = ['console', '-no-color'];
    for (const [name, value] of Object.entries(vars)) args.push('-var', `${name}=${value}`);
    return await run(tool, args, {
      cwd: dir,
      env: iacEnv(dir),
      input: `${expression}\n`,
      timeoutMs: 60_000,
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The value of a string printed by console: a quoted JSON string, or a <<EOT heredoc. */
export function consoleString(stdout: string): string {
  const text = stdout.trim();
  if (text.startsWith('<<EOT')) return text.replace(/^<<EOT\n/, '').replace(/\nEOT$/, '');
  return JSON.parse(text) as string;
}
