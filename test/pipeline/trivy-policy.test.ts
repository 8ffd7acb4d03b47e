// The accepted-risk list (.trivyignore): every entry carries Trivy's own expiry ("ID exp:DATE",
// after which Trivy reports the finding again), a comment saying why, an expiry at most 90 days
// ahead, and appears in docs/security.md's accepted findings (and nothing else does). An expired
// acceptance also fails the suite, so an ignored finding is reviewed, never forgotten.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { repoPath } from '../helpers/paths.js';

const ID =
  /^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|AVD-[A-Z]+-\d{4}|[A-Z]+-[A-Z0-9-]+)$/;
const MAX_DAYS_AHEAD = 90;

interface Entry {
  id: string;
  expires: string;
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

/** The entries of a .trivyignore text and its problems, one line each. */
function policy(text: string, today: string): { entries: Entry[]; problems: string[] } {
  const problems: string[] = [];
  const entries: Entry[] = [];
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
    const [id = '', ...rest] = line.split(/\s+/);
    if (!ID.test(id)) problems.push(`${where}: not a finding id`);
    const expires = rest.map((field) => /^exp:(\d{4}-\d{2}-\d{2})$/.exec(field)?.[1]).find(Boolean);
    if (!expires) problems.push(`${where}: no "exp:YYYY-MM-DD" after the id`);
    else if (expires < today)
      problems.push(`${where}: accepted until ${expires}, which has passed`);
    else if (daysBetween(today, expires) > MAX_DAYS_AHEAD)
      problems.push(`${where}: expires more than ${MAX_DAYS_AHEAD} days ahead`);
    if (!comments.some((c) => c !== '')) problems.push(`${where}: no comment saying why`);
    entries.push({ id, expires: expires ?? '' });
    comments = [];
  }
  return { entries, problems };
}

test('the policy check catches entries without reason, without expiry, expired or too far ahead', () => {
  const today = '2026-11-27';
  assert.deepEqual(
    policy('# why: unreachable code\nCVE-2026-1234 exp:2027-01-31\n', today).problems,
    [],
  );
  assert.equal(policy('CVE-2026-1234\n', today).problems.length, 2);
  assert.match(
    policy('# why\nCVE-2026-1234 exp:2026-11-01\n', today).problems.join(),
    /has passed/,
  );
  assert.match(policy('# why\nCVE-2026-1234 exp:2027-06-01\n', today).problems.join(), /90 days/);
  assert.match(policy('# why\n\nCVE-2026-1234 exp:2027-01-01\n', today).problems.join(), /why/);
});

test('every accepted risk in .trivyignore has a reason and an expiry Trivy honours, not passed', () => {
  const today = new Date().toISOString().slice(0, 10);
  assert.deepEqual(policy(readFileSync(repoPath('.trivyignore'), 'utf8'), today).problems, []);
});

test('docs/security.md lists exactly the accepted findings, with the same expiry', () => {
  const { entries } = policy(readFileSync(repoPath('.trivyignore'), 'utf8'), '0000-00-00');
  const doc = readFileSync(repoPath('docs/security.md'), 'utf8');
  const section = /## Accepted findings\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';
  const rows = [...section.matchAll(/^\| `([^`]+)` \|[^\n]*\| (\d{4}-\d{2}-\d{2}) \|$/gm)].map(
    (m) => ({ id: m[1] ?? '', expires: m[2] ?? '' }),
  );
  assert.ok(rows.length > 0, 'docs/security.md has no "## Accepted findings" table');
  const key = (e: Entry) => `${e.id} ${e.expires}`;
  assert.deepEqual(rows.map(key).sort(), entries.map(key).sort());
});
