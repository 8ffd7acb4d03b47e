// `make test`: runs every *.test.ts under test/ with node:test (spec reporter), under c8 for
// line coverage of src/, then enforces the coverage threshold and ends with one summary line:
// "N passed, N failed, N skipped" (the coverage gate counted as one more check).
// Usage: tsx scripts/run-tests.ts [path-filter ...]   e.g. tsx scripts/run-tests.ts test/k8s
//        tsx scripts/run-tests.ts --e2e test/e2e   the cluster suite (*.e2e.ts, one file at a time,
//        no coverage): `make e2e`; `make test` never picks those files up.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COVERAGE_THRESHOLD = 90;

const E2E = process.argv.includes('--e2e');
const SUFFIX = E2E ? '.e2e.ts' : '.test.ts';

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith(SUFFIX)) found.push(relative(ROOT, path));
  }
  return found.sort();
}

function counts(output: string): { pass: number; fail: number; skipped: number } {
  const read = (word: string) => {
    const matches = [...output.matchAll(new RegExp(`^ℹ ${word} (\\d+)$`, 'gm'))];
    const last = matches.at(-1);
    return last ? Number(last[1]) : 0;
  };
  return {
    pass: read('pass'),
    fail: read('fail') + read('cancelled'),
    skipped: read('skipped') + read('todo'),
  };
}

const filters = process.argv.slice(2).filter((arg) => arg !== '--e2e');
const files = findTests(join(ROOT, 'test')).filter(
  (file) => filters.length === 0 || filters.some((filter) => file.startsWith(filter)),
);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const c8 = join(ROOT, 'node_modules', '.bin', 'c8');
const child = spawn(
  c8,
  [
    '--reporter=text',
    '--reporter=json-summary',
    '--reports-dir=coverage',
    '--include=src/**',
    '--exclude-after-remap',
    process.execPath,
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    // The e2e files share one cluster and disturb it (drains, rollouts): one after another.
    ...(E2E ? ['--test-concurrency=1'] : []),
    ...files,
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
);

let output = '';
child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
  output += chunk;
  process.stdout.write(chunk);
});

child.on('close', (code) => {
  const result = counts(output);
  // Coverage only means something when the whole suite ran.
  if (filters.length === 0 && !E2E) {
    const summary = JSON.parse(
      readFileSync(join(ROOT, 'coverage', 'coverage-summary.json'), 'utf8'),
    ) as {
      total: { lines: { pct: number } };
    };
    const pct = summary.total.lines.pct;
    const ok = pct >= COVERAGE_THRESHOLD;
    console.log(
      `coverage: ${pct}% of src/ lines (threshold ${COVERAGE_THRESHOLD}%): ${ok ? 'ok' : 'TOO LOW'}`,
    );
    if (ok) result.pass += 1;
    else result.fail += 1;
  }
  if (code !== 0 && result.fail === 0) result.fail += 1; // the runner itself failed
  console.log(`${result.pass} passed, ${result.fail} failed, ${result.skipped} skipped`);
  process.exit(result.fail > 0 ? 1 : 0);
});
