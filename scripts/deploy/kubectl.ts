// Runs kubectl (or $KUBECTL) and git (or $GIT) and hands back their result; prints what it runs
// so a deploy log reads as the list of operations it performed. Never throws on a non-zero exit:
// the deploy decides what a failure means (abort, skip, or roll back).
import { spawnSync } from 'node:child_process';

interface KubectlResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export type Kubectl = (args: readonly string[], options?: { quiet?: boolean }) => KubectlResult;
export type Git = Kubectl;

function toolRunner(label: string, command: string): Kubectl {
  return (args, options = {}) => {
    if (!options.quiet) console.log(`deploy: $ ${label} ${args.join(' ')}`);
    const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (result.error) {
      return { ok: false, stdout: '', stderr: `cannot run ${command}: ${result.error.message}` };
    }
    const stdout = result.stdout;
    const stderr = result.stderr;
    if (!options.quiet && stdout.trim() !== '') console.log(stdout.trimEnd());
    if (stderr.trim() !== '') console.error(stderr.trimEnd());
    return { ok: result.status === 0, stdout, stderr };
  };
}

export function kubectlRunner(command = process.env.KUBECTL ?? 'kubectl'): Kubectl {
  return toolRunner('kubectl', command);
}

export function gitRunner(command = process.env.GIT ?? 'git'): Git {
  return toolRunner('git', command);
}
