// Lint, format and type checks, run as tests so their result is counted with everything else.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';
import { run } from '../helpers/run.js';

const bin = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);

test('ESLint (typescript-eslint, type-aware) reports no problems', async () => {
  const result = await run(bin('eslint'), ['--max-warnings=0', '.'], {
    cwd: REPO_ROOT,
    timeoutMs: 300_000,
  });
  assert.equal(result.code, 0, `eslint failed:\n${result.stdout}${result.stderr}`);
});

test('Prettier finds every file formatted', async () => {
  const result = await run(bin('prettier'), ['--check', '.'], { cwd: REPO_ROOT });
  assert.equal(
    result.code,
    0,
    `prettier --check failed (run "make format"):\n${result.stdout}${result.stderr}`,
  );
});

test('TypeScript type-checks in strict mode', async () => {
  const result = await run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], {
    cwd: REPO_ROOT,
    timeoutMs: 300_000,
  });
  assert.equal(result.code, 0, `tsc failed:\n${result.stdout}${result.stderr}`);
});
