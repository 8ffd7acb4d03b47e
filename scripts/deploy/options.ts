// The deploy's command line, validated before anything talks to a cluster: one line naming the
// flag and what is allowed when something is wrong.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ENVIRONMENTS, isEnvironment, nodePort, type Environment } from '../lib/environments.js';
import { FlagError, integerFlag } from '../lib/integer-flag.js';
import { parseDigestRef, type DigestRef } from './image-ref.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Options {
  /** Also the namespace; its NodePort is the overlay's (scripts/lib/environments.ts). */
  env: Environment;
  ref: DigestRef;
  image: string;
  commit: string;
  /** Deploy only while this branch's head on origin is still `commit` (CI passes it). */
  branch: string | undefined;
  url: string;
  timeoutSeconds: number;
  smokeDeadlineSeconds: number;
  overlayDir: string;
}

/** A bad argument: the CLI prints the message and exits 2. */
function usage(message: string): never {
  throw new FlagError(message);
}

const seconds = (flag: string, text: string): number =>
  integerFlag(flag, text, { min: 1, max: 3600 });

const FLAGS = {
  env: { type: 'string' },
  image: { type: 'string' },
  commit: { type: 'string' },
  branch: { type: 'string' },
  url: { type: 'string' },
  timeout: { type: 'string', default: '300' },
  'smoke-deadline': { type: 'string', default: '60' },
  overlays: { type: 'string', default: join(ROOT, 'k8s', 'overlays') },
} as const;

function readFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, options: FLAGS }).values;
  } catch (error) {
    // parseArgs explains unknown or incomplete flags well; keep its message, drop the stack.
    return usage(error instanceof Error ? error.message : String(error));
  }
}

export function parseOptions(argv: string[], processEnv: NodeJS.ProcessEnv = process.env): Options {
  const values = readFlags(argv);
  const env = values.env ?? '';
  if (!isEnvironment(env)) usage(`--env must be one of ${ENVIRONMENTS.join(', ')}, got "${env}"`);
  const image = values.image ?? '';
  const ref = parseDigestRef(image);
  if (!ref) usage(`--image must be <repository>@sha256:<64 hex> (no tag), got "${image}"`);
  const commit = values.commit ?? '';
  if (!/^[0-9a-zA-Z._-]{1,64}$/.test(commit))
    usage(`--commit must be the git commit the image was built from, got "${commit}"`);
  const branch = values.branch;
  if (branch !== undefined) {
    if (!/^[\w][\w./-]{0,254}$/.test(branch) || branch.includes('..'))
      usage(`--branch must be a git branch name such as dev or feature/x, got "${branch}"`);
    if (!/^[0-9a-f]{40}$/.test(commit))
      usage(`--branch needs --commit to be the full 40-hex commit, got "${commit}"`);
  }
  const url = values.url ?? processEnv.DEPLOY_URL ?? `http://127.0.0.1:${nodePort(env)}`;
  if (!/^https?:\/\/[^/\s]+/.test(url)) usage(`--url/DEPLOY_URL must be an http(s) URL: "${url}"`);
  const overlayDir = resolve(values.overlays, env);
  if (!existsSync(join(overlayDir, 'kustomization.yaml')))
    usage(`${join(overlayDir, 'kustomization.yaml')} does not exist`);
  return {
    env,
    ref,
    image,
    commit,
    branch,
    url,
    timeoutSeconds: seconds('--timeout', values.timeout),
    smokeDeadlineSeconds: seconds('--smoke-deadline', values['smoke-deadline']),
    overlayDir,
  };
}
