// The cluster docs' relative links lead somewhere: every link of docs/kubernetes.md,
// docs/monitoring.md, docs/runbook.md, docs/local-cluster.md, docs/security.md and of the README's
// kubernetes, monitoring and local-cluster sections names a file that exists and, with an
// #anchor, a heading that file has.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { brokenLinks } from '../helpers/markdown-links.js';
import { readmeSection } from '../helpers/markdown-tables.js';
import { repoPath } from '../helpers/paths.js';

const DOCS = [
  'docs/kubernetes.md',
  'docs/monitoring.md',
  'docs/runbook.md',
  'docs/local-cluster.md',
  'docs/security.md',
];
const README_SECTIONS = ['kubernetes', 'monitoring', 'local-cluster'];

test('every relative link and #anchor of the cluster docs resolves', () => {
  const readme = readFileSync(repoPath('README.md'), 'utf8');
  const problems = [
    ...DOCS.flatMap((doc) => brokenLinks(readFileSync(repoPath(doc), 'utf8'), doc)),
    ...README_SECTIONS.map((name) => {
      const section = readmeSection(readme, name);
      assert.ok(section, `README.md has no section ${name}`);
      return brokenLinks(section, 'README.md');
    }).flat(),
  ];
  assert.deepEqual(problems, []);
});

test('the link check catches a missing file and a missing anchor, and skips code and URLs', () => {
  assert.deepEqual(
    brokenLinks('[ok](runbook.md#watchdog) [web](https://example.com/x)', 'docs/x.md'),
    [],
  );
  assert.deepEqual(brokenLinks('`[not a link](gone.md)`', 'docs/x.md'), []);
  assert.deepEqual(brokenLinks('[gone](gone.md)', 'docs/x.md'), [
    'docs/x.md: (gone.md) links to docs/gone.md, which does not exist',
  ]);
  assert.deepEqual(brokenLinks('[a](runbook.md#no-such-alert)', 'docs/x.md'), [
    'docs/x.md: (runbook.md#no-such-alert) names #no-such-alert, which is no heading of docs/runbook.md',
  ]);
});
