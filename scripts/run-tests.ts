// `make test`: runs every *.test.ts under test/ with node:test (spec reporter) under c8, then
// gates line coverage of src/ with `c8 check-coverage` (threshold and scope in .c8rc.json), and
// ends with one summary line: "N passed, N failed, N skipped" (the coverage gate counted as one
// more check). Every test gets TEST_TIMEOUT_MS unless it declares its own `timeout`, so a hung
// test fails with its name instead of holding the run.
// Usage: tsx scripts/run-tests.ts [path-filter ...]   e.g. tsx scripts/run-tests.ts test/k8s
//        tsx scripts/run-tests.ts --e2e test/e2e   the cluster suite (*.e2e.ts, one file at a time,
//        no coverage): `make e2e`; `make test` never picks those files up.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const C8 = join(ROOT, 'node_modules', '.bin', 'c8');
/** Longer than any test needs on a loaded 2-core machine; slower tests declare their own. */
const TEST_TIMEOUT_MS = 120_000;

const E2E = process.argv.includes('--e2e');
const SUFFIX = E2E ? '.e2e.ts' : '.test.ts';

function findTests(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(SUFFIX))
    .map((name) => relative(ROOT, join(dir, name)))
    .sort();
}

/** The last of the spec reporter's "ℹ pass N" style totals; cancelled (timed out) is a failure. */
function counts(output: string): { pass: number; fail: number; skipped: number } {
  const read = (word: string) =>
    Number([...output.matchAll(new RegExp(`^ℹ ${word} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  return {
    pass: read('pass'),
    fail: read('fail') + read('cancelled'),
    skipped: read('skipped') + read('todo'),
  };
}

/** Runs a command with stdout shown and, when `capture` is set, kept; resolves to its exit code. */
function exec(
  command: string,
  args: readonly string[],
  capture?: (chunk: string) => void,
): Promise<number> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    capture?.(chunk);
    process.stdout.write(chunk);
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      resolve(code ?? 1);
    });
  });
}

const filters = process.argv.slice(2).filter((arg) => arg !== '--e2e');
const files = findTests(join(ROOT, 'test')).filter(
  (file) => filters.length === 0 || filters.some((filter) => file.startsWith(filter)),
);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}: expected paths under test/`);
  process.exit(1);
}

// Coverage only means something when the whole suite ran: a filtered run skips c8 altogether.
const whole = filters.length === 0 && !E2E;
const nodeTest = [
  process.execPath,
  '--import',
  'tsx',
  '--test',
  `--test-timeout=${TEST_TIMEOUT_MS}`,
  '--test-reporter=spec',
  // The e2e files share one cluster and disturb it (drains, rollouts): one after another.
  ...(E2E ? ['--test-concurrency=1'] : []),
  ...files,
];
let output = '';
const code = await exec(
  whole ? C8 : process.execPath,
  whole ? nodeTest : nodeTest.slice(1),
  (chunk) => {
    output += chunk;
  },
);
const result = counts(output);
if (code !== 0 && result.fail === 0) result.fail += 1; // the runner itself failed

if (whole) {
  const gate = await exec(C8, ['check-coverage']);
  console.log(`coverage gate (c8 check-coverage, .c8rc.json): ${gate === 0 ? 'ok' : 'FAILED'}`);
  if (gate === 0) result.pass += 1;
  else result.fail += 1;
}
console.log(`${result.pass} passed, ${result.fail} failed, ${result.skipped} skipped`);
process.exit(result.fail > 0 ? 1 : 0);
