// Deploys one image digest to one environment and undoes it when it does not work:
//   render the overlay with the image pinned -> check the render -> record the running revision
//   -> (with --branch) stop green if origin's branch has moved past this commit
//   -> kubectl apply -k -> (first deploy of an overlay that leaves replicas to an HPA) kubectl
//   scale to its hello-api/initial-replicas -> kubectl rollout status -> smoke test
//   on any failure after the apply: kubectl rollout undo --to-revision=<recorded>, wait, fail.
// The scale happens only when the Deployment did not exist before the apply: later deploys leave
// the count to the HPA (kubectl apply keeps it, as the manifest has no spec.replicas).
// Undoing the revision restores the whole pod template: the image and the name-hashed ConfigMap
// it references (kustomize's configMapGenerator), so a bad setting is really undone; the old
// ConfigMap is still there because kubectl apply never prunes.
// Exit codes: 0 deployed and verified, or skipped because the branch moved on; 1 failed, the
// recorded revision restored (or nothing changed); 2 bad arguments; 3 failed and the previous
// revision could NOT be restored (or there was none).
//
// Usage: tsx scripts/deploy/deploy.ts --env dev --image docker.io/acme/hello-api@sha256:<64 hex>
//          --commit <git sha> [--branch <name>] [--url http://node:30080] [--timeout 300]
//          [--smoke-deadline 60] [--overlays k8s/overlays]
// CI and `make deploy-dev|deploy-stage|deploy-prod` both run exactly this.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  branchHead,
  prepare,
  rollback,
  rolloutOk,
  running,
  scaleToInitial,
  type Prepared,
  type Running,
} from './cluster.js';
import { gitRunner, kubectlRunner } from './kubectl.js';
import { FlagError } from '../lib/integer-flag.js';
import { parseOptions, type Options } from './options.js';
import { smoke, verdict } from './smoke.js';
import { writeSummary, type DeployReport } from './summary.js';

const describe = (state: Running) => `revision ${state.revision} (${state.image ?? 'no image'})`;

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    console.error(`deploy: ${error.message}`);
    process.exit(2);
  }
  const kubectl = kubectlRunner();
  const workDir = mkdtempSync(join(tmpdir(), 'hello-api-deploy-'));
  const report: DeployReport = {
    environment: options.env,
    image: options.image,
    commit: options.commit,
    url: options.url,
    smoke: 'not run',
    outcome: '',
    previous: undefined,
  };
  const finish: (code: number, outcome: string, verb?: string) => never = (code, outcome, verb) => {
    report.outcome = outcome;
    writeSummary(report);
    rmSync(workDir, { recursive: true, force: true });
    console.log(
      `deploy ${verb ?? (code === 0 ? 'SUCCEEDED' : 'FAILED')}: ${options.env}: ${outcome}`,
    );
    process.exit(code);
  };

  // Nothing in the cluster changes before this block has passed.
  let previous: Running | undefined;
  let prepared: Prepared = { initialReplicas: undefined };
  try {
    prepared = prepare(kubectl, options, workDir);
    previous = running(kubectl, options.env);
    report.previous = previous && describe(previous);
    if (options.branch !== undefined) {
      const head = branchHead(gitRunner(), options.branch);
      if (head !== options.commit)
        finish(
          0,
          `branch ${options.branch} is now at ${head}, not ${options.commit}; the run for the newer commit deploys it, nothing was changed`,
          'SKIPPED',
        );
    }
  } catch (error) {
    finish(1, error instanceof Error ? error.message : String(error));
  }

  let failure = '';
  const initial = previous === undefined ? prepared.initialReplicas : undefined;
  if (!kubectl(['apply', '-k', workDir]).ok) failure = 'kubectl apply failed';
  else if (initial !== undefined && !scaleToInitial(kubectl, options.env, initial))
    failure = `kubectl scale to the initial ${initial} replicas failed`;
  else if (!rolloutOk(kubectl, options))
    failure = `rollout did not complete within ${options.timeoutSeconds} s`;
  else {
    const smokeOptions = {
      url: options.url,
      commit: options.commit,
      deadlineMs: options.smokeDeadlineSeconds * 1000,
    };
    console.log(`deploy: smoke test ${options.url} expecting commit ${options.commit}`);
    const result = await smoke(smokeOptions);
    report.smoke = verdict(smokeOptions, result);
    console.log(report.smoke);
    if (!result.ok) failure = 'smoke test failed';
  }
  if (failure === '') finish(0, `${options.image} is live and verified`);
  if (previous === undefined)
    finish(3, `${failure}; first deploy, no previous revision to roll back to`);
  if (rollback(kubectl, options, previous))
    finish(1, `${failure}; rolled back to ${describe(previous)}`);
  finish(3, `${failure}; ROLLBACK TO ${describe(previous)} FAILED, the environment needs a human`);
}

await main();
