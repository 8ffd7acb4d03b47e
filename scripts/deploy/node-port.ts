// Prints `NODE_PORT=<port>` for one environment, read from its overlay (scripts/lib/environments.ts),
// for the deploy workflow to append to $GITHUB_ENV: the IAP tunnel (connect-cluster.sh) and the
// deploy's --url then use the port the manifests really set, never a copy in the workflow.
// Usage: tsx scripts/deploy/node-port.ts <env>    exit 2 with one line for an unknown environment.
import { ENVIRONMENTS, isEnvironment, nodePort } from '../lib/environments.js';

const [env = '', ...extra] = process.argv.slice(2);
if (!isEnvironment(env) || extra.length > 0) {
  console.error(
    `node-port: expected one environment, one of ${ENVIRONMENTS.join(', ')}; got "${process.argv.slice(2).join(' ')}"`,
  );
  process.exit(2);
}
console.log(`NODE_PORT=${nodePort(env)}`);
