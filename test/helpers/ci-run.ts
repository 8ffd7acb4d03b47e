// .ci/run's package lists read as data: the bash arrays NAME=( ... ) it installs from (comments
// dropped), so tests compare them with what the suite needs and what the README says.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { repoPath } from './paths.js';

export const CI_RUN_TEXT = readFileSync(repoPath('.ci/run'), 'utf8');

/** The names of every array .ci/run assigns at the top level, in order. */
export function ciRunArrayNames(): string[] {
  return [...CI_RUN_TEXT.matchAll(/^([A-Z][A-Z0-9_]*)=\(/gm)].map((match) => match[1] ?? '');
}

/** The words of the bash array assignment NAME=( ... ) in .ci/run, comments dropped. */
export function ciRunArray(name: string): string[] {
  const body = new RegExp(`^${name}=\\(([^)]*)\\)`, 'm').exec(CI_RUN_TEXT)?.[1];
  assert.ok(body !== undefined, `.ci/run has no ${name}=( ... ) list`);
  return body
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join(' ')
    .split(/\s+/)
    .filter(Boolean);
}
