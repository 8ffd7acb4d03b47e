// The pipeline's deploy script (scripts/deploy/deploy.ts), run against the kind cluster exactly as
// CI and `make deploy-<env>` run it; resolves with its exit code and everything it printed.
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../../helpers/paths.js';

export function runDeploy(
  args: readonly string[],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/deploy/deploy.ts', ...args],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, output });
    });
  });
}
