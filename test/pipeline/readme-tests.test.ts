// The README's tests section says what the suite is and what CI installs: one row per folder
// under test/ naming at least every tool that folder's tests look up, and `.ci/run`'s package
// lists exactly, array by array. A new folder, tool or package without the README fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ciRunArray, ciRunArrayNames } from '../helpers/ci-run.js';
import { markdownTables, readmeSection, type MarkdownTable } from '../helpers/markdown-tables.js';
import { repoPath } from '../helpers/paths.js';
import { testSources, toolLookups } from '../helpers/tool-lookups.js';

const section = readmeSection(readFileSync(repoPath('README.md'), 'utf8'), 'tests') ?? '';
const tableStarting = (header: string): MarkdownTable => {
  const table = markdownTables(section).find((candidate) => candidate.header[0] === header);
  assert.ok(table, `the README's tests section has no table whose first column is "${header}"`);
  return table;
};
const codeSpans = (cell: string | undefined) =>
  [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
const TEST_DIR = repoPath('test');
const folders = readdirSync(TEST_DIR).filter(
  (name) => name !== 'helpers' && statSync(join(TEST_DIR, name)).isDirectory(),
);

test('the folder table has exactly one row per test folder (helpers aside)', () => {
  const rows = tableStarting('Folder').rows.map((row) =>
    (codeSpans(row.Folder)[0] ?? '').replace(/^test\/|\/$/g, ''),
  );
  assert.ok(folders.length >= 10, folders.join(', '));
  assert.deepEqual([...rows].sort(), [...folders].sort());
});

test("each folder's row names every tool its tests look up", () => {
  // tool-parity.test.ts's own examples of lookups are test data, not lookups.
  const sources = testSources().filter((file) => !file.path.endsWith('tool-parity.test.ts'));
  const { lookups } = toolLookups(sources);
  assert.ok(lookups.length > 20, `only ${lookups.length} lookups found: is the scan broken?`);
  const rows = new Map(
    tableStarting('Folder').rows.map((row) => [
      (codeSpans(row.Folder)[0] ?? '').replace(/^test\/|\/$/g, ''),
      codeSpans(row['Tools it spawns']).flatMap((span) => span.split(/\s+/)),
    ]),
  );
  const missing = lookups
    .filter(({ where }) => !where.startsWith('test/helpers/'))
    .filter(({ tool, where }) => !(rows.get(where.split('/')[1] ?? '') ?? []).includes(tool))
    .map(({ tool, where }) => `${where}: ${tool}`);
  assert.deepEqual([...new Set(missing)], []);
});

test('the package table is exactly .ci/run: every list, every package, in order', () => {
  const rows = tableStarting('Source').rows;
  const lists = rows.map((row) => codeSpans(row['`.ci/run` list'])[0] ?? '');
  assert.deepEqual(lists, ciRunArrayNames());
  for (const row of rows) {
    const name = codeSpans(row['`.ci/run` list'])[0] ?? '';
    assert.deepEqual(codeSpans(row.Packages), ciRunArray(name), name);
  }
});

test('test/e2e holds no *.test.ts, so make test never runs the cluster suite', () => {
  const files = readdirSync(join(TEST_DIR, 'e2e'), { recursive: true, encoding: 'utf8' });
  assert.ok(files.some((file) => file.endsWith('.e2e.ts')));
  assert.deepEqual(
    files.filter((file) => file.endsWith('.test.ts')),
    [],
  );
});
