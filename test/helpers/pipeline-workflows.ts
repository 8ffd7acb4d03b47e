// Loads the GitHub Actions workflows as data, runs the plan job's decision script for a given
// event, and evaluates the small subset of the Actions expression language the pipeline's `if:`
// conditions use, so tests can ask "which jobs run for this event" instead of matching strings.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { repoPath } from './paths.js';
import { run } from './run.js';

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'continue-on-error'?: unknown;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: unknown;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string; url?: string };
  concurrency?: { group: string; 'cancel-in-progress'?: unknown };
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps?: Step[];
}

export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOW_DIR = repoPath('.github/workflows');

export function workflowFiles(): string[] {
  return readdirSync(WORKFLOW_DIR)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(WORKFLOW_DIR, name));
}

export function loadWorkflow(file: string): Workflow {
  return parse(readFileSync(join(WORKFLOW_DIR, file), 'utf8')) as Workflow;
}

/** Every `run:` block of every workflow, named "file job step". */
export function runBlocks(): { where: string; run: string; env: Record<string, string> }[] {
  return workflowFiles().flatMap((file) => {
    const workflow = loadWorkflow(basename(file));
    return Object.entries(workflow.jobs).flatMap(([id, job]) =>
      (job.steps ?? [])
        .filter((step) => typeof step.run === 'string')
        .map((step, index) => ({
          where: `${basename(file)} ${id} ${step.id ?? step.name ?? String(index)}`,
          run: step.run ?? '',
          env: { ...workflow.env, ...job.env, ...step.env },
        })),
    );
  });
}

interface Plan {
  /** Exit code of the plan step: non-zero fails the run. */
  code: number;
  /** The environment the run deploys, '' for none. */
  environment: string;
  /** What the step printed (its ::error:: line when it fails). */
  output: string;
}

/**
 * Runs ci-cd.yaml's plan step (the real script, with bash) for one event; `repository` is the
 * DOCKERHUB_REPOSITORY variable as the run sees it ('' when unset, as on a fork's pull request).
 */
export async function plan(
  event: string,
  ref: string,
  requested = '',
  repository = 'acme/hello-api',
): Promise<Plan> {
  const step = loadWorkflow('ci-cd.yaml').jobs.plan?.steps?.find((s) => s.id === 'target');
  if (!step?.run) throw new Error('ci-cd.yaml: no plan job with a step id "target"');
  const dir = mkdtempSync(join(tmpdir(), 'plan-'));
  try {
    const output = join(dir, 'output');
    const result = await run('bash', ['--noprofile', '--norc', '-e', '-c', step.run], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        EVENT: event,
        REF: ref,
        REQUESTED: requested,
        REPOSITORY: repository,
        GITHUB_OUTPUT: output,
      },
    });
    let text = '';
    try {
      text = readFileSync(output, 'utf8');
    } catch {
      // no output written: the step failed before it
    }
    return {
      code: result.code ?? -1,
      environment: /^environment=(.*)$/m.exec(text)?.[1] ?? '',
      output: `${result.stdout}${result.stderr}`.trim(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function needsOf(job: Job): string[] {
  if (job.needs === undefined) return [];
  return Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** Every job `jobId` waits for, directly or through other jobs. */
export function transitiveNeeds(workflow: Workflow, jobId: string): Set<string> {
  const seen = new Set<string>();
  const visit = (id: string) => {
    const job = workflow.jobs[id];
    if (!job) throw new Error(`job "${id}" does not exist`);
    for (const need of needsOf(job)) {
      if (!seen.has(need)) {
        seen.add(need);
        visit(need);
      }
    }
  };
  visit(jobId);
  return seen;
}

// --- expressions -------------------------------------------------------------------------------

type Value = string | boolean | null;
type Context = Record<string, string>;

const TOKEN = /\s*(\(|\)|&&|\|\||==|!=|!|'(?:[^']|'')*'|true\b|false\b|null\b|[A-Za-z_][\w.-]*)/y;

function tokenize(source: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN.lastIndex))) break;
    const match = TOKEN.exec(source);
    if (!match?.[1])
      throw new Error(`cannot parse expression at: ${source.slice(TOKEN.lastIndex)}`);
    tokens.push(match[1]);
  }
  return tokens;
}

const truthy = (value: Value) => value !== null && value !== false && value !== '';
// Actions compares strings case-insensitively.
const equal = (a: Value, b: Value) =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;

/** Evaluates `==`, `!=`, `!`, `&&`, `||`, parentheses, 'strings' and context names. */
export function evaluate(expression: string, context: Context): boolean {
  const source = expression
    .trim()
    .replace(/^\$\{\{([\s\S]*)\}\}$/, '$1')
    .trim();
  const tokens = tokenize(source);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];

  const primary = (): Value => {
    const token = next();
    if (token === undefined) throw new Error(`unexpected end of: ${source}`);
    if (token === '(') {
      const value = or();
      if (next() !== ')') throw new Error(`missing ) in: ${source}`);
      return value;
    }
    if (token === '!') return !truthy(primary());
    if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return null;
    if (!(token in context)) throw new Error(`no value for "${token}" in the test context`);
    return context[token] ?? null;
  };
  const comparison = (): Value => {
    let left = primary();
    while (peek() === '==' || peek() === '!=') {
      const operator = next();
      const right = primary();
      left = operator === '==' ? equal(left, right) : !equal(left, right);
    }
    return left;
  };
  const and = (): Value => {
    let left = comparison();
    while (peek() === '&&') {
      next();
      const right = comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const or = (): Value => {
    let left = and();
    while (peek() === '||') {
      next();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };

  const result = or();
  if (position !== tokens.length) throw new Error(`unexpected "${String(peek())}" in: ${source}`);
  return truthy(result);
}

/** The GitHub context of a run, as the names the conditions read. */
export function runContext(event: string, ref: string, planned: Plan | string = ''): Context {
  return {
    'github.event_name': event,
    'github.ref': ref,
    'needs.plan.outputs.environment': typeof planned === 'string' ? planned : planned.environment,
  };
}

/**
 * Jobs that run for this event: their own `if:` passes and every job they need runs (with the
 * default success() condition, a skipped dependency skips the job).
 */
export function jobsThatRun(workflow: Workflow, context: Context): string[] {
  const memo = new Map<string, boolean>();
  const runs = (id: string): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const job = workflow.jobs[id];
    if (!job) throw new Error(`job "${id}" does not exist`);
    const result =
      (job.if === undefined || evaluate(job.if, context)) &&
      needsOf(job).every((need) => runs(need));
    memo.set(id, result);
    return result;
  };
  return Object.keys(workflow.jobs).filter((id) => runs(id));
}
