// Post-deploy smoke test from the command line: is the service at a URL alive, ready, answering,
// exporting metrics and running the commit we just deployed? Retries every check until a
// deadline (a rollout can still be settling), then prints ONE verdict line and exits 0 (pass),
// 1 (fail) or 2 (bad arguments). The checks live in scripts/deploy/smoke.ts, which the deploy
// also runs. Use: `make smoke URL=... [COMMIT=...]`.
//
// Usage: tsx scripts/smoke-test.ts --url http://host:30080 [--commit <git sha>] [--deadline 60]
// (or SMOKE_URL, SMOKE_COMMIT, SMOKE_DEADLINE_SECONDS in the environment).
import { parseArgs } from 'node:util';
import { smoke, verdict, type SmokeOptions } from './deploy/smoke.js';
import { FlagError, integerFlag } from './lib/integer-flag.js';

function usage(message: string): never {
  console.error(`smoke-test: ${message} (usage: --url URL [--commit SHA] [--deadline SECONDS])`);
  process.exit(2);
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): SmokeOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      commit: { type: 'string' },
      deadline: { type: 'string' },
    },
    strict: true,
  });
  const url = values.url ?? env.SMOKE_URL ?? '';
  if (!/^https?:\/\/[^/\s]+/.test(url))
    usage(`--url/SMOKE_URL must be an http(s) URL, got "${url}"`);
  let deadlineSeconds: number;
  try {
    deadlineSeconds = integerFlag(
      '--deadline/SMOKE_DEADLINE_SECONDS',
      values.deadline ?? env.SMOKE_DEADLINE_SECONDS,
      { min: 1, max: 3600, fallback: 60 },
    );
  } catch (error) {
    if (error instanceof FlagError) usage(`${error.message} seconds`);
    throw error;
  }
  const commit = values.commit ?? env.SMOKE_COMMIT;
  return {
    url: url.replace(/\/+$/, ''),
    commit: commit === undefined || commit === '' ? undefined : commit,
    deadlineMs: deadlineSeconds * 1000,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const result = await smoke(options);
  console.log(verdict(options, result));
  // Exit now: fetch's keep-alive sockets would otherwise hold the process open for seconds.
  process.exit(result.ok ? 0 : 1);
}

await main();
