// The accepted-risk list (.trivyignore): every entry says why it is accepted and until when, and
// an expired acceptance fails the suite, so an ignored finding is reviewed, never forgotten.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { repoPath } from '../helpers/paths.js';

const ID =
  /^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|AVD-[A-Z]+-\d{4}|[A-Z]+-[A-Z0-9-]+)$/;

/** Problems in a .trivyignore text, one line each; empty when the policy holds. */
function policyProblems(text: string, today: string): string[] {
  const problems: string[] = [];
  let comments: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') {
      comments = [];
      continue;
    }
    if (line.startsWith('#')) {
      comments.push(line.slice(1).trim());
      continue;
    }
    const where = `.trivyignore:${index + 1} ${line}`;
    if (!ID.test(line)) problems.push(`${where}: not a finding id`);
    const expires = comments
      .map((c) => /^expires: (\d{4}-\d{2}-\d{2})$/.exec(c)?.[1])
      .find(Boolean);
    if (!expires) problems.push(`${where}: no "# expires: YYYY-MM-DD" line above it`);
    else if (expires < today)
      problems.push(`${where}: accepted until ${expires}, which has passed`);
    if (!comments.some((c) => c !== '' && !c.startsWith('expires:')))
      problems.push(`${where}: no comment saying why the risk is accepted`);
    comments = [];
  }
  return problems;
}

test('the policy check catches entries without reason, without expiry or expired', () => {
  const today = '2026-11-27';
  assert.deepEqual(
    policyProblems('# why: unreachable code\n# expires: 2027-01-31\nCVE-2026-1234\n', today),
    [],
  );
  assert.equal(policyProblems('CVE-2026-1234\n', today).length, 2);
  assert.match(
    policyProblems('# why\n# expires: 2026-11-01\nCVE-2026-1234\n', today).join(),
    /has passed/,
  );
  assert.match(policyProblems('# expires: 2027-01-01\nCVE-2026-1234\n', today).join(), /why/);
});

test('every accepted risk in .trivyignore has a reason and an expiry that has not passed', () => {
  const today = new Date().toISOString().slice(0, 10);
  assert.deepEqual(policyProblems(readFileSync(repoPath('.trivyignore'), 'utf8'), today), []);
});
