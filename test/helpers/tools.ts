// Finding external tools. A check whose tool is missing is skipped with one line naming the
// tool, except under CI=true, where a missing tool is a failure: CI must install everything.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { findExecutable } from '../../scripts/lib/find-executable.js';

export const IN_CI = process.env.CI === 'true';

/** Absolute path of an executable on PATH, or undefined. */
export function findTool(name: string): string | undefined {
  return findExecutable(name);
}

/**
 * Returns the tool's path, or skips the test (fails it under CI=true) and returns undefined.
 * Usage: `const promtool = requireTool(t, 'promtool'); if (!promtool) return;`
 */
export function requireTool(t: TestContext, name: string, why = ''): string | undefined {
  const found = findTool(name);
  if (found) return found;
  const reason = `${name} not found on PATH${why ? ` (${why})` : ''}`;
  if (IN_CI) assert.fail(`${reason}: required under CI=true; .ci/run must install it`);
  t.skip(reason);
  return undefined;
}
